namespace AkkaRaft.Core.Kv;

/// <summary>
/// Active expiry on the state machine: an index of the entries that carry an expiry, ordered by it, so the leader finds
/// the expired ones in O(log n + found) without scanning the keyspace, and the conditional removal its purge proposes.
/// </summary>
internal sealed partial class KvStateMachine
{
    // Invariant: holds (expiry, key) for exactly the entries of _entries that have an expiry.
    private SortedSet<(long ExpireAtMs, byte[] Key)> _expiring = new(ExpiryOrder.Instance);

    /// <summary>Entries that carry an expiry (live or expired, not yet removed).</summary>
    public int ExpiringKeyCount => _expiring.Count;

    /// <summary>
    /// Up to <paramref name="max"/> keys expired at <paramref name="nowMs"/> (or at the machine's own clock if later),
    /// earliest expiry first. Changes nothing: the leader proposes their removal as a <see cref="PurgeExpiredCommand"/>.
    /// </summary>
    public IReadOnlyList<byte[]> FindExpiredKeys(long nowMs, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var now = Math.Max(LogicalNowMs, nowMs);
        var found = new List<byte[]>(Math.Min(max, _expiring.Count));
        foreach (var (expireAt, key) in _expiring)
        {
            if (expireAt > now || found.Count == max) break;
            found.Add((byte[])key.Clone());
        }
        return found;
    }

    private KvResult.IntegerResult ExecutePurgeExpired(PurgeExpiredCommand purge, long now)
    {
        long removed = 0;
        foreach (var key in purge.KeyList)
        {
            // Only what is still expired by this replica's clock: a key set again since the leader looked survives.
            if (!_entries.TryGetValue(key, out var stored) || !stored.IsExpiredAt(now)) continue;
            Remove(key);
            removed++;
        }
        return new KvResult.IntegerResult(removed);
    }

    private void IndexExpiry(byte[] key, StoredValue? old, StoredValue? next)
    {
        if (old?.ExpireAtMs == next?.ExpireAtMs) return;
        if (old?.ExpireAtMs is { } oldAt) _expiring.Remove((oldAt, key));
        if (next?.ExpireAtMs is { } nextAt) _expiring.Add((nextAt, key));
    }

    private void RebuildExpiryIndex()
    {
        _expiring = new SortedSet<(long, byte[])>(ExpiryOrder.Instance);
        foreach (var (key, value) in _entries)
            if (value.ExpireAtMs is { } at) _expiring.Add((at, key));
    }
}
