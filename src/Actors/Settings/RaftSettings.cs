using System.Globalization;
using Akka.Configuration;

namespace AkkaRaft.Actors.Settings;

/// <summary>Typed, validated akka-raft settings, read once from HOCON with the embedded reference.conf as fallback.</summary>
public sealed record RaftSettings
{
    private const string Root = "akka-raft";
    private const string FrameSizeKey = "akka.remote.dot-netty.tcp.maximum-frame-size";
    // Room for a chunk's header, the remote envelope and the actor paths around its data.
    private const int ChunkFramingBytes = 4096;

    /// <summary>Length of one logical tick.</summary>
    public required TimeSpan TickInterval { get; init; }

    /// <summary>Ticks without a leader before a follower starts an election.</summary>
    public required int ElectionTicks { get; init; }

    /// <summary>Ticks between leader heartbeats.</summary>
    public required int HeartbeatTicks { get; init; }

    /// <summary>A follower whose leader's node the transport lost campaigns within a random 1..this many ticks.</summary>
    public required int SuspectedLeaderCampaignTicks { get; init; }

    /// <summary>
    /// First elections of new groups are spread over this many ticks: one replica per group, chosen by group id, stands
    /// first at a tick chosen by group id; the others wait out the spread before standing (0: every replica random as usual).
    /// </summary>
    public required int InitialElectionSpreadTicks { get; init; }

    /// <summary>Whether elections run a PreVote round first.</summary>
    public required bool PreVote { get; init; }

    /// <summary>Whether a leader steps down when it loses contact with a quorum.</summary>
    public required bool CheckQuorum { get; init; }

    /// <summary>How linearizable reads are served.</summary>
    public required ReadOnlyMode ReadOnlyMode { get; init; }

    /// <summary>Unacknowledged append messages per follower.</summary>
    public required int MaxInflight { get; init; }

    /// <summary>Unacknowledged entry bytes per follower.</summary>
    public required long MaxInflightBytes { get; init; }

    /// <summary>Upper bound of one outbound envelope to one node.</summary>
    public required long MaxBatchBytes { get; init; }

    /// <summary>Largest accepted proposal.</summary>
    public required long MaxEntryBytes { get; init; }

    /// <summary>Committed entry bytes applied per Ready.</summary>
    public required long MaxApplyBytes { get; init; }

    /// <summary>Idle ticks before a group hibernates; 0 means never.</summary>
    public required int HibernateAfterTicks { get; init; }

    /// <summary>Applied entries between snapshots.</summary>
    public required long SnapshotEveryEntries { get; init; }

    /// <summary>Applied entries a leader keeps in memory beyond its compaction point for followers still catching up.</summary>
    public required long FollowerCatchUpLogBytes { get; init; }

    /// <summary>Proposals queued per group before ServerIsBusy.</summary>
    public required int MaxPendingProposals { get; init; }

    /// <summary>Read requests queued per group before ServerIsBusy.</summary>
    public required int MaxPendingReads { get; init; }

    /// <summary>Largest chunk of a streamed snapshot transfer.</summary>
    public required int SnapshotChunkBytes { get; init; }

    /// <summary>Largest encoded snapshot a node accepts; with <see cref="SnapshotChunkBytes"/> it bounds a transfer's chunk count.</summary>
    public required long SnapshotMaxBytes { get; init; }

    /// <summary>Snapshot chunk bytes a node sends per second over all its transfers; 0 means unlimited.</summary>
    public required long SnapshotMaxBytesPerSecond { get; init; }

    /// <summary>Unacknowledged chunks per snapshot transfer.</summary>
    public required int SnapshotWindowChunks { get; init; }

    /// <summary>Without an ack for this long, a snapshot transfer resends from the receiver's next expected chunk.</summary>
    public required TimeSpan SnapshotAckTimeout { get; init; }

    /// <summary>Snapshot transfers a node sends at once.</summary>
    public required int SnapshotMaxOutgoingTransfers { get; init; }

    /// <summary>Snapshot transfers waiting for a free slot; more are rejected (the group resends later).</summary>
    public required int SnapshotMaxQueuedTransfers { get; init; }

    /// <summary>Akka.Persistence journal plugin id used by Raft groups.</summary>
    public required string JournalPluginId { get; init; }

    /// <summary>Akka.Persistence snapshot store plugin id used by Raft groups.</summary>
    public required string SnapshotPluginId { get; init; }

    /// <summary>Node data directory.</summary>
    public required string DataDir { get; init; }

