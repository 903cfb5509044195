using Akka.Actor;
using AkkaRaft.Actors.Regions;

namespace AkkaRaft.Actors.Placement;

/// <summary>What a move operator's state machine asks its runner to do next.</summary>
internal abstract record OperatorAction
{
    private OperatorAction()
    {
    }

    /// <summary>Ask placement; the answer (or its absence) goes back to the machine.</summary>
    public sealed record AskPlacement(object Request) : OperatorAction;

    /// <summary>Ask the stores (any store forwards to the one the request names); <paramref name="Long"/>: a change waits for its apply (twice the attempt timeout).</summary>
    public sealed record AskStore(IStoreAddressed Request, bool Long = false) : OperatorAction;

    /// <summary>Wait one poll interval, then tell the machine.</summary>
    public sealed record Wait : OperatorAction
    {
        /// <summary>The one instance.</summary>
        public static Wait Instance { get; } = new();
    }

    /// <summary>The operator ended.</summary>
    public sealed record Finish(OperatorOutcome Outcome) : OperatorAction;
}

/// <summary>How an operator ended: its state and a one-line detail; <see cref="Stale"/> when the region changed under it (planned again).</summary>
internal sealed record OperatorOutcome(OperatorState State, string Detail, bool Stale = false);

/// <summary>An operator's progress, sent to its scheduler whenever it changes.</summary>
internal sealed record OperatorProgress(
    long OperatorId, OperatorStep Step, string Detail, ulong LearnerMatch = 0, ulong LeaderLastIndex = 0, long SnapshotBytesSent = 0, long SnapshotBytesTotal = 0)
    : INoSerializationVerificationNeeded;

/// <summary>Budgets of a move operator, counted in asks and polls (the machine has no clock).</summary>
/// <param name="CatchUpDistance">Entries a learner may lag behind the leader's last index and still be promoted.</param>
/// <param name="DestroyAttempts">How often the source replica's destroy is asked for before the store is left to drop it later.</param>
/// <param name="LeaderSearchRounds">Rounds over the voters (one poll apart) before "no leader found".</param>
/// <param name="ChangeAttempts">Proposals of one membership change before it "did not go through".</param>
/// <param name="ReAddLearnerEveryPolls">Catch-up polls without any progress of the learner before its replica is asked for again.</param>
internal sealed record MoveBudgets(int CatchUpDistance, int DestroyAttempts, int LeaderSearchRounds = 50, int ChangeAttempts = 20, int ReAddLearnerEveryPolls = 10);
