namespace AkkaRaft.Core.Raft;

/// <summary>Entries and a snapshot not yet durable (etcd's log_unstable). Entries start at <see cref="Offset"/>.</summary>
internal sealed class UnstableLog
{
    public UnstableLog(ulong offset) => Offset = offset;

    public Snapshot? Snapshot { get; private set; }
    public List<Entry> Entries { get; } = [];
    public ulong Offset { get; private set; }

    public ulong? MaybeFirstIndex() => Snapshot is null ? null : Snapshot.Metadata.Index + 1;

    public ulong? MaybeLastIndex()
    {
        if (Entries.Count > 0) return Offset + (ulong)Entries.Count - 1;
        return Snapshot?.Metadata.Index;
    }

    public ulong? MaybeTerm(ulong index)
    {
        if (index < Offset)
        {
            if (Snapshot is not null && Snapshot.Metadata.Index == index) return Snapshot.Metadata.Term;
            return null;
        }
        var last = MaybeLastIndex();
        if (last is null || index > last) return null;
        return Entries[(int)(index - Offset)].Term;
    }

    /// <summary>Entries up to (index, term) became durable; ignored when the term no longer matches (overwritten meanwhile).</summary>
    public void StableTo(ulong index, ulong term)
    {
        var t = MaybeTerm(index);
        if (t is null || t != term || index < Offset) return;
        var count = (int)(index + 1 - Offset);
        Entries.RemoveRange(0, count);
        Offset = index + 1;
    }

    public void StableSnapshotTo(ulong index)
    {
        if (Snapshot is not null && Snapshot.Metadata.Index == index) Snapshot = null;
    }

    public void Restore(Snapshot snapshot)
    {
        Offset = snapshot.Metadata.Index + 1;
        Entries.Clear();
        Snapshot = snapshot;
    }

    public void TruncateAndAppend(IReadOnlyList<Entry> entries)
    {
        var after = entries[0].Index;
        // Invariant: new entries start inside or right after the unstable tail (RaftLog.Append checks the rest of contiguity).
        if (after > Offset + (ulong)Entries.Count)
        {
            throw new InvalidOperationException($"unstable append at {after} leaves a gap after {Offset + (ulong)Entries.Count - 1}");
        }
        if (after == Offset + (ulong)Entries.Count)
        {
            Entries.AddRange(entries);
        }
        else if (after <= Offset)
        {
            // Replaces everything unstable; the durable log will be truncated by the runtime when these are persisted.
            Offset = after;
            Entries.Clear();
            Entries.AddRange(entries);
        }
        else
        {
            Entries.RemoveRange((int)(after - Offset), Entries.Count - (int)(after - Offset));
            Entries.AddRange(entries);
        }
    }

    public List<Entry> Slice(ulong low, ulong high)
    {
        // Invariant: callers only slice inside the unstable range.
        if (low > high || low < Offset || high > Offset + (ulong)Entries.Count)
        {
            throw new InvalidOperationException($"unstable slice [{low},{high}) out of bound [{Offset},{Offset + (ulong)Entries.Count}]");
        }
        return Entries.GetRange((int)(low - Offset), (int)(high - low));
    }
}
