using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class RegionTests
{
    [Fact]
    public void Contains_is_start_inclusive_end_exclusive()
    {
        var region = R(1, "b", "m");
        Assert.True(region.Contains(K("b")));
        Assert.True(region.Contains(K("lzzz")));
        Assert.False(region.Contains(K("m")));
        Assert.False(region.Contains(K("a")));
        Assert.False(region.Contains(K("")));
    }

    [Fact]
    public void Empty_start_and_end_are_unbounded()
    {
        var whole = R(1, "", "");
        Assert.True(whole.Contains(K("")));
        Assert.True(whole.Contains([0xff, 0xff, 0xff]));
        Assert.True(R(2, "", "m").Contains(K("")));
        Assert.True(R(3, "m", "").Contains([0xff]));
    }

    [Fact]
    public void Keys_compare_as_unsigned_bytes_with_prefixes_first()
    {
        var region = R(1, "a", "b");
        Assert.True(region.Contains([(byte)'a', 0x80])); // 0x80 must not sort as negative
        Assert.True(region.Contains([(byte)'a', 0xff, 0xff]));
        Assert.False(region.Contains([(byte)'b', 0x00]));
        Assert.True(ByteKeyComparer.Instance.Compare(K("ab"), K("abc")) < 0);
        Assert.True(ByteKeyComparer.Instance.Compare([0x7f], [0x80]) < 0);
    }

    [Fact]
    public void Equality_compares_keys_by_content()
    {
        Assert.Equal(R(1, "a", "m"), R(1, "a", "m"));
        Assert.True(R(1, "a", "m") == R(1, "a", "m"));
        Assert.Equal(R(1, "a", "m").GetHashCode(), R(1, "a", "m").GetHashCode());
        Assert.NotEqual(R(1, "a", "m"), R(1, "a", "n"));
        Assert.NotEqual(R(1, "a", "m"), R(1, "a", "m", version: 2));
        Assert.NotEqual(R(1, "a", "m"), R(1, "a", "m").WithPeers([]));
    }

    [Fact]
    public void Region_copies_its_keys_so_callers_cannot_move_its_range()
    {
        var start = K("a");
        var region = new Region(1, start, K("m"), RegionEpoch.Initial, []);
        start[0] = (byte)'z';
        Assert.True(region.Contains(K("b")));
    }

    [Fact]
    public void ToString_shows_id_quoted_range_and_epoch()
    {
        Assert.Equal("region 12 [\"\", \"m\") v1/1", R(12, "", "m").ToString());
        Assert.Equal("region 3 [\"\\x00\\xff\", \"\") v2/5", new Region(3, [0x00, 0xff], [], new RegionEpoch(2, 5), []).ToString());
    }

    [Fact]
    public void Epoch_is_stale_when_either_component_lags()
    {
        var current = new RegionEpoch(3, 5);
        Assert.True(new RegionEpoch(2, 5).IsStaleComparedTo(current));
        Assert.True(new RegionEpoch(3, 4).IsStaleComparedTo(current));
        Assert.True(new RegionEpoch(4, 4).IsStaleComparedTo(current));
        Assert.False(current.IsStaleComparedTo(current));
        Assert.False(new RegionEpoch(3, 6).IsStaleComparedTo(current));
        Assert.True(new RegionEpoch(3, 6).IsNewerThan(current));
        Assert.False(current.IsNewerThan(current));
        Assert.Equal(new RegionEpoch(3, 6), current.WithNextVersion());
        Assert.Equal(new RegionEpoch(4, 5), current.WithNextConfVersion());
    }
}
