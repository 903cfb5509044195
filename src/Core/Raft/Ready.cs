namespace AkkaRaft.Core.Raft;

/// <summary>
/// One batch of work for the runtime, numbered. Order: persist <see cref="HardState"/>, <see cref="Snapshot"/> and
/// <see cref="Entries"/> (one durable write); send <see cref="Messages"/> any time; send <see cref="PersistedMessages"/>
/// only after the write is durable; apply <see cref="CommittedEntries"/> after the write; then call Advance.
/// </summary>
internal sealed record Ready
{
    /// <summary>Sequence number; Advance must name the Ready it acknowledges.</summary>
    public required ulong Number { get; init; }
    /// <summary>New soft state, or null when unchanged.</summary>
    public SoftState? SoftState { get; init; }
    /// <summary>Hard state to persist, or null when unchanged.</summary>
    public HardState? HardState { get; init; }
    /// <summary>Entries to append to durable storage (replacing any conflicting suffix).</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];
    /// <summary>Snapshot to persist and restore into the state machine, or null.</summary>
    public Snapshot? Snapshot { get; init; }
    /// <summary>Committed entries to apply, in order, bounded in bytes.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; init; } = [];
    /// <summary>Messages that may be sent right away (appends, heartbeats).</summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];
    /// <summary>Messages that may be sent only once this Ready is durable (votes, acknowledgements).</summary>
    public IReadOnlyList<Message> PersistedMessages { get; init; } = [];
    /// <summary>Linearizable read positions confirmed since the last Ready.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>True when something must be written durably (fsync) before acknowledging.</summary>
    public bool MustSync => HardState is not null || Entries.Count > 0 || Snapshot is not null;

    /// <summary>Every message of this Ready.</summary>
    public IEnumerable<Message> AllMessages => Messages.Concat(PersistedMessages);
}
