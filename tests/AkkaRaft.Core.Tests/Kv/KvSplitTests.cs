using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;
using static AkkaRaft.Core.Tests.Kv.KvHarness;

namespace AkkaRaft.Core.Tests.Kv;

public class KvSplitTests
{
    private static KvHarness Filled()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("a", "1"), ("c", "3"), ("f", "6"), ("g", "7"), ("k", "11"));
        return kv;
    }

    [Fact]
    public void SplitOff_moves_the_right_half_and_bumps_the_left_version()
    {
        var kv = Filled();
        var sizeBefore = kv.Machine.ApproximateSizeBytes;
        var rightRegion = new Region(5, K("f"), K("m"), new RegionEpoch(1, 2), ThreePeers(5));
        var right = kv.Machine.SplitOff(K("f"), rightRegion);

        Assert.Equal("region 1 [\"\", \"f\") v1/2", kv.Machine.Region.ToString());
        Assert.Equal(rightRegion, right.Region);
        Assert.Equal(2, kv.Machine.KeyCount);
        Assert.Equal(3, right.KeyCount);
        Assert.Equal(sizeBefore, kv.Machine.ApproximateSizeBytes + right.ApproximateSizeBytes);
        Assert.Equal(Value("6"), right.Read(new GetCommand(5, new RegionEpoch(1, 2), K("f")), 1_000));
        Assert.Equal(Value("3"), kv.Machine.Read(new GetCommand(1, new RegionEpoch(1, 2), K("c")), 1_000));
        Assert.IsType<KvResult.KeyNotInRegion>(kv.Machine.Read(new GetCommand(1, new RegionEpoch(1, 2), K("g")), 1_000));
    }

    [Fact]
    public void SplitOff_rejects_keys_not_strictly_inside_and_mismatched_regions()
    {
        var kv = Filled();
        Assert.Throws<ArgumentException>(() => kv.Machine.SplitOff(K(""), new Region(5, K(""), K("m"), RegionEpoch.Initial, [])));
        Assert.Throws<ArgumentException>(() => kv.Machine.SplitOff(K("m"), new Region(5, K("m"), K("m"), RegionEpoch.Initial, [])));
        Assert.Throws<ArgumentException>(() => kv.Machine.SplitOff(K("f"), new Region(5, K("f"), K(""), RegionEpoch.Initial, [])));
        Assert.Throws<ArgumentException>(() => kv.Machine.SplitOff(K("f"), new Region(1, K("f"), K("m"), RegionEpoch.Initial, [])));
        Assert.Equal(5, kv.Machine.KeyCount);
        Assert.Equal(RegionEpoch.Initial, kv.Machine.Region.Epoch);
    }

    [Fact]
    public void Split_command_applies_once_and_a_replay_with_the_old_epoch_is_rejected()
    {
        var kv = Filled();
        var split = new SplitCommand(1, Epoch, 1_000, K("f"), 5, [51, 52, 53]);
        var result = Assert.IsType<KvResult.SplitResult>(kv.Apply(split));
        Assert.Equal("region 1 [\"\", \"f\") v1/2", result.Left.ToString());
        Assert.Equal("region 5 [\"f\", \"m\") v1/2", result.Right.ToString());
        Assert.Equal([51ul, 52ul, 53ul], result.Right.Peers.Select(p => p.PeerId));
        Assert.Equal([1ul, 2ul, 3ul], result.Right.Peers.Select(p => p.StoreId));
        Assert.Equal(3, result.RightHalf.KeyCount);

        // A second leader proposing the same split with the epoch it saw must not split again.
        Assert.IsType<KvResult.EpochNotMatch>(kv.Apply(split with { SplitKey = K("c"), NewRegionId = 6 }));
        Assert.Equal(2, kv.Machine.KeyCount);
        // Writes routed before the split are rejected too, even for keys still in the left half.
        Assert.IsType<KvResult.EpochNotMatch>(kv.Set("a", "stale"));
    }

    [Fact]
    public void Split_command_with_a_bad_key_or_peer_count_is_rejected_without_change()
    {
        var kv = Filled();
        Assert.IsType<KvResult.InvalidCommand>(kv.Apply(new SplitCommand(1, Epoch, 1_000, K(""), 5, [51, 52, 53])));
        Assert.IsType<KvResult.KeyNotInRegion>(kv.Apply(new SplitCommand(1, Epoch, 1_000, K("q"), 5, [51, 52, 53])));
        Assert.IsType<KvResult.InvalidCommand>(kv.Apply(new SplitCommand(1, Epoch, 1_000, K("f"), 5, [51])));
        Assert.IsType<KvResult.InvalidCommand>(kv.Apply(new SplitCommand(1, Epoch, 1_000, K("f"), 1, [51, 52, 53])));
        Assert.IsType<KvResult.EpochNotMatch>(kv.Apply(new SplitCommand(1, new RegionEpoch(2, 1), 1_000, K("f"), 5, [51, 52, 53])));
        Assert.Equal(5, kv.Machine.KeyCount);
        Assert.Equal(Epoch, kv.Machine.Region.Epoch);
    }
}
