using Akka.Configuration;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Settings;
using Xunit;

namespace AkkaRaft.Actors.Tests.Settings;

/// <summary>akka-raft.region.expiry-sweep-*: defaults, overrides and bad values.</summary>
public class ExpirySweepSettingsTests
{
    [Fact]
    public void Expiry_sweeps_default_to_1000_keys_per_region_every_second_and_can_be_changed()
    {
        var defaults = RegionSettings.Create(ConfigurationFactory.Empty);
        Assert.Equal((TimeSpan.FromSeconds(1), 1000), (defaults.ExpirySweepInterval, defaults.ExpirySweepKeys));
        var changed = RegionSettings.Create(ConfigurationFactory.ParseString("akka-raft.region { expiry-sweep-interval = 250ms, expiry-sweep-keys = 50 }"));
        Assert.Equal((TimeSpan.FromMilliseconds(250), 50), (changed.ExpirySweepInterval, changed.ExpirySweepKeys));
    }

    [Theory]
    [InlineData("akka-raft.region.expiry-sweep-interval = 0s", "akka-raft.region.expiry-sweep-interval")]
    [InlineData("akka-raft.region.expiry-sweep-interval = soon", "akka-raft.region.expiry-sweep-interval")]
    [InlineData("akka-raft.region.expiry-sweep-keys = 0", "akka-raft.region.expiry-sweep-keys")]
    [InlineData("akka-raft.region.expiry-sweep-keys = many", "akka-raft.region.expiry-sweep-keys")]
    public void Invalid_expiry_sweep_settings_are_rejected_naming_the_key(string hocon, string key)
    {
        var error = Assert.Throws<RaftSettingsException>(() => RegionSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
