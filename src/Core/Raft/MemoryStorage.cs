namespace AkkaRaft.Core.Raft;

/// <summary>In-memory <see cref="IRaftStorage"/>: what "durable" means in tests and in the simulator.</summary>
internal sealed class MemoryStorage : IRaftStorage
{
    // _entries[0] is a dummy holding the snapshot's index and term.
    private readonly List<Entry> _entries = [Entry.Normal(0, 0)];
    private HardState _hardState;
    private Snapshot _snapshot = Raft.Snapshot.Empty;

    /// <summary>A storage whose membership is the given voters (bootstrap).</summary>
    public static MemoryStorage WithVoters(params ulong[] voters)
    {
        var storage = new MemoryStorage();
        storage._snapshot = new Snapshot(new SnapshotMetadata(0, 0, ConfState.OfVoters(voters)), []);
        return storage;
    }

    /// <inheritdoc />
    public (HardState HardState, ConfState ConfState) InitialState() => (_hardState, _snapshot.Metadata.ConfState);

    /// <summary>Records the hard state.</summary>
    public void SetHardState(HardState hardState) => _hardState = hardState;

    /// <summary>The recorded hard state.</summary>
    public HardState HardState => _hardState;

    private ulong Offset => _entries[0].Index;

    /// <inheritdoc />
    public ulong FirstIndex() => Offset + 1;

    /// <inheritdoc />
    public ulong LastIndex() => Offset + (ulong)_entries.Count - 1;

    /// <inheritdoc />
    public ulong? Term(ulong index)
    {
        if (index < Offset) return null;
        if (index > LastIndex()) throw new RaftStorageException($"term of {index} requested but last index is {LastIndex()}");
        return _entries[(int)(index - Offset)].Term;
    }

    /// <inheritdoc />
    public IReadOnlyList<Entry> Entries(ulong low, ulong high, ulong maxBytes)
    {
        if (low <= Offset) throw new RaftStorageException($"entries from {low} requested but log is compacted up to {Offset}");
        if (high > LastIndex() + 1) throw new RaftStorageException($"entries up to {high} requested but last index is {LastIndex()}");
        return Limit(_entries.Skip((int)(low - Offset)).Take((int)(high - low)), maxBytes);
    }

    /// <summary>Takes entries while under <paramref name="maxBytes"/>, always at least one.</summary>
    internal static List<Entry> Limit(IEnumerable<Entry> entries, ulong maxBytes)
    {
        var result = new List<Entry>();
        ulong size = 0;
        foreach (var e in entries)
        {
            size += e.Size;
            if (result.Count > 0 && size > maxBytes) break;
            result.Add(e);
        }
        return result;
    }

    /// <inheritdoc />
    public Snapshot Snapshot() => _snapshot;

    /// <summary>Replaces the whole log with a snapshot; ignored when older than the current one.</summary>
    public void ApplySnapshot(Snapshot snapshot)
    {
        if (snapshot.Metadata.Index <= _snapshot.Metadata.Index && !_snapshot.IsEmpty) return;
        _snapshot = snapshot;
        _entries.Clear();
        _entries.Add(Entry.Normal(snapshot.Metadata.Term, snapshot.Metadata.Index));
    }

    /// <summary>Records a snapshot at <paramref name="index"/> (must be durable-log index) without dropping entries.</summary>
    public Snapshot CreateSnapshot(ulong index, ConfState confState, byte[] data)
    {
        if (index <= _snapshot.Metadata.Index) return _snapshot;
        if (index > LastIndex()) throw new RaftStorageException($"snapshot at {index} is past last index {LastIndex()}");
        _snapshot = new Snapshot(new SnapshotMetadata(index, _entries[(int)(index - Offset)].Term, confState), data);
        return _snapshot;
    }

    /// <summary>Drops entries before <paramref name="compactIndex"/>; it becomes the dummy.</summary>
    public void Compact(ulong compactIndex)
    {
        if (compactIndex <= Offset) return;
        if (compactIndex > LastIndex()) throw new RaftStorageException($"compact {compactIndex} is past last index {LastIndex()}");
        var keep = _entries.Skip((int)(compactIndex - Offset)).ToList();
        keep[0] = Entry.Normal(keep[0].Term, keep[0].Index);
        _entries.Clear();
        _entries.AddRange(keep);
    }

    /// <summary>Appends entries, replacing any conflicting suffix.</summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        // Invariant: a log has no gaps and its terms never go backwards; a batch breaking that is a bug in the caller.
        if (entries[0].Index == 0) throw new RaftStorageException("entry index 0 is reserved for the empty log");
        if (RaftLog.WhyNotFollowing(entries[0].Index - 1, 0, entries) is { } defect)
        {
            throw new RaftStorageException($"entries {entries[0].Index}..{entries[^1].Index} are not a contiguous log: {defect}");
        }
        var first = FirstIndex();
        var last = entries[^1].Index;
        if (last < first) return; // all compacted already
        var skip = first > entries[0].Index ? (int)(first - entries[0].Index) : 0;
        var start = entries[skip].Index;
        if (start > LastIndex() + 1) throw new RaftStorageException($"missing log entries: last {LastIndex()}, appending at {start}");
        var prevTerm = _entries[(int)(start - 1 - Offset)].Term;
        if (entries[skip].Term < prevTerm)
        {
            throw new RaftStorageException($"entry {start} has term {entries[skip].Term}, below term {prevTerm} of the entry before it");
        }
        var keep = (int)(start - Offset);
        _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = skip; i < entries.Count; i++) _entries.Add(entries[i]);
    }
}
