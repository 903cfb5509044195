using Akka.Configuration;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Settings;
using Xunit;

namespace AkkaRaft.Actors.Tests.Settings;

public sealed class SplitSettingsTests
{
    [Fact]
    public void Split_size_defaults_to_96_MiB_checked_every_10_seconds()
    {
        var settings = RegionSettings.Create(ConfigurationFactory.Empty);

        Assert.Equal(96L * 1024 * 1024, settings.SplitSizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.SplitCheckInterval);
    }

    [Fact]
    public void Split_size_in_bytes_as_the_host_writes_it_is_read()
    {
        var settings = RegionSettings.Create(ConfigurationFactory.ParseString("akka-raft.region { split-size = 65536, split-check-interval = 250ms }"));

        Assert.Equal(65536L, settings.SplitSizeBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.SplitCheckInterval);
    }

    [Theory]
    [InlineData("akka-raft.region.split-size = 1000", "akka-raft.region.split-size")]
    [InlineData("akka-raft.region.split-size = 96MiB", "akka-raft.region.split-size")]
    [InlineData("akka-raft.region.split-size = -5", "akka-raft.region.split-size")]
    [InlineData("akka-raft.region.split-check-interval = 0s", "akka-raft.region.split-check-interval")]
    [InlineData("akka-raft.placement.heartbeat-batch-regions = 0", "akka-raft.placement.heartbeat-batch-regions")]
    public void Invalid_split_settings_are_rejected_naming_the_key(string hocon, string key)
    {
        var error = Assert.Throws<RaftSettingsException>(() => RegionSettings.Create(ConfigurationFactory.ParseString(hocon)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
