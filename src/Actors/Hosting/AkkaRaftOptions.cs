using Akka.Configuration;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Hosting;

/// <summary>
/// Typed settings of this system's Raft node for <see cref="AkkaRaftHostingExtensions.WithAkkaRaft(Akka.Hosting.AkkaConfigurationBuilder, AkkaRaftOptions)"/>.
/// Only the properties that are set override HOCON; they render to <c>akka-raft</c> keys and are validated by the same
/// rules (<see cref="RaftSettings"/>), an error naming the option.
/// </summary>
public sealed class AkkaRaftOptions
{
    private const string Raft = "akka-raft";
    private const string Journal = SqlitePersistenceConfig.JournalPluginId;

    /// <summary>This node's id (also its store id); at least 1 (<c>akka-raft.node-id</c>).</summary>
    public required ulong NodeId { get; set; }

    /// <summary>
    /// Node data directory (<c>akka-raft.data-dir</c>). When set, AkkaRaft's journal and snapshot store are this
    /// system's default plugins on &lt;DataDirectory&gt;/node&lt;NodeId&gt;.db, as the akkaraft host lays them out.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>Length of one logical tick (<c>akka-raft.tick-interval</c>).</summary>
    public TimeSpan? TickInterval { get; set; }

    /// <summary>Ticks without a leader before a follower starts an election (<c>akka-raft.election-ticks</c>).</summary>
    public int? ElectionTicks { get; set; }

    /// <summary>Ticks between leader heartbeats; less than the election ticks (<c>akka-raft.heartbeat-ticks</c>).</summary>
    public int? HeartbeatTicks { get; set; }

    /// <summary>Idle ticks before a group hibernates; 0 means never (<c>akka-raft.hibernate-after-ticks</c>).</summary>
    public int? HibernateAfterTicks { get; set; }

    /// <summary>Applied entries between snapshots (<c>akka-raft.snapshot-every-entries</c>).</summary>
    public long? SnapshotEveryEntries { get; set; }

    /// <summary>Largest chunk of a streamed snapshot, in bytes (<c>akka-raft.snapshot.chunk-bytes</c>).</summary>
    public long? SnapshotChunkBytes { get; set; }

    /// <summary>Largest encoded snapshot a node accepts, in bytes (<c>akka-raft.snapshot.max-bytes</c>).</summary>
    public long? SnapshotMaxBytes { get; set; }

    /// <summary>Snapshot bytes a node sends per second; 0 means unlimited (<c>akka-raft.snapshot.max-bytes-per-second</c>).</summary>
    public long? SnapshotMaxBytesPerSecond { get; set; }

    /// <summary>Akka.Persistence journal plugin of the Raft groups (<c>akka-raft.journal-plugin-id</c>).</summary>
    public string? JournalPluginId { get; set; }

    /// <summary>Akka.Persistence snapshot store plugin of the Raft groups (<c>akka-raft.snapshot-plugin-id</c>).</summary>
    public string? SnapshotPluginId { get; set; }

    /// <summary>Write requests queued for AkkaRaft's journal writer (<c>akka.persistence.journal.akkaraft-sqlite.max-queued-writes</c>).</summary>
    public int? JournalMaxQueuedWrites { get; set; }

    /// <summary>Events per journal transaction at most (<c>akka.persistence.journal.akkaraft-sqlite.max-transaction-events</c>).</summary>
    public int? JournalMaxTransactionEvents { get; set; }

    /// <summary>Payload bytes per journal transaction at most (<c>akka.persistence.journal.akkaraft-sqlite.max-transaction-bytes</c>).</summary>
    public long? JournalMaxTransactionBytes { get; set; }

    /// <summary>The HOCON of the options that are set (no fallback); <see cref="ToString"/> gives its text.</summary>
    public Config ToConfig() => Render().ToConfig();

    /// <inheritdoc />
    public override string ToString() => ToConfig().ToString(includeFallback: false);

