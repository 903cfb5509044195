using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using Xunit;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class InitialLayoutStartupTests
{
    private static RaftSettingsException Rejected(string hocon) =>
        Assert.Throws<RaftSettingsException>(() => RegionSettings.Create(ConfigurationFactory.ParseString(hocon)));

    [Fact]
    public void The_default_layout_is_two_regions_split_at_m()
    {
        var settings = RegionSettings.Create(Config.Empty);
        Assert.Equal(["[\"\", \"m\")", "[\"m\", \"\")"], settings.InitialRanges.Select(r => r.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(30), settings.HeartbeatInterval);
    }

    [Fact]
    public void Unsorted_split_keys_fail_naming_the_regions_at_fault()
    {
        var error = Rejected("akka-raft.region.initial-split-keys = [\"m\", \"c\"]");
        Assert.Equal("akka-raft.region.initial-split-keys", error.Key);
        Assert.Contains("region 2 [\"m\", \"c\") has an empty range", error.Message, StringComparison.Ordinal);
        Assert.Contains("regions are not sorted by start key: 2 [\"m\", \"c\") is listed before 3 [\"c\", \"\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_ranges_fail_naming_both_regions_and_the_shared_keys()
    {
        var error = Rejected("akka-raft.region.initial-ranges = [[\"\", \"m\"], [\"k\", \"\"]]");
        Assert.Equal("akka-raft.region.initial-ranges", error.Key);
        Assert.Contains("regions 1 [\"\", \"m\") and 2 [\"k\", \"\") overlap on [\"k\", \"m\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gapped_ranges_fail_naming_the_gap_and_its_neighbours()
    {
        var error = Rejected("akka-raft.region.initial-ranges = [[\"\", \"c\"], [\"f\", \"\"]]");
        Assert.Contains("gap [\"c\", \"f\") between regions 1 [\"\", \"c\") and 2 [\"f\", \"\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_ranges_win_over_split_keys_and_a_range_must_be_a_pair()
    {
        var settings = RegionSettings.Create(ConfigurationFactory.ParseString("akka-raft.region.initial-ranges = [[\"\", \"g\"], [\"g\", \"t\"], [\"t\", \"\"]]"));
        Assert.Equal(3, settings.InitialRanges.Length);
        Assert.Contains("range #0 must be a pair", Rejected("akka-raft.region.initial-ranges = [[\"\"]]").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Router_and_heartbeat_values_are_validated()
    {
        Assert.Equal("akka-raft.placement.heartbeat-interval", Rejected("akka-raft.placement.heartbeat-interval = 0s").Key);
        Assert.Equal("akka-raft.router.attempt-timeout", Rejected("akka-raft.router { attempt-timeout = 20s, request-timeout = 10s }").Key);
        Assert.Equal("akka-raft.router.max-in-flight", Rejected("akka-raft.router.max-in-flight = 0").Key);
    }

    [Fact]
    public async Task Starting_a_node_with_a_bad_layout_fails_before_anything_starts()
    {
        var system = ActorSystem.Create("bad-layout", ConfigurationFactory.ParseString("akka-raft.region.initial-ranges = [[\"\", \"c\"], [\"f\", \"\"]]"));
        try
        {
            var error = Assert.Throws<RaftSettingsException>(() => AkkaRaftKv.StartNode(system, 1, [1, 2, 3]));
            Assert.Contains("between regions 1", error.Message, StringComparison.Ordinal);
            Assert.Null(AkkaRaftExtension.Get(system).Node);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
