namespace AkkaRaft.Core.Raft;

/// <summary>Why a request was refused. These are expected outcomes, not bugs.</summary>
internal enum RefusalReason : byte
{
    /// <summary>Not accepted: no refusal.</summary>
    None = 0,
    /// <summary>This replica does not lead; see the leader hint.</summary>
    NotLeader,
    /// <summary>Leadership is being transferred; retry on the new leader.</summary>
    TransferInProgress,
    /// <summary>The proposal is larger than the configured maximum.</summary>
    TooLarge,
    /// <summary>Too much uncommitted data or too many pending reads; back off.</summary>
    Busy,
    /// <summary>Another membership change has not been applied yet.</summary>
    ConfChangePending,
    /// <summary>The membership change is not allowed (see the message).</summary>
    InvalidConfChange,
    /// <summary>The change would leave the group without a reachable quorum.</summary>
    WouldLoseQuorum,
    /// <summary>No leader is known.</summary>
    NoLeader,
    /// <summary>The target replica is not a voter of the group.</summary>
    UnknownPeer,
}

/// <summary>Answer to a proposal: the index and term it was appended at, or why not.</summary>
internal readonly record struct ProposeResult(RefusalReason Refusal, ulong Index, ulong Term, ulong LeaderHint, string? Detail)
{
    /// <summary>True when the proposal was appended to the leader's log (it may still be lost if the leader fails).</summary>
    public bool Accepted => Refusal == RefusalReason.None;

    internal static ProposeResult Ok(ulong index, ulong term) => new(RefusalReason.None, index, term, 0, null);

    internal static ProposeResult Refused(RefusalReason reason, ulong leaderHint, string detail) => new(reason, 0, 0, leaderHint, detail);

    /// <inheritdoc />
    public override string ToString() => Accepted ? $"accepted at {Index} (term {Term})" : $"{Refusal}: {Detail}";
}

/// <summary>What became of an incoming message.</summary>
internal enum StepStatus : byte
{
    /// <summary>The message was processed.</summary>
    Processed,
    /// <summary>The message was dropped on purpose (stale term, unknown sender, wrong destination...).</summary>
    Ignored,
}

/// <summary>Result of <see cref="RaftNode.Step"/>; <see cref="Reason"/> explains an ignored message.</summary>
internal readonly record struct StepResult(StepStatus Status, string? Reason)
{
    internal static StepResult Processed { get; } = new(StepStatus.Processed, null);

    internal static StepResult Ignore(string reason) => new(StepStatus.Ignored, reason);

    /// <inheritdoc />
    public override string ToString() => Status == StepStatus.Processed ? "processed" : $"ignored: {Reason}";
}
