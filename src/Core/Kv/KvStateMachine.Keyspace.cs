using System.Collections.Immutable;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>Keyspace-wide reads and writes of a region: scanning its keys in order, counting live keys, flushing.</summary>
internal sealed partial class KvStateMachine
{
    /// <summary>Most keys one scan answers, whatever limit it asks for (bounds the reply).</summary>
    public const int MaxScanLimit = 10_000;

    // The keys in order, as an array a scan can seek in by binary search (SortedDictionary has no lower-bound lookup). Built
    // on the first scan after the set of keys changed (a key added or removed; overwrites keep it), so a scan over a
    // quiet region is O(log n) per page and one that races writes adding keys pays one O(n) copy per page.
    private byte[][]? _scanIndex;
    private long _keySetVersion;
    private long _scanIndexVersion = -1;
    private object? _scanIndexSource;

    /// <summary>Live keys (expired entries not yet reclaimed left out): what DBSIZE counts.</summary>
    public long CountLiveKeys(long nowMs)
    {
        var now = Math.Max(LogicalNowMs, nowMs);
        long live = 0;
        foreach (var entry in _entries.Values)
            if (!entry.IsExpiredAt(now)) live++;
        return live;
    }

    private KvResult.KeyPage ExecuteScan(ScanCommand scan, long now)
    {
        var index = ScanIndex();
        var start = ByteKeyComparer.Instance.Compare(scan.StartKey, Region.StartKey) < 0 ? Region.StartKey : scan.StartKey;
        var position = Array.BinarySearch(index, start, ByteKeyComparer.Instance);
        if (position < 0) position = ~position;
        position = (int)Math.Min(index.Length, position + Math.Max(0, scan.Skip));
        var limit = Math.Clamp(scan.Limit, 1, MaxScanLimit);
        var keys = ImmutableArray.CreateBuilder<byte[]>();
        var visited = 0;
        for (; position < index.Length && visited < limit; position++, visited++)
        {
            var key = index[position];
            if (!_entries.TryGetValue(key, out var value) || value.IsExpiredAt(now)) continue;
            if (scan.TypeFilter is { } type && !string.Equals(TypeName(value), type, StringComparison.OrdinalIgnoreCase)) continue;
            keys.Add((byte[])key.Clone());
        }

        // Invariant: the index holds only this region's keys, so the next unvisited one (if any) is where the region continues.
        var resumeAt = position < index.Length ? (byte[])index[position].Clone() : null;
        return new KvResult.KeyPage(keys.ToImmutable(), resumeAt);
    }

    private KvResult ExecuteFlush()
    {
        foreach (var key in _entries.Keys.ToList()) Remove(key);
        return KvResult.Ok;
    }

    /// <summary>The Redis type name of a stored value, as TYPE answers it (SCAN ... TYPE filters by it).</summary>
    private static string TypeName(StoredValue value) => value.Type switch
    {
        Redis.RedisType.String => "string",
        Redis.RedisType.Hash => "hash",
        Redis.RedisType.List => "list",
        Redis.RedisType.Set => "set",
        _ => "zset",
    };

    private byte[][] ScanIndex()
    {
        if (_scanIndex is null || _scanIndexVersion != _keySetVersion || !ReferenceEquals(_scanIndexSource, _entries))
        {
            _scanIndex = [.. _entries.Keys];
            _scanIndexVersion = _keySetVersion;
            _scanIndexSource = _entries;
        }

        return _scanIndex;
    }
}
