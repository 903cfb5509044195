namespace AkkaRaft.Core.Raft;

/// <summary>The whole log of a replica: durable storage plus unstable tail, with commit and apply positions (etcd's raftLog).</summary>
internal sealed class RaftLog
{
    private readonly ulong _maxApplyBytes;

    public RaftLog(IRaftStorage storage, ulong maxApplyBytes)
    {
        Storage = storage;
        _maxApplyBytes = maxApplyBytes;
        var first = storage.FirstIndex();
        var last = storage.LastIndex();
        Unstable = new UnstableLog(last + 1);
        Committed = first - 1;
        Applied = first - 1;
    }

    public IRaftStorage Storage { get; }
    public UnstableLog Unstable { get; }
    public ulong Committed { get; private set; }
    public ulong Applied { get; private set; }

    public ulong FirstIndex() => Unstable.MaybeFirstIndex() ?? Storage.FirstIndex();

    public ulong LastIndex() => Unstable.MaybeLastIndex() ?? Storage.LastIndex();

    public ulong LastTerm() => Term(LastIndex()) ?? throw new InvalidOperationException("term of last index is unavailable");

    /// <summary>Term at <paramref name="index"/>; 0 past the end; null when compacted.</summary>
    public ulong? Term(ulong index)
    {
        var dummy = FirstIndex() - 1;
        if (index < dummy) return null;
        if (index > LastIndex()) return 0;
        return Unstable.MaybeTerm(index) ?? Storage.Term(index);
    }

    // Term() answers 0 past the end; an entry that does not exist must never "match" term 0 (etcd: ErrUnavailable).
    public bool MatchTerm(ulong index, ulong term) => index <= LastIndex() && Term(index) is { } t && t == term;

