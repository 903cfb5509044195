using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>
/// An immutable, start-key-sorted set of non-overlapping regions with O(log n) key lookup.
/// Gaps are allowed (a router cache may not know every region); a key in a gap finds nothing.
/// </summary>
internal sealed class RoutingTable
{
    // Invariant: sorted by start key, no two non-empty ranges overlap, ids unique.
    private readonly ImmutableArray<Region> _sorted;
    private readonly Dictionary<ulong, Region> _byId;

    /// <summary>An empty table.</summary>
    public static RoutingTable Empty { get; } = new([]);

    /// <summary>Builds a table; throws <see cref="ArgumentException"/> when regions overlap or share an id.</summary>
    public RoutingTable(IEnumerable<Region> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        var sorted = regions.Where(r => !r.IsEmptyRange).ToList();
        sorted.Sort((a, b) => ByteKeyComparer.Instance.Compare(a.StartKey, b.StartKey));
        _byId = new Dictionary<ulong, Region>(sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
        {
            if (!_byId.TryAdd(sorted[i].Id, sorted[i]))
                throw new ArgumentException($"routing table: {sorted[i]} and {_byId[sorted[i].Id]} share id {sorted[i].Id}", nameof(regions));
            if (i > 0 && Overlaps(sorted[i - 1], sorted[i]))
                throw new ArgumentException($"routing table: {sorted[i - 1]} and {sorted[i]} overlap", nameof(regions));
        }
        _sorted = [.. sorted];
    }

    /// <summary>The regions, sorted by start key.</summary>
    public ImmutableArray<Region> Regions => _sorted;

    /// <summary>Number of regions.</summary>
    public int Count => _sorted.Length;

    /// <summary>The region containing <paramref name="key"/>, or null when the key falls in a gap. O(log n).</summary>
    public Region? Find(ReadOnlySpan<byte> key)
    {
        // Binary search for the last region whose start key is <= key.
        int lo = 0, hi = _sorted.Length - 1, candidate = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (_sorted[mid].StartKey.AsSpan().SequenceCompareTo(key) <= 0)
            {
                candidate = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return candidate >= 0 && _sorted[candidate].Contains(key) ? _sorted[candidate] : null;
    }

    /// <summary>The region with id <paramref name="regionId"/>, or null.</summary>
    public Region? ById(ulong regionId) => _byId.GetValueOrDefault(regionId);

    /// <summary>
    /// A new table with <paramref name="regions"/> applied: a region replaces the entries it overlaps or shares an
    /// id with, unless one of those is newer (same id with an epoch not stale against it, or a higher version).
    /// </summary>
    public RoutingTable Replace(IEnumerable<Region> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        var current = _sorted.ToList();
        var changed = false;
        foreach (var incoming in regions)
        {
            if (incoming.IsEmptyRange) continue;
            var displaced = current.Where(r => r.Id == incoming.Id || Overlaps(r, incoming)).ToList();
            var isOutdated = displaced.Any(r => r.Id == incoming.Id
                ? !r.Epoch.IsStaleComparedTo(incoming.Epoch) // same or newer knowledge already held
                : r.Epoch.Version > incoming.Epoch.Version); // a later split/merge already reshaped this range
            if (isOutdated) continue;
            current.RemoveAll(displaced.Contains);
            current.Add(incoming);
            changed = true;
        }
        return changed ? new RoutingTable(current) : this;
    }

    /// <summary>True when the two (non-empty) ranges share at least one key.</summary>
    internal static bool Overlaps(Region a, Region b) =>
        ByteKeyComparer.IsBeforeEnd(b.StartKey, a.EndKey) && ByteKeyComparer.IsBeforeEnd(a.StartKey, b.EndKey);
}
