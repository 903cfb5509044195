namespace AkkaRaft.Core.Raft;

/// <summary>The durable part of a replica's log and state, owned by the runtime (journal) or by tests (memory).</summary>
internal interface IRaftStorage
{
    /// <summary>Hard state and membership recorded so far.</summary>
    (HardState HardState, ConfState ConfState) InitialState();

    /// <summary>Index of the first entry still available (snapshot index + 1).</summary>
    ulong FirstIndex();

    /// <summary>Index of the last durable entry (snapshot index when the log is empty).</summary>
    ulong LastIndex();

    /// <summary>Term of the entry at <paramref name="index"/>; null when compacted away. Valid for FirstIndex-1 ..= LastIndex.</summary>
    ulong? Term(ulong index);

    /// <summary>Entries in [<paramref name="low"/>, <paramref name="high"/>), at most <paramref name="maxBytes"/> but always at least one.</summary>
    IReadOnlyList<Entry> Entries(ulong low, ulong high, ulong maxBytes);

    /// <summary>The most recent snapshot.</summary>
    Snapshot Snapshot();
}

/// <summary>Thrown when a storage request violates its contract (a bug in the caller, not an expected outcome).</summary>
internal sealed class RaftStorageException(string message) : InvalidOperationException(message);