    /// <summary>The settings of reference.conf alone.</summary>
    public static RaftSettings Default { get; } = Create(Config.Empty);

    /// <summary>Reads and validates akka-raft from <paramref name="config"/> (a full system config), falling back to reference.conf.</summary>
    /// <exception cref="RaftSettingsException">A value is malformed, out of range or inconsistent with another.</exception>
    public static RaftSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = config.WithFallback(RaftReferenceConfig.Value);
        var reader = new SettingReader(full);

        var settings = new RaftSettings
        {
            TickInterval = reader.PositiveDuration("tick-interval"),
            ElectionTicks = reader.Int("election-ticks", min: 1),
            HeartbeatTicks = reader.Int("heartbeat-ticks", min: 1),
            SuspectedLeaderCampaignTicks = reader.Int("suspected-leader-campaign-ticks", min: 1),
            InitialElectionSpreadTicks = reader.Int("initial-election-spread-ticks", min: 0),
            PreVote = reader.Bool("pre-vote"),
            CheckQuorum = reader.Bool("check-quorum"),
            ReadOnlyMode = reader.ReadOnly("read-only-mode"),
            MaxInflight = reader.Int("max-inflight", min: 1),
            MaxInflightBytes = reader.Bytes("max-inflight-bytes"),
            MaxBatchBytes = reader.Bytes("max-batch-bytes"),
            MaxEntryBytes = reader.Bytes("max-entry-bytes"),
            MaxApplyBytes = reader.Bytes("max-apply-bytes"),
            HibernateAfterTicks = reader.Int("hibernate-after-ticks", min: 0),
            SnapshotEveryEntries = reader.Long("snapshot-every-entries", min: 1),
            FollowerCatchUpLogBytes = reader.Bytes("follower-catch-up-log-bytes", min: 0),
            MaxPendingProposals = reader.Int("max-pending-proposals", min: 1),
            MaxPendingReads = reader.Int("max-pending-reads", min: 1),
            SnapshotChunkBytes = reader.IntBytes("snapshot.chunk-bytes", min: 1024),
            SnapshotMaxBytes = reader.IntBytes("snapshot.max-bytes", min: 1024),
            SnapshotMaxBytesPerSecond = reader.Bytes("snapshot.max-bytes-per-second", min: 0),
            SnapshotWindowChunks = reader.Int("snapshot.window-chunks", min: 1),
            SnapshotAckTimeout = reader.PositiveDuration("snapshot.ack-timeout"),
            SnapshotMaxOutgoingTransfers = reader.Int("snapshot.max-outgoing-transfers", min: 1),
            SnapshotMaxQueuedTransfers = reader.Int("snapshot.max-queued-transfers", min: 0),
            JournalPluginId = reader.NonEmptyString("journal-plugin-id"),
            SnapshotPluginId = reader.NonEmptyString("snapshot-plugin-id"),
            DataDir = reader.NonEmptyString("data-dir"),
        };
        settings.CheckConsistency(full);
        return settings;
    }

    // Cross-field rules: each one names both keys so the operator knows what to change.
    private void CheckConsistency(Config full)
    {
        if (HeartbeatTicks >= ElectionTicks)
            throw Fail("heartbeat-ticks", HeartbeatTicks, $"must be less than {Root}.election-ticks ({ElectionTicks})");

        if (SuspectedLeaderCampaignTicks > ElectionTicks)
            throw Fail("suspected-leader-campaign-ticks", SuspectedLeaderCampaignTicks, $"must not exceed {Root}.election-ticks ({ElectionTicks})");

        if (ReadOnlyMode == ReadOnlyMode.Lease && !CheckQuorum)
            throw Fail("read-only-mode", "lease", $"requires {Root}.check-quorum = on (a lease without check-quorum can serve stale reads)");

        if (MaxEntryBytes > MaxBatchBytes)
            throw Fail("max-entry-bytes", MaxEntryBytes, $"must not exceed {Root}.max-batch-bytes ({MaxBatchBytes}); an entry must fit into one envelope");

        if (MaxInflightBytes < MaxBatchBytes)
            throw Fail("max-inflight-bytes", MaxInflightBytes, $"must be at least {Root}.max-batch-bytes ({MaxBatchBytes}); otherwise a full batch can never be sent");

        if (MaxApplyBytes < MaxEntryBytes)
            throw Fail("max-apply-bytes", MaxApplyBytes, $"must be at least {Root}.max-entry-bytes ({MaxEntryBytes}); otherwise a large entry can never be applied");

        if (HibernateAfterTicks != 0 && HibernateAfterTicks <= ElectionTicks)
            throw Fail("hibernate-after-ticks", HibernateAfterTicks, $"must be 0 (off) or greater than {Root}.election-ticks ({ElectionTicks})");

        if (SnapshotMaxBytes < SnapshotChunkBytes)
            throw Fail("snapshot.max-bytes", SnapshotMaxBytes, $"must be at least {Root}.snapshot.chunk-bytes ({SnapshotChunkBytes})");

        if (SnapshotMaxBytes > Array.MaxLength)
            throw Fail("snapshot.max-bytes", SnapshotMaxBytes, $"must be at most {Array.MaxLength} bytes (a snapshot is reassembled into one array)");

        var frameSize = full.HasPath(FrameSizeKey) ? full.GetByteSize(FrameSizeKey) : null;
        if (frameSize is { } frame && MaxBatchBytes >= frame)
            throw Fail("max-batch-bytes", MaxBatchBytes, $"must be less than {FrameSizeKey} ({frame}); Akka.Remote drops larger frames");

        if (frameSize is { } frameLimit && SnapshotChunkBytes + ChunkFramingBytes > frameLimit)
            throw Fail("snapshot.chunk-bytes", SnapshotChunkBytes,
                $"must be at most {FrameSizeKey} ({frameLimit}) minus {ChunkFramingBytes} bytes of framing; Akka.Remote drops larger frames");
    }

    private static RaftSettingsException Fail(string key, object value, string reason) =>
        new($"{Root}.{key}", Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", reason);

    // Reads single values; every failure names the full key and the raw value.
    private sealed class SettingReader(Config full)
    {
        private string Raw(string key)
        {
            var path = $"{Root}.{key}";
            if (!full.HasPath(path))
                throw new RaftSettingsException(path, "(missing)", "required setting is not present");
            return full.GetValue(path)?.ToString() ?? "";
        }

        private T Parse<T>(string key, Func<string, T> read, string expected)
        {
            var raw = Raw(key);
            try
            {
                return read($"{Root}.{key}");
            }
            catch (Exception e) when (e is not RaftSettingsException)
            {
                throw new RaftSettingsException($"{Root}.{key}", raw, $"not {expected}");
            }
        }

        public int Int(string key, int min)
        {
            var value = Parse(key, p => checked((int)long.Parse(full.GetString(p), NumberStyles.Integer, CultureInfo.InvariantCulture)), "an integer");
            if (value < min)
                throw Fail(key, value, $"must be at least {min}");
            return value;
        }

        public long Long(string key, long min)
        {
            var value = Parse(key, p => long.Parse(full.GetString(p), NumberStyles.Integer, CultureInfo.InvariantCulture), "an integer");
            if (value < min)
                throw Fail(key, value, $"must be at least {min}");
            return value;
        }

        public bool Bool(string key)
        {
            var raw = Raw(key).Trim().Trim('"').ToLowerInvariant();
            return raw switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                _ => throw new RaftSettingsException($"{Root}.{key}", raw, "not a boolean (on/off)"),
            };
        }

        public long Bytes(string key, long min = 1)
        {
            var value = Parse(key, p => full.GetByteSize(p) ?? throw new FormatException(), "a byte size (e.g. 512 KiB)");
            if (value < min)
                throw Fail(key, value, min == 1 ? "must be at least 1 byte" : $"must be at least {min} bytes");
            return value;
        }

        public int IntBytes(string key, int min)
        {
            var value = Bytes(key, min);
            if (value > int.MaxValue)
                throw Fail(key, value, $"must be at most {int.MaxValue} bytes");
            return (int)value;
        }

        public TimeSpan PositiveDuration(string key)
        {
            var value = Parse(key, p => full.GetTimeSpan(p, null, allowInfinite: false), "a duration (e.g. 100ms)");
            if (value <= TimeSpan.Zero)
                throw Fail(key, Raw(key), "must be greater than zero");
            return value;
        }

        public string NonEmptyString(string key)
        {
            var value = Parse(key, p => full.GetString(p), "a string");
            if (string.IsNullOrWhiteSpace(value))
                throw Fail(key, "\"\"", "must not be empty");
            return value;
        }

        public ReadOnlyMode ReadOnly(string key)
        {
            var raw = NonEmptyString(key);
            return raw.ToLowerInvariant() switch
            {
                "safe" => ReadOnlyMode.Safe,
                "lease" => ReadOnlyMode.Lease,
                _ => throw Fail(key, raw, "must be one of: safe, lease"),
            };
        }
    }
}
