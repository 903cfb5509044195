using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>What is wrong with a region layout.</summary>
internal enum LayoutFaultKind
{
    /// <summary>Two regions share a key range.</summary>
    Overlap,
    /// <summary>Keys between two regions belong to no region.</summary>
    Gap,
    /// <summary>The regions are not listed in start-key order.</summary>
    Unsorted,
    /// <summary>The first region does not start at "" or the last does not end at "", or there are no regions.</summary>
    NotCoveringKeyspace,
    /// <summary>A region's start is not below its end.</summary>
    EmptyRange,
    /// <summary>Two regions share an id.</summary>
    DuplicateId,
}

/// <summary>One fault in a layout, with a message naming the regions at fault.</summary>
internal sealed record LayoutFault(LayoutFaultKind Kind, string Message, ImmutableArray<ulong> RegionIds)
{
    /// <summary>The message.</summary>
    public override string ToString() => Message;
}

/// <summary>The outcome of <see cref="LayoutValidation.Validate"/>: every fault found (none = valid).</summary>
internal sealed record LayoutValidationResult(ImmutableArray<LayoutFault> Faults)
{
    /// <summary>True when no fault was found.</summary>
    public bool IsValid => Faults.IsEmpty;

    /// <summary>All fault messages, one per line (empty when valid).</summary>
    public override string ToString() => string.Join(Environment.NewLine, Faults.Select(f => f.Message));
}

/// <summary>Checks that regions tile the whole keyspace exactly once, listing every fault with the regions at fault.</summary>
internal static class LayoutValidation
{
    /// <summary>Validates a layout that must be sorted by start key, gap-free, overlap-free and cover ["", "").</summary>
    public static LayoutValidationResult Validate(IReadOnlyList<Region> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        var faults = ImmutableArray.CreateBuilder<LayoutFault>();
        if (regions.Count == 0)
        {
            faults.Add(new(LayoutFaultKind.NotCoveringKeyspace, "no regions: the keyspace [\"\", \"\") is not covered", []));
            return new(faults.ToImmutable());
        }

        var seen = new Dictionary<ulong, Region>();
        foreach (var region in regions)
        {
            if (!seen.TryAdd(region.Id, region))
                faults.Add(Fault(LayoutFaultKind.DuplicateId, $"regions {Describe(seen[region.Id])} and {Describe(region)} share id {region.Id}", region));
            if (region.IsEmptyRange)
                faults.Add(Fault(LayoutFaultKind.EmptyRange, $"region {Describe(region)} has an empty range: its start is not below its end", region));
        }

        for (var i = 1; i < regions.Count; i++)
        {
            if (ByteKeyComparer.Instance.Compare(regions[i - 1].StartKey, regions[i].StartKey) > 0)
                faults.Add(Fault(LayoutFaultKind.Unsorted,
                    $"regions are not sorted by start key: {Describe(regions[i - 1])} is listed before {Describe(regions[i])}",
                    regions[i - 1], regions[i]));
        }

        // Sweep the non-empty ranges in start order, remembering the one that reaches furthest:
        // whatever starts before that reach overlaps it, whatever starts after leaves a gap.
        var ranges = regions.Where(r => !r.IsEmptyRange).ToList();
        ranges.Sort(CompareRanges);
        if (ranges.Count == 0)
        {
            faults.Add(new(LayoutFaultKind.NotCoveringKeyspace, "no region has a non-empty range: the keyspace [\"\", \"\") is not covered", []));
            return new(faults.ToImmutable());
        }
        if (ranges[0].StartKey.Length != 0)
            faults.Add(Fault(LayoutFaultKind.NotCoveringKeyspace,
                $"keyspace not covered: {KeyText.Range([], ranges[0].StartKey)} belongs to no region (the first, {Describe(ranges[0])}, does not start at \"\")",
                ranges[0]));

        var reach = ranges[0];
        for (var i = 1; i < ranges.Count; i++)
        {
            var next = ranges[i];
            if (ByteKeyComparer.IsBeforeEnd(next.StartKey, reach.EndKey))
            {
                var overlapEnd = ByteKeyComparer.CompareEnds(reach.EndKey, next.EndKey) <= 0 ? reach.EndKey : next.EndKey;
                faults.Add(Fault(LayoutFaultKind.Overlap,
                    $"regions {Describe(reach)} and {Describe(next)} overlap on {KeyText.Range(next.StartKey, overlapEnd)}",
                    reach, next));
            }
            else if (ByteKeyComparer.Instance.Compare(reach.EndKey, next.StartKey) < 0)
            {
                faults.Add(Fault(LayoutFaultKind.Gap,
                    $"gap {KeyText.Range(reach.EndKey, next.StartKey)} between regions {Describe(reach)} and {Describe(next)}",
                    reach, next));
            }
            if (ByteKeyComparer.CompareEnds(next.EndKey, reach.EndKey) > 0) reach = next;
        }
        if (reach.EndKey.Length != 0)
            faults.Add(Fault(LayoutFaultKind.NotCoveringKeyspace,
                $"keyspace not covered: {KeyText.Range(reach.EndKey, [])} belongs to no region (the furthest, {Describe(reach)}, does not end at \"\")",
                reach));

        return new(faults.ToImmutable());
    }

    /// <summary>Validates and throws <see cref="ArgumentException"/> listing every fault when the layout is invalid.</summary>
    public static void EnsureValid(IReadOnlyList<Region> regions)
    {
        var result = Validate(regions);
        if (!result.IsValid)
            throw new ArgumentException($"invalid region layout:{Environment.NewLine}{result}", nameof(regions));
    }

    private static int CompareRanges(Region a, Region b)
    {
        var byStart = ByteKeyComparer.Instance.Compare(a.StartKey, b.StartKey);
        return byStart != 0 ? byStart : ByteKeyComparer.CompareEnds(a.EndKey, b.EndKey);
    }

    private static string Describe(Region region) => $"{region.Id} {region.RangeText}";

    private static LayoutFault Fault(LayoutFaultKind kind, string message, params Region[] regions) =>
        new(kind, message, [.. regions.Select(r => r.Id)]);
}
