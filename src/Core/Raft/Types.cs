namespace AkkaRaft.Core.Raft;

/// <summary>Kind of a log entry: a client command or a membership change.</summary>
internal enum EntryType : byte
{
    /// <summary>Client command (empty data is the leader's no-op).</summary>
    Normal = 0,
    /// <summary>Encoded <see cref="ConfChange"/>.</summary>
    ConfChange = 1,
}

/// <summary>One Raft log entry.</summary>
internal sealed record Entry(ulong Term, ulong Index, EntryType Type, byte[] Data)
{
    /// <summary>Creates a normal entry.</summary>
    public static Entry Normal(ulong term, ulong index, byte[]? data = null) => new(term, index, EntryType.Normal, data ?? []);

    /// <summary>Approximate encoded size, used for byte limits.</summary>
    public ulong Size => (ulong)Data.Length + 24;

    /// <summary>True for the empty entry a new leader appends.</summary>
    public bool IsEmptyNormal => Type == EntryType.Normal && Data.Length == 0;
}

/// <summary>State that must be durable before any message depending on it is sent.</summary>
internal readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>The state of a replica that has never run.</summary>
    public static HardState Empty => default;

    /// <summary>True when nothing was ever recorded.</summary>
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}

/// <summary>Role of a replica.</summary>
public enum StateRole : byte
{
    /// <summary>Follows a leader.</summary>
    Follower,
    /// <summary>Asking for pre-votes before starting a real election.</summary>
    PreCandidate,
    /// <summary>Asking for votes in a term of its own.</summary>
    Candidate,
    /// <summary>Leads the group.</summary>
    Leader,
}

/// <summary>Volatile state reported to the runtime: who leads and in which role this replica is.</summary>
internal readonly record struct SoftState(ulong Leader, StateRole Role);

/// <summary>Membership: voters (incoming and, while joint, outgoing), learners, and learners waiting to be added after a joint change.</summary>
public sealed record ConfState(
    IReadOnlyList<ulong> Voters,
    IReadOnlyList<ulong> VotersOutgoing,
    IReadOnlyList<ulong> Learners,
    IReadOnlyList<ulong> LearnersNext,
    bool AutoLeave)
{
    /// <summary>An empty configuration.</summary>
    public static ConfState Empty { get; } = new([], [], [], [], false);

    /// <summary>A configuration with only voters.</summary>
    public static ConfState OfVoters(params ulong[] voters) => new(voters, [], [], [], false);

    /// <summary>True while in a joint configuration.</summary>
    public bool IsJoint => VotersOutgoing.Count > 0;

    /// <summary>Compares by set content, ignoring order.</summary>
    public bool SameAs(ConfState other) =>
        Voters.Order().SequenceEqual(other.Voters.Order()) &&
        VotersOutgoing.Order().SequenceEqual(other.VotersOutgoing.Order()) &&
        Learners.Order().SequenceEqual(other.Learners.Order()) &&
        LearnersNext.Order().SequenceEqual(other.LearnersNext.Order()) &&
        AutoLeave == other.AutoLeave;

    /// <inheritdoc />
    public override string ToString() =>
        $"voters=({string.Join(' ', Voters)})" +
        (IsJoint ? $"&&({string.Join(' ', VotersOutgoing)})" : "") +
        (Learners.Count > 0 ? $" learners=({string.Join(' ', Learners)})" : "") +
        (LearnersNext.Count > 0 ? $" learners_next=({string.Join(' ', LearnersNext)})" : "") +
        (AutoLeave ? " autoleave" : "");
}

/// <summary>Where a snapshot stands in the log and which membership it carries.</summary>
internal sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState);

/// <summary>A state machine snapshot plus its position in the log.</summary>
internal sealed record Snapshot(SnapshotMetadata Metadata, byte[] Data)
{
    /// <summary>The absent snapshot.</summary>
    public static Snapshot Empty { get; } = new(new SnapshotMetadata(0, 0, ConfState.Empty), []);

    /// <summary>True when this is no snapshot at all.</summary>
    public bool IsEmpty => Metadata.Index == 0;
}

/// <summary>Result of a linearizable read request: reads of <see cref="Context"/> may be served once the state machine has applied <see cref="Index"/>.</summary>
internal sealed record ReadState(ulong Index, byte[] Context);
