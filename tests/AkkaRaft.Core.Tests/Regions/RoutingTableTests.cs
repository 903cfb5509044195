using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class RoutingTableTests
{
    private static readonly RoutingTable ThreeRegions = new([R(3, "t", ""), R(1, "", "m"), R(2, "m", "t")]);

    [Theory]
    [InlineData("", 1ul)]
    [InlineData("a", 1ul)]
    [InlineData("lzzzz", 1ul)]
    [InlineData("m", 2ul)]
    [InlineData("m\0", 2ul)]
    [InlineData("szz", 2ul)]
    [InlineData("t", 3ul)]
    [InlineData("zzzzzzzz", 3ul)]
    public void Find_returns_the_region_whose_range_holds_the_key(string key, ulong expectedRegion) =>
        Assert.Equal(expectedRegion, ThreeRegions.Find(K(key))!.Id);

    [Fact]
    public void Find_handles_keys_above_every_split_and_high_bytes()
    {
        Assert.Equal(3ul, ThreeRegions.Find([0xff, 0xff, 0xff, 0xff])!.Id);
        Assert.Equal(1ul, ThreeRegions.Find([0x00])!.Id);
    }

    [Fact]
    public void Find_returns_null_in_a_gap_and_on_an_empty_table()
    {
        var gapped = new RoutingTable([R(1, "", "c"), R(2, "f", "")]);
        Assert.Null(gapped.Find(K("d")));
        Assert.Equal(2ul, gapped.Find(K("f"))!.Id);
        Assert.Null(RoutingTable.Empty.Find(K("a")));
        Assert.Null(new RoutingTable([R(1, "b", "c")]).Find(K("a")));
        Assert.Null(new RoutingTable([R(1, "b", "c")]).Find(K("c")));
    }

    [Fact]
    public void Find_agrees_with_a_linear_scan_on_many_regions()
    {
        const int seed = 1125;
        var random = new Random(seed);
        var splits = Enumerable.Range(0, 200).Select(_ => RandomKey(random)).Distinct(ByteKeyComparer.Instance)
            .Where(k => k.Length > 0).OrderBy(k => k, ByteKeyComparer.Instance).ToList();
        var regions = InitialLayout.Create(splits, Enumerable.Range(1, splits.Count + 1).Select(i => (ulong)i).ToList(), _ => []);
        var table = new RoutingTable(regions.Reverse());
        for (var i = 0; i < 2_000; i++)
        {
            var key = RandomKey(random);
            var expected = regions.Single(r => r.Contains(key));
            Assert.True(expected == table.Find(key), $"seed {seed}: key {KeyText.Quote(key)} expected {expected}, found {table.Find(key)}");
        }
    }

    [Fact]
    public void ById_finds_regions_and_null_for_unknown_ids()
    {
        Assert.Equal(R(2, "m", "t"), ThreeRegions.ById(2));
        Assert.Null(ThreeRegions.ById(99));
    }

    [Fact]
    public void Constructor_rejects_overlaps_and_duplicate_ids()
    {
        var overlap = Assert.Throws<ArgumentException>(() => new RoutingTable([R(1, "", "n"), R(2, "m", "")]));
        Assert.Contains("overlap", overlap.Message);
        var duplicate = Assert.Throws<ArgumentException>(() => new RoutingTable([R(1, "", "m"), R(1, "m", "")]));
        Assert.Contains("share id 1", duplicate.Message);
    }

    [Fact]
    public void Replace_applies_a_split_reported_with_newer_epochs()
    {
        var table = new RoutingTable([R(1, "", "m"), R(2, "m", "")]);
        var updated = table.Replace([R(2, "m", "s", version: 2), R(5, "s", "", version: 2)]);
        Assert.Equal(3, updated.Count);
        Assert.Equal(5ul, updated.Find(K("x"))!.Id);
        Assert.Equal(2ul, updated.Find(K("p"))!.Id);
        Assert.Equal(new RegionEpoch(1, 2), updated.ById(2)!.Epoch);
        Assert.Equal(2, table.Count); // the original is unchanged
    }

    [Fact]
    public void Replace_applies_the_right_half_alone_and_leaves_a_gap_for_the_stale_left()
    {
        var table = new RoutingTable([R(1, "", "m"), R(2, "m", "")]);
        var updated = table.Replace([R(5, "s", "", version: 2)]);
        Assert.Null(updated.Find(K("p"))); // region 2's old range is known to be outdated: route by refreshing
        Assert.Equal(5ul, updated.Find(K("x"))!.Id);
        Assert.Equal(1ul, updated.Find(K("a"))!.Id);
    }

    [Fact]
    public void Replace_ignores_stale_or_equal_regions()
    {
        var table = new RoutingTable([R(1, "", "m"), R(2, "m", "s", version: 2), R(5, "s", "", version: 2)]);
        Assert.Same(table, table.Replace([R(2, "m", "", version: 1)])); // pre-split view of region 2
        Assert.Same(table, table.Replace([R(2, "m", "s", version: 2)]));
        Assert.Same(table, table.Replace([R(7, "r", "z", version: 1)])); // overlaps a newer split
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[random.Next(0, 4)];
        random.NextBytes(key);
        return key;
    }
}