    /// <summary>The follower's append: returns the new last index, or null when (index, logTerm) does not match.</summary>
    public ulong? MaybeAppend(ulong index, ulong logTerm, ulong committed, IReadOnlyList<Entry> entries)
    {
        // Invariant: Step refuses appends whose entries do not follow (index, logTerm); appending them would corrupt the log.
        if (WhyNotFollowing(index, logTerm, entries) is { } defect) throw new InvalidOperationException($"append after {index}: {defect}");
        if (!MatchTerm(index, logTerm)) return null;
        var lastNew = index + (ulong)entries.Count;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            // Invariant: committed entries are never overwritten; a leader asking for that is a bug elsewhere.
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"entry {conflict} conflicts with committed entry (committed {Committed})");
            }
            Append(entries.Skip((int)(conflict - index - 1)).ToList());
        }
        CommitTo(Math.Min(committed, lastNew));
        return lastNew;
    }

    public ulong Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return LastIndex();
        // Invariant: the log has no gaps and its terms never go backwards.
        var prevIndex = entries[0].Index - 1;
        if (entries[0].Index == 0 || prevIndex > LastIndex() || Term(prevIndex) is not { } prevTerm)
        {
            throw new InvalidOperationException($"appending at {entries[0].Index} leaves a gap after last index {LastIndex()} (or is compacted)");
        }
        if (WhyNotFollowing(prevIndex, prevTerm, entries) is { } defect) throw new InvalidOperationException($"appending after {prevIndex}: {defect}");
        if (entries[0].Index - 1 < Committed)
        {
            throw new InvalidOperationException($"appending after {entries[0].Index - 1} is below committed {Committed}");
        }
        Unstable.TruncateAndAppend(entries);
        return LastIndex();
    }

    /// <summary>
    /// Why <paramref name="entries"/> cannot follow the entry (<paramref name="prevIndex"/>, <paramref name="prevTerm"/>):
    /// indexes not prevIndex+1, +2, … in order, or terms going backwards; null when they can.
    /// </summary>
    public static string? WhyNotFollowing(ulong prevIndex, ulong prevTerm, IReadOnlyList<Entry> entries)
    {
        var index = prevIndex;
        var term = prevTerm;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (index == ulong.MaxValue) return $"entry #{i} would lie past the largest index";
            index++;
            if (e.Index != index) return $"entry #{i} has index {e.Index}, expected {index} (entries must follow {prevIndex} without gaps, in order)";
            if (e.Term < term)
            {
                return i == 0
                    ? $"first entry {e.Index} has term {e.Term}, below the previous entry's term {prevTerm}"
                    : $"entry {e.Index} has term {e.Term}, below term {term} of the entry before it";
            }
            term = e.Term;
        }
        return null;
    }

    /// <summary>First index whose term differs from ours, or the first new index; 0 when all already present.</summary>
    private ulong FindConflict(IReadOnlyList<Entry> entries)
    {
        foreach (var e in entries)
        {
            if (!MatchTerm(e.Index, e.Term)) return e.Index;
        }
        return 0;
    }

    /// <summary>Largest (index, term) at or below <paramref name="index"/> whose term is at most <paramref name="term"/>: the fast back-off hint.</summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        while (true)
        {
            var t = Term(index);
            if (t is null) return (index, 0);
            if (t <= term || index == 0) return (index, t.Value);
            index--;
        }
    }

    public List<Entry> UnstableEntries() => [.. Unstable.Entries];

    /// <summary>Committed entries not yet handed out for applying, bounded in bytes.</summary>
    public List<Entry> NextCommittedEntries()
    {
        var low = Math.Max(Applied + 1, FirstIndex());
        if (Committed + 1 <= low) return [];
        return Slice(low, Committed + 1, _maxApplyBytes);
    }

    public bool HasNextCommittedEntries() => Committed > Math.Max(Applied, FirstIndex() - 1);

    public Snapshot? UnstableSnapshot() => Unstable.Snapshot;

    public Snapshot Snapshot() => Unstable.Snapshot ?? Storage.Snapshot();

    public void CommitTo(ulong commit)
    {
        if (commit <= Committed) return;
        // Invariant: commit never passes the log.
        if (commit > LastIndex()) throw new InvalidOperationException($"commit {commit} is past last index {LastIndex()}");
        Committed = commit;
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0) return;
        if (index > Committed || index < Applied)
        {
            throw new InvalidOperationException($"applied {index} out of range [prev applied {Applied}, committed {Committed}]");
        }
        Applied = index;
    }

    public void StableTo(ulong index, ulong term) => Unstable.StableTo(index, term);

    public void StableSnapshotTo(ulong index) => Unstable.StableSnapshotTo(index);

    /// <summary>Raft §5.4.1: is a log ending at (lastIndex, term) at least as up to date as ours?</summary>
    public bool IsUpToDate(ulong lastIndex, ulong term) => term > LastTerm() || (term == LastTerm() && lastIndex >= LastIndex());

    /// <summary>Commits <paramref name="maxIndex"/> if its entry is of <paramref name="term"/> (§5.4.2: only current-term entries by counting).</summary>
    public bool MaybeCommit(ulong maxIndex, ulong term)
    {
        if (maxIndex > Committed && Term(maxIndex) == term)
        {
            CommitTo(maxIndex);
            return true;
        }
        return false;
    }

    public void Restore(Snapshot snapshot)
    {
        Committed = snapshot.Metadata.Index;
        Unstable.Restore(snapshot);
    }

    /// <summary>Entries in [low, high) bounded by <paramref name="maxBytes"/>; null when compacted.</summary>
    public List<Entry>? TrySlice(ulong low, ulong high, ulong maxBytes)
    {
        if (low < FirstIndex()) return null;
        return Slice(low, high, maxBytes);
    }

    public List<Entry> Slice(ulong low, ulong high, ulong maxBytes)
    {
        if (low == high) return [];
        if (low < FirstIndex() || high > LastIndex() + 1)
        {
            throw new InvalidOperationException($"slice [{low},{high}) out of bound [{FirstIndex()},{LastIndex()}]");
        }
        var result = new List<Entry>();
        if (low < Unstable.Offset)
        {
            var storedHigh = Math.Min(high, Unstable.Offset);
            result.AddRange(Storage.Entries(low, storedHigh, maxBytes));
            if ((ulong)result.Count < storedHigh - low) return result; // byte limit hit
        }
        if (high > Unstable.Offset)
        {
            result.AddRange(Unstable.Slice(Math.Max(low, Unstable.Offset), high));
        }
        return MemoryStorage.Limit(result, maxBytes);
    }

    public override string ToString() => $"committed={Committed} applied={Applied} unstable.offset={Unstable.Offset} unstable.len={Unstable.Entries.Count} last={LastIndex()}";
}
