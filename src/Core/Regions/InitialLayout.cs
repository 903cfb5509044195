using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>Builds the layout a fresh cluster starts with: regions cut at split keys, covering the whole keyspace.</summary>
internal static class InitialLayout
{
    /// <summary>The default split keys: ["m"], giving ["", "m") and ["m", "").</summary>
    public static ImmutableArray<byte[]> DefaultSplitKeys { get; } = [[(byte)'m']];

    /// <summary>
    /// Cuts the keyspace at <paramref name="splitKeys"/> (strictly increasing, non-empty) into
    /// <c>splitKeys.Count + 1</c> regions with ids <paramref name="regionIds"/>, each at <see cref="RegionEpoch.Initial"/>.
    /// </summary>
    public static ImmutableArray<Region> Create(
        IReadOnlyList<byte[]> splitKeys,
        IReadOnlyList<ulong> regionIds,
        Func<ulong, IEnumerable<RegionPeer>> peersOfRegion)
    {
        ArgumentNullException.ThrowIfNull(splitKeys);
        ArgumentNullException.ThrowIfNull(regionIds);
        ArgumentNullException.ThrowIfNull(peersOfRegion);
        if (regionIds.Count != splitKeys.Count + 1)
            throw new ArgumentException($"{splitKeys.Count} split keys make {splitKeys.Count + 1} regions but {regionIds.Count} region ids were given", nameof(regionIds));
        for (var i = 0; i < splitKeys.Count; i++)
        {
            if (splitKeys[i].Length == 0)
                throw new ArgumentException($"split key #{i} is empty; \"\" already bounds the keyspace", nameof(splitKeys));
            if (i > 0 && ByteKeyComparer.Instance.Compare(splitKeys[i - 1], splitKeys[i]) >= 0)
                throw new ArgumentException($"split keys must be strictly increasing: {KeyText.Quote(splitKeys[i - 1])} then {KeyText.Quote(splitKeys[i])}", nameof(splitKeys));
        }

        var regions = ImmutableArray.CreateBuilder<Region>(regionIds.Count);
        for (var i = 0; i < regionIds.Count; i++)
        {
            var start = i == 0 ? [] : splitKeys[i - 1];
            var end = i == splitKeys.Count ? [] : splitKeys[i];
            regions.Add(new Region(regionIds[i], start, end, RegionEpoch.Initial, peersOfRegion(regionIds[i])));
        }
        var layout = regions.MoveToImmutable();
        LayoutValidation.EnsureValid(layout); // catches duplicate ids
        return layout;
    }

    /// <summary>The default layout: ["", "m") and ["m", "") with the two given ids.</summary>
    public static ImmutableArray<Region> CreateDefault(ulong leftRegionId, ulong rightRegionId, Func<ulong, IEnumerable<RegionPeer>> peersOfRegion) =>
        Create(DefaultSplitKeys, [leftRegionId, rightRegionId], peersOfRegion);
}
