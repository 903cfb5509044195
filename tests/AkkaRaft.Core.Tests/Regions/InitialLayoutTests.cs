using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class InitialLayoutTests
{
    [Fact]
    public void Default_layout_is_two_regions_split_at_m()
    {
        var layout = InitialLayout.CreateDefault(1, 2, id => ThreePeers(id));
        Assert.Equal(["region 1 [\"\", \"m\") v1/1", "region 2 [\"m\", \"\") v1/1"], layout.Select(r => r.ToString()));
        Assert.Equal<RegionPeer>(ThreePeers(2), layout[1].Peers);
        Assert.True(LayoutValidation.Validate(layout).IsValid);
    }

    [Fact]
    public void Split_keys_cut_the_keyspace_in_order()
    {
        var layout = InitialLayout.Create([K("f"), K("p"), K("t")], [10, 11, 12, 13], _ => []);
        Assert.Equal("[\"\", \"f\") [\"f\", \"p\") [\"p\", \"t\") [\"t\", \"\")", string.Join(" ", layout.Select(r => r.RangeText)));
        Assert.Equal([10ul, 11ul, 12ul, 13ul], layout.Select(r => r.Id));
    }

    [Fact]
    public void Bad_split_keys_or_ids_are_rejected_with_a_reason()
    {
        Assert.Contains("strictly increasing", Assert.Throws<ArgumentException>(() => InitialLayout.Create([K("p"), K("f")], [1, 2, 3], _ => [])).Message);
        Assert.Contains("strictly increasing", Assert.Throws<ArgumentException>(() => InitialLayout.Create([K("p"), K("p")], [1, 2, 3], _ => [])).Message);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => InitialLayout.Create([K("")], [1, 2], _ => [])).Message);
        Assert.Contains("3 region ids", Assert.Throws<ArgumentException>(() => InitialLayout.Create([K("m")], [1, 2, 3], _ => [])).Message);
        Assert.Contains("share id 1", Assert.Throws<ArgumentException>(() => InitialLayout.Create([K("m")], [1, 1], _ => [])).Message);
    }
}
