using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// Modification stamps for WATCH: every write stamps the keys it names that exist afterwards with its Raft index; a key
/// removed (deleted, purged, emptied) drops its stamp and moves the region's removal index. A present key's stamp is its
/// last write's index; an absent key's is <see cref="AbsentStampFlag"/> | the region's last removal index, so a key that
/// was created and deleted again between WATCH and EXEC is still seen as changed. Conservative by design: a write that
/// names a key without changing it (a failed SETNX) also moves the stamp, and any removal in the region moves the stamps
/// of absent keys; a spurious abort is allowed (Redis has them too), a missed change is not.
/// Stamps are part of the snapshot (format 3), so every replica judges an EXEC alike.
/// </summary>
internal sealed partial class KvStateMachine
{
    /// <summary>Set in the stamp of a key that does not exist.</summary>
    public const ulong AbsentStampFlag = 1UL << 63;

    // Invariant: keys are a subset of _entries' keys (a removal drops the stamp).
    private Dictionary<byte[], ulong> _modifiedAt = new(ByteKeyComparer.Instance);
    private ulong _lastRemovalIndex;
    private ulong _applyingIndex;

    /// <summary>The stamp WATCH records for <paramref name="key"/> and EXEC compares, judged at <paramref name="nowMs"/> (or the machine's later clock).</summary>
    public ulong WatchStampOf(byte[] key, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryGetLive(key, Math.Max(LogicalNowMs, nowMs), out _)
            ? _modifiedAt.GetValueOrDefault(key)
            : AbsentStampFlag | _lastRemovalIndex;
    }

    /// <summary>After a write at <paramref name="index"/>: its keys that exist now carry the index as their stamp.</summary>
    private void StampKeys(KvWriteCommand command, KvResult result, ulong index)
    {
        var written = command switch
        {
            SplitCommand or PurgeExpiredCommand => [],
            // A rejected or aborted transaction wrote nothing; its reads and its watched keys are not writes.
            TransactionCommand when result is not KvResult.ArrayResult { Items: not null } => [],
            TransactionCommand transaction => transaction.Commands.SelectMany(TransactionVerbs.WrittenKeysOf),
            _ => command.Keys,
        };
        foreach (var key in written)
            if (_entries.ContainsKey(key)) _modifiedAt[key] = index;
    }

    /// <summary>
    /// A removed entry loses its stamp. Only the removal of a live one moves the removal index: an expired entry was absent
    /// already, and a replica restored from a snapshot (which leaves expired entries out) never removes it at all.
    /// </summary>
    private void ForgetStamp(byte[] key, StoredValue removed)
    {
        _modifiedAt.Remove(key);
        if (!removed.IsExpiredAt(LogicalNowMs)) _lastRemovalIndex = Math.Max(_lastRemovalIndex, _applyingIndex);
    }

    /// <summary>Snapshot section of format 3: the removal index, then the stamps of the live entries in key order.</summary>
    private void WriteStamps(WireWriter writer, IReadOnlyList<KeyValuePair<byte[], StoredValue>> live)
    {
        writer.WriteVarUInt(_lastRemovalIndex);
        var stamped = live.Where(e => _modifiedAt.ContainsKey(e.Key)).ToList();
        writer.WriteVarUInt((ulong)stamped.Count);
        foreach (var (key, _) in stamped)
        {
            writer.WriteBytes(key);
            writer.WriteVarUInt(_modifiedAt[key]);
        }
    }

    private static (ulong LastRemovalIndex, Dictionary<byte[], ulong> Stamps) ReadStamps(ref WireReader reader, SortedDictionary<byte[], StoredValue> entries)
    {
        var lastRemoval = reader.ReadVarUInt("last removal index");
        var count = reader.ReadCount("stamp count", minBytesPerItem: 2);
        var stamps = new Dictionary<byte[], ulong>(count, ByteKeyComparer.Instance);
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadBytes("stamped key");
            if (!entries.ContainsKey(key)) throw reader.Fail($"stamp for {KeyText.Quote(key)}, which has no entry");
            if (!stamps.TryAdd(key, reader.ReadVarUInt("stamp"))) throw reader.Fail($"two stamps for {KeyText.Quote(key)}");
        }
        return (lastRemoval, stamps);
    }
}
