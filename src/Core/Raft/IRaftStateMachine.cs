namespace AkkaRaft.Core.Raft;

/// <summary>A committed command handed to a state machine: its Raft index and term and the proposer's bytes.</summary>
public readonly record struct CommittedCommand(ulong Index, ulong Term, byte[] Data);

/// <summary>The replicated state machine a Raft group applies committed entries to. Deterministic: same inputs, same state.</summary>
public interface IRaftStateMachine
{
    /// <summary>Index of the last command applied (or restored).</summary>
    ulong AppliedIndex { get; }
    /// <summary>Applies committed commands in index order; returns one result per command (the proposer's answer).</summary>
    IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch);
    /// <summary>Serializes the whole state as of <see cref="AppliedIndex"/>.</summary>
    byte[] TakeSnapshot();
    /// <summary>
    /// Sees a committed membership change (applied to Raft by the node itself) at <paramref name="index"/>;
    /// <paramref name="peerNodes"/> maps the change's peers to the nodes hosting them. The result reaches the proposer.
    /// Default: membership is not part of the state.
    /// </summary>
    object? ApplyMembership(ulong index, ConfChange change, IReadOnlyDictionary<ulong, ulong> peerNodes) => null;
    /// <summary>Replaces the whole state with a snapshot taken at <paramref name="index"/>; throws FormatException-derived error on corrupt bytes.</summary>
    void Restore(byte[] snapshot, ulong index);
}
