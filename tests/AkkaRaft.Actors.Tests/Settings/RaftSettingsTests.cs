using Akka.Configuration;
using AkkaRaft.Actors.Settings;
using Xunit;

namespace AkkaRaft.Actors.Tests.Settings;

public sealed class RaftSettingsTests
{
    [Fact]
    public void Reference_conf_defaults_are_read_into_typed_settings()
    {
        var settings = RaftSettings.Create(Config.Empty);

        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.TickInterval);
        Assert.Equal(10, settings.ElectionTicks);
        Assert.Equal(2, settings.HeartbeatTicks);
        Assert.Equal(2, settings.SuspectedLeaderCampaignTicks);
        Assert.True(settings.PreVote);
        Assert.True(settings.CheckQuorum);
        Assert.Equal(ReadOnlyMode.Safe, settings.ReadOnlyMode);
        Assert.Equal(256, settings.MaxInflight);
        Assert.Equal(8L * 1024 * 1024, settings.MaxInflightBytes);
        Assert.Equal(1024L * 1024, settings.MaxBatchBytes);
        Assert.Equal(512L * 1024, settings.MaxEntryBytes);
        Assert.Equal(4L * 1024 * 1024, settings.MaxApplyBytes);
        Assert.Equal(300, settings.HibernateAfterTicks);
        Assert.Equal(10_000, settings.SnapshotEveryEntries);
        Assert.Equal(10_000, settings.MaxPendingProposals);
        Assert.Equal(10_000, settings.MaxPendingReads);
        Assert.Equal("akka.persistence.journal.akkaraft-sqlite", settings.JournalPluginId);
        Assert.Equal("akka.persistence.snapshot-store.akkaraft-sqlite", settings.SnapshotPluginId);
        Assert.Equal("data", settings.DataDir);
        Assert.Equal(settings, RaftSettings.Default);
    }

    [Fact]
    public void Default_batch_bound_fits_below_the_remote_frame_size_set_by_reference_conf()
    {
        var frame = RaftReferenceConfig.Value.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size");
        Assert.True(RaftSettings.Default.MaxBatchBytes < frame);
    }

    [Fact]
    public void User_values_override_the_reference_defaults()
    {
        var settings = RaftSettings.Create(ConfigurationFactory.ParseString("""
            akka-raft {
              tick-interval = 20ms
              election-ticks = 20
              heartbeat-ticks = 3
              pre-vote = off
              read-only-mode = lease
              max-entry-bytes = 64 KiB
              hibernate-after-ticks = 0
              data-dir = "/var/lib/akkaraft"
            }
            """));

        Assert.Equal(TimeSpan.FromMilliseconds(20), settings.TickInterval);
        Assert.Equal(20, settings.ElectionTicks);
        Assert.Equal(3, settings.HeartbeatTicks);
        Assert.False(settings.PreVote);
        Assert.Equal(ReadOnlyMode.Lease, settings.ReadOnlyMode);
        Assert.Equal(64L * 1024, settings.MaxEntryBytes);
        Assert.Equal(0, settings.HibernateAfterTicks);
        Assert.Equal("/var/lib/akkaraft", settings.DataDir);
    }

    [Fact]
    public void Heartbeat_not_below_election_timeout_is_rejected_with_both_keys_named()
    {
        var error = Assert.Throws<RaftSettingsException>(() =>
            RaftSettings.Create(ConfigurationFactory.ParseString("akka-raft.heartbeat-ticks = 12")));

        Assert.Equal("akka-raft.heartbeat-ticks = 12: must be less than akka-raft.election-ticks (10)", error.Message);
        Assert.Equal("akka-raft.heartbeat-ticks", error.Key);
    }

    [Theory]
    [InlineData("akka-raft.tick-interval = 0ms", "akka-raft.tick-interval", "must be greater than zero")]
    [InlineData("akka-raft.tick-interval = soon", "akka-raft.tick-interval", "not a duration")]
    [InlineData("akka-raft.election-ticks = 0", "akka-raft.election-ticks", "must be at least 1")]
    [InlineData("akka-raft.election-ticks = ten", "akka-raft.election-ticks", "not an integer")]
    [InlineData("akka-raft.heartbeat-ticks = 0", "akka-raft.heartbeat-ticks", "must be at least 1")]
    [InlineData("akka-raft.heartbeat-ticks = 10", "akka-raft.heartbeat-ticks", "must be less than akka-raft.election-ticks (10)")]
    [InlineData("akka-raft.suspected-leader-campaign-ticks = 0", "akka-raft.suspected-leader-campaign-ticks", "must be at least 1")]
    [InlineData("akka-raft.suspected-leader-campaign-ticks = 11", "akka-raft.suspected-leader-campaign-ticks", "must not exceed akka-raft.election-ticks (10)")]
    [InlineData("akka-raft.initial-election-spread-ticks = -1", "akka-raft.initial-election-spread-ticks", "must be at least 0")]
    [InlineData("akka-raft.pre-vote = maybe", "akka-raft.pre-vote", "not a boolean")]
    [InlineData("akka-raft.check-quorum = sometimes", "akka-raft.check-quorum", "not a boolean")]
    [InlineData("akka-raft.read-only-mode = eventual", "akka-raft.read-only-mode", "must be one of: safe, lease")]
    [InlineData("akka-raft { read-only-mode = lease, check-quorum = off }", "akka-raft.read-only-mode", "requires akka-raft.check-quorum = on")]
    [InlineData("akka-raft.max-inflight = 0", "akka-raft.max-inflight", "must be at least 1")]
    [InlineData("akka-raft.max-inflight-bytes = 100 KiB", "akka-raft.max-inflight-bytes", "must be at least akka-raft.max-batch-bytes (1048576)")]
    [InlineData("akka-raft.max-batch-bytes = plenty", "akka-raft.max-batch-bytes", "not a byte size")]
    [InlineData("akka-raft.max-batch-bytes = 0", "akka-raft.max-batch-bytes", "must be at least 1 byte")]
    [InlineData("akka-raft { max-batch-bytes = 4 MiB, max-inflight-bytes = 16 MiB }", "akka-raft.max-batch-bytes", "must be less than akka.remote.dot-netty.tcp.maximum-frame-size (4194304)")]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 128000b", "akka-raft.max-batch-bytes", "must be less than akka.remote.dot-netty.tcp.maximum-frame-size (128000)")]
    [InlineData("akka-raft.max-entry-bytes = 2 MiB", "akka-raft.max-entry-bytes", "must not exceed akka-raft.max-batch-bytes (1048576)")]
    [InlineData("akka-raft.max-apply-bytes = 1 KiB", "akka-raft.max-apply-bytes", "must be at least akka-raft.max-entry-bytes (524288)")]
    [InlineData("akka-raft.hibernate-after-ticks = 5", "akka-raft.hibernate-after-ticks", "must be 0 (off) or greater than akka-raft.election-ticks (10)")]
    [InlineData("akka-raft.hibernate-after-ticks = -1", "akka-raft.hibernate-after-ticks", "must be at least 0")]
    [InlineData("akka-raft.snapshot-every-entries = 0", "akka-raft.snapshot-every-entries", "must be at least 1")]
    [InlineData("akka-raft.max-pending-proposals = 0", "akka-raft.max-pending-proposals", "must be at least 1")]
    [InlineData("akka-raft.max-pending-reads = -3", "akka-raft.max-pending-reads", "must be at least 1")]
    [InlineData("akka-raft.journal-plugin-id = \"\"", "akka-raft.journal-plugin-id", "must not be empty")]
    [InlineData("akka-raft.snapshot-plugin-id = \" \"", "akka-raft.snapshot-plugin-id", "must not be empty")]
    [InlineData("akka-raft.data-dir = \"\"", "akka-raft.data-dir", "must not be empty")]
    public void Invalid_value_is_rejected_naming_the_full_key_and_the_reason(string hocon, string key, string reason)
    {
        var error = Assert.Throws<RaftSettingsException>(() => RaftSettings.Create(ConfigurationFactory.ParseString(hocon)));

        Assert.Equal(key, error.Key);
        Assert.StartsWith(key + " = ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Lease_reads_are_accepted_when_check_quorum_is_on()
    {
        var settings = RaftSettings.Create(ConfigurationFactory.ParseString("akka-raft { read-only-mode = lease, check-quorum = on }"));
        Assert.Equal(ReadOnlyMode.Lease, settings.ReadOnlyMode);
    }
}
