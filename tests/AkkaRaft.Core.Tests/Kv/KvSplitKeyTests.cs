using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

public class KvSplitKeyTests
{
    private static KvStateMachine WithKeys(Region region, int count, int valueBytes = 10)
    {
        var machine = new KvStateMachine(region);
        var pairs = Enumerable.Range(0, count).Select(i => new KeyValue(K($"k{i:D4}"), new byte[valueBytes])).ToArray();
        machine.Apply([new CommittedCommand(1, 1, KvCommandCodec.Encode(new MSetCommand(region.Id, region.Epoch, 0, [.. pairs])))]);
        return machine;
    }

    [Fact]
    public void Split_key_of_evenly_sized_keys_lies_near_the_middle_even_when_sampled()
    {
        var machine = WithKeys(R(1, "", ""), 5000);

        var key = S(machine.ChooseSplitKey(maxSamples: 64));

        var position = int.Parse(key[1..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(position, 2400, 2600);
    }

    [Fact]
    public void Split_key_is_never_the_region_start_and_never_leaves_a_half_empty()
    {
        var region = R(1, "k0000", "");
        var two = WithKeys(region, 2);

        Assert.Equal("k0001", S(two.ChooseSplitKey()));
        Assert.Null(WithKeys(region, 1).ChooseSplitKey());
        Assert.Null(new KvStateMachine(region).ChooseSplitKey());
    }

    [Fact]
    public void The_split_off_half_starts_at_the_split_initial_index_so_every_replica_bootstraps_the_same_log()
    {
        var machine = WithKeys(R(1, "", ""), 10);

        var right = machine.SplitOff(K("k0005"), new Region(7, K("k0005"), [], new RegionEpoch(1, 2), ThreePeers(7)));

        Assert.Equal(KvStateMachine.SplitInitialIndex, right.AppliedIndex);
        var copy = new KvStateMachine(right.Region);
        copy.Restore(right.TakeSnapshot(), KvStateMachine.SplitInitialIndex);
        Assert.Equal((5, right.ApproximateSizeBytes), (copy.KeyCount, copy.ApproximateSizeBytes));
    }
}
