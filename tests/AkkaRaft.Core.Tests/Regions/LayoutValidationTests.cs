using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class LayoutValidationTests
{
    [Fact]
    public void Default_two_region_layout_is_valid()
    {
        var result = LayoutValidation.Validate([R(1, "", "m"), R(2, "m", "")]);
        Assert.True(result.IsValid, result.ToString());
        Assert.True(LayoutValidation.Validate([R(1, "", "")]).IsValid);
    }

    [Fact]
    public void Overlap_names_both_regions_and_the_shared_range()
    {
        var fault = Assert.Single(LayoutValidation.Validate([R(1, "", "n"), R(2, "m", "")]).Faults);
        Assert.Equal(LayoutFaultKind.Overlap, fault.Kind);
        Assert.Equal("regions 1 [\"\", \"n\") and 2 [\"m\", \"\") overlap on [\"m\", \"n\")", fault.Message);
        Assert.Equal<ulong>([1ul, 2ul], fault.RegionIds);
    }

    [Fact]
    public void Overlap_with_a_region_nested_inside_another_is_found()
    {
        var faults = LayoutValidation.Validate([R(1, "", ""), R(2, "c", "d"), R(3, "x", "")]).Faults;
        Assert.Equal(2, faults.Length);
        Assert.All(faults, f => Assert.Equal(LayoutFaultKind.Overlap, f.Kind));
        Assert.Equal("regions 1 [\"\", \"\") and 2 [\"c\", \"d\") overlap on [\"c\", \"d\")", faults[0].Message);
        Assert.Equal("regions 1 [\"\", \"\") and 3 [\"x\", \"\") overlap on [\"x\", \"\")", faults[1].Message);
    }

    [Fact]
    public void Gap_names_the_missing_range_and_its_neighbours()
    {
        var fault = Assert.Single(LayoutValidation.Validate([R(1, "", "k"), R(2, "m", "")]).Faults);
        Assert.Equal(LayoutFaultKind.Gap, fault.Kind);
        Assert.Equal("gap [\"k\", \"m\") between regions 1 [\"\", \"k\") and 2 [\"m\", \"\")", fault.Message);
    }

    [Fact]
    public void Unsorted_input_is_reported_but_the_ranges_are_still_checked()
    {
        var faults = LayoutValidation.Validate([R(2, "m", ""), R(1, "", "m")]).Faults;
        var fault = Assert.Single(faults);
        Assert.Equal(LayoutFaultKind.Unsorted, fault.Kind);
        Assert.Equal("regions are not sorted by start key: 2 [\"m\", \"\") is listed before 1 [\"\", \"m\")", fault.Message);
    }

    [Fact]
    public void Missing_start_and_end_of_keyspace_are_reported()
    {
        var faults = LayoutValidation.Validate([R(1, "b", "m"), R(2, "m", "y")]).Faults;
        Assert.Equal(2, faults.Length);
        Assert.All(faults, f => Assert.Equal(LayoutFaultKind.NotCoveringKeyspace, f.Kind));
        Assert.Equal("keyspace not covered: [\"\", \"b\") belongs to no region (the first, 1 [\"b\", \"m\"), does not start at \"\")", faults[0].Message);
        Assert.Equal("keyspace not covered: [\"y\", \"\") belongs to no region (the furthest, 2 [\"m\", \"y\"), does not end at \"\")", faults[1].Message);
    }

    [Fact]
    public void No_regions_do_not_cover_the_keyspace()
    {
        var fault = Assert.Single(LayoutValidation.Validate([]).Faults);
        Assert.Equal(LayoutFaultKind.NotCoveringKeyspace, fault.Kind);
        Assert.Contains("no regions", fault.Message);
    }

    [Fact]
    public void Empty_and_inverted_ranges_are_reported()
    {
        var faults = LayoutValidation.Validate([R(1, "", "m"), R(3, "m", "m"), R(2, "m", "")]).Faults;
        var fault = Assert.Single(faults);
        Assert.Equal(LayoutFaultKind.EmptyRange, fault.Kind);
        Assert.Equal("region 3 [\"m\", \"m\") has an empty range: its start is not below its end", fault.Message);

        var inverted = LayoutValidation.Validate([R(1, "", "m"), R(2, "m", ""), R(4, "z", "q")]).Faults;
        Assert.Contains(inverted, f => f.Kind == LayoutFaultKind.EmptyRange && f.Message.StartsWith("region 4 [\"z\", \"q\")", StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_ids_are_reported_with_both_ranges()
    {
        var fault = Assert.Single(LayoutValidation.Validate([R(1, "", "m"), R(1, "m", "")]).Faults);
        Assert.Equal(LayoutFaultKind.DuplicateId, fault.Kind);
        Assert.Equal("regions 1 [\"\", \"m\") and 1 [\"m\", \"\") share id 1", fault.Message);
    }

    [Fact]
    public void Every_fault_is_listed_not_just_the_first()
    {
        var result = LayoutValidation.Validate([R(1, "a", "d"), R(1, "c", "f"), R(3, "h", "j")]);
        var kinds = result.Faults.Select(f => f.Kind).ToList();
        Assert.Contains(LayoutFaultKind.DuplicateId, kinds);
        Assert.Contains(LayoutFaultKind.Overlap, kinds);
        Assert.Contains(LayoutFaultKind.Gap, kinds);
        Assert.Equal(2, kinds.Count(k => k == LayoutFaultKind.NotCoveringKeyspace));
        var thrown = Assert.Throws<ArgumentException>(() => LayoutValidation.EnsureValid([R(1, "a", "d"), R(1, "c", "f"), R(3, "h", "j")]));
        Assert.Contains("gap [\"f\", \"h\")", thrown.Message);
        Assert.Contains("share id 1", thrown.Message);
    }
}
