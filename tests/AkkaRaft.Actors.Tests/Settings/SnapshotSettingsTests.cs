using Akka.Configuration;
using AkkaRaft.Actors.Settings;
using Xunit;

namespace AkkaRaft.Actors.Tests.Settings;

public sealed class SnapshotSettingsTests
{
    [Fact]
    public void Reference_conf_defaults_for_streamed_snapshots()
    {
        var settings = RaftSettings.Default;
        Assert.Equal(1024 * 1024, settings.SnapshotChunkBytes);
        Assert.Equal(1L << 30, settings.SnapshotMaxBytes);
        Assert.Equal(64L * 1024 * 1024, settings.SnapshotMaxBytesPerSecond);
        Assert.Equal(4, settings.SnapshotWindowChunks);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.SnapshotAckTimeout);
        Assert.Equal(4, settings.SnapshotMaxOutgoingTransfers);
        Assert.Equal(16, settings.SnapshotMaxQueuedTransfers);
    }

    [Fact]
    public void A_zero_rate_means_unlimited_and_is_accepted()
    {
        var settings = RaftSettings.Create(ConfigurationFactory.ParseString("akka-raft.snapshot.max-bytes-per-second = 0"));
        Assert.Equal(0, settings.SnapshotMaxBytesPerSecond);
    }

    [Theory]
    [InlineData("akka-raft.snapshot.chunk-bytes = 512", "akka-raft.snapshot.chunk-bytes")]
    [InlineData("akka-raft.snapshot.chunk-bytes = 4 MiB", "maximum-frame-size")]
    [InlineData("akka-raft.snapshot.max-bytes = 512 KiB", "at least akka-raft.snapshot.chunk-bytes")]
    [InlineData("akka-raft.snapshot.max-bytes = 3 GiB", "akka-raft.snapshot.max-bytes")]
    [InlineData("akka-raft.snapshot.window-chunks = 0", "akka-raft.snapshot.window-chunks")]
    [InlineData("akka-raft.snapshot.ack-timeout = 0s", "akka-raft.snapshot.ack-timeout")]
    [InlineData("akka-raft.snapshot.max-outgoing-transfers = 0", "akka-raft.snapshot.max-outgoing-transfers")]
    [InlineData("akka-raft.snapshot.max-queued-transfers = -1", "akka-raft.snapshot.max-queued-transfers")]
    [InlineData("akka-raft.snapshot.max-bytes-per-second = fast", "akka-raft.snapshot.max-bytes-per-second")]
    public void Invalid_values_fail_naming_the_key(string hocon, string named)
    {
        var error = Assert.Throws<RaftSettingsException>(() => RaftSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(named, error.Message);
    }
}
