using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class SplitPlanningTests
{
    private static KeySize[] Sample(params (string Key, long Size)[] samples) => samples.Select(s => new KeySize(K(s.Key), s.Size)).ToArray();

    [Fact]
    public void Equal_sizes_split_in_the_middle()
    {
        var key = SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 10), ("b", 10), ("c", 10), ("d", 10)));
        Assert.Equal("c", S(key));
    }

    [Fact]
    public void Split_follows_cumulative_size_not_key_count()
    {
        var key = SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 1), ("b", 1), ("c", 1), ("d", 100), ("e", 1)));
        Assert.Equal("d", S(key)); // 3 | 101 is closer to even than 103 | 1
        var heavyFirst = SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 100), ("b", 1), ("c", 1)));
        Assert.Equal("b", S(heavyFirst)); // never an empty left half, even though "a" alone outweighs everything
    }

    [Fact]
    public void Split_key_is_never_the_start_key_and_never_leaves_a_half_empty()
    {
        var key = SplitPlanning.ChooseSplitKey(R(1, "m", ""), Sample(("m", 1000), ("n", 1)));
        Assert.Equal("n", S(key));
        var seed = 4242;
        var random = new Random(seed);
        for (var round = 0; round < 500; round++)
        {
            var keys = Enumerable.Range(0, random.Next(2, 12)).Select(i => $"k{i:D2}").ToArray();
            var sample = keys.Select(k => new KeySize(K(k), random.Next(0, 50))).ToArray();
            var region = R(1, keys[0], "");
            var chosen = SplitPlanning.ChooseSplitKey(region, sample);
            Assert.True(chosen is not null, $"seed {seed} round {round}");
            Assert.True(ByteKeyComparer.Instance.Compare(chosen, region.StartKey) > 0, $"seed {seed} round {round}: split at start");
            Assert.True(ByteKeyComparer.Instance.Compare(chosen, sample[^1].Key) <= 0, $"seed {seed} round {round}: empty right half");
        }
    }

    [Fact]
    public void Impossible_splits_return_null()
    {
        Assert.Null(SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 500))));
        Assert.Null(SplitPlanning.ChooseSplitKey(R(1, "", ""), []));
        Assert.Null(SplitPlanning.ChooseSplitKey(R(1, "m", "p"), Sample(("a", 5), ("n", 5), ("q", 5)))); // only one key inside
    }

    [Fact]
    public void Zero_sizes_fall_back_to_the_middle_key()
    {
        Assert.Equal("c", S(SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 0), ("b", 0), ("c", 0), ("d", 0), ("e", 0)))));
    }

    [Fact]
    public void Unsorted_or_negative_samples_are_caller_bugs()
    {
        Assert.Throws<ArgumentException>(() => SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("b", 1), ("a", 1))));
        Assert.Throws<ArgumentException>(() => SplitPlanning.ChooseSplitKey(R(1, "", ""), Sample(("a", 1), ("b", -1))));
    }
}