    /// <summary>
    /// Validates the options on top of <paramref name="hocon"/> (the user's HOCON; reference.conf is the fallback) with the
    /// rules of <see cref="RaftSettings"/> and the journal's settings.
    /// </summary>
    /// <exception cref="AkkaRaftOptionsException">An option is invalid; the message names it, its key and the reason.</exception>
    /// <exception cref="RaftSettingsException">A HOCON value (not set by an option) is invalid on top of these options.</exception>
    public void Validate(Config? hocon = null)
    {
        var rendered = Render();
        if (NodeId == 0) throw rendered.Fail(nameof(NodeId), $"{Raft}.node-id", NodeId, "must be at least 1");
        if (DataDirectory is not null && string.IsNullOrWhiteSpace(DataDirectory))
            throw rendered.Fail(nameof(DataDirectory), $"{Raft}.data-dir", DataDirectory, "must not be empty");
        var full = Effective(rendered.ToConfig(), hocon);
        rendered.Validate(() => RaftSettings.Create(full));
        if (rendered.HasAny(Journal + "."))
        {
            // The path comes from the data directory or the user's persistence HOCON, possibly added later; only the bounds are checked here.
            var section = full.GetConfig(Journal);
            if (string.IsNullOrWhiteSpace(section.GetString("database-path", "")))
                section = ConfigurationFactory.ParseString("database-path = \"(validation)\"").WithFallback(section);
            rendered.Validate(() => JournalDatabaseSettings.From(section));
        }
    }

    /// <summary>The HOCON that goes in front of the user's: the options, and the journal's file when a data directory is set.</summary>
    internal Config ToHostingConfig()
    {
        var options = ToConfig();
        return DataDirectory is null ? options : options.WithFallback(SqlitePersistenceConfig.For(DataDirectory, NodeName));
    }

    /// <summary>The database file name of this node in <see cref="DataDirectory"/>.</summary>
    internal string NodeName => $"node{NodeId}";

    private static Config Effective(Config options, Config? hocon)
    {
        var full = hocon is null ? options : options.WithFallback(hocon);
        return full.WithFallback(RaftReferenceConfig.Value);
    }

    private OptionsHocon Render() => new OptionsHocon(nameof(AkkaRaftOptions))
        .Set(nameof(NodeId), $"{Raft}.node-id", NodeId)
        .Set(nameof(DataDirectory), $"{Raft}.data-dir", DataDirectory)
        .Set(nameof(TickInterval), $"{Raft}.tick-interval", TickInterval)
        .Set(nameof(ElectionTicks), $"{Raft}.election-ticks", ElectionTicks)
        .Set(nameof(HeartbeatTicks), $"{Raft}.heartbeat-ticks", HeartbeatTicks)
        .Set(nameof(HibernateAfterTicks), $"{Raft}.hibernate-after-ticks", HibernateAfterTicks)
        .Set(nameof(SnapshotEveryEntries), $"{Raft}.snapshot-every-entries", SnapshotEveryEntries)
        .Set(nameof(SnapshotChunkBytes), $"{Raft}.snapshot.chunk-bytes", SnapshotChunkBytes)
        .Set(nameof(SnapshotMaxBytes), $"{Raft}.snapshot.max-bytes", SnapshotMaxBytes)
        .Set(nameof(SnapshotMaxBytesPerSecond), $"{Raft}.snapshot.max-bytes-per-second", SnapshotMaxBytesPerSecond)
        .Set(nameof(JournalPluginId), $"{Raft}.journal-plugin-id", JournalPluginId)
        .Set(nameof(SnapshotPluginId), $"{Raft}.snapshot-plugin-id", SnapshotPluginId)
        .Set(nameof(JournalMaxQueuedWrites), $"{Journal}.max-queued-writes", JournalMaxQueuedWrites)
        .Set(nameof(JournalMaxTransactionEvents), $"{Journal}.max-transaction-events", JournalMaxTransactionEvents)
        .Set(nameof(JournalMaxTransactionBytes), $"{Journal}.max-transaction-bytes", JournalMaxTransactionBytes);
}
