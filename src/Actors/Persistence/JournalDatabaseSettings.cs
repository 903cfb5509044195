using System.Globalization;
using Akka.Configuration;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Persistence;

/// <summary>Settings of a node's journal database (one SQLite file, one writer), read from the journal plugin's section.</summary>
internal sealed record JournalDatabaseSettings
{
    /// <summary>Full path of the SQLite file holding the journal and the snapshots.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Write requests (one per WriteMessages call, delete or snapshot save) queued for the writer; more wait for room.</summary>
    public int MaxQueuedWrites { get; init; } = 10_000;

    /// <summary>Events (and snapshot rows) the writer puts into one transaction at most.</summary>
    public int MaxTransactionEvents { get; init; } = 10_000;

    /// <summary>Payload bytes the writer puts into one transaction at most; a single larger request still goes alone.</summary>
    public long MaxTransactionBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Read connections (recovery replays, highest sequence numbers, snapshot loads) used at once.</summary>
    public int ReaderConnections { get; init; } = 2;

    /// <summary>Reads (replays, highest sequence numbers, snapshot loads) queued for the reader threads; more wait for room.</summary>
    public int MaxQueuedReads { get; init; } = 10_000;

    /// <summary>Reads one reader thread serves in one pass (one read transaction) at most.</summary>
    public int MaxReadBatch { get; init; } = 256;

    /// <summary>WAL pages after which a commit checkpoints the WAL into the database file (SQLite's wal_autocheckpoint).</summary>
    public int WalAutoCheckpointPages { get; init; } = 4000;

    /// <summary>Page cache of the writer connection, in KiB.</summary>
    public int WriterCacheKib { get; init; } = 16 * 1024;

    /// <summary>Reads the settings from the journal plugin's HOCON section (<paramref name="pluginConfig"/>).</summary>
    /// <exception cref="RaftSettingsException">database-path is empty or a bound is not positive.</exception>
    public static JournalDatabaseSettings From(Config pluginConfig)
    {
        ArgumentNullException.ThrowIfNull(pluginConfig);
        var path = pluginConfig.GetString("database-path", "");
        if (string.IsNullOrWhiteSpace(path))
            throw Fail("database-path", "\"\"", "must name the node's SQLite file (SqlitePersistenceConfig.For(dataDir, node) sets it)");
        // Defaults here only for a section that lacks a key; reference.conf states them for the shipped plugin id.
        var defaults = new JournalDatabaseSettings { DatabasePath = Path.GetFullPath(path) };
        return defaults with
        {
            MaxQueuedWrites = Positive(pluginConfig, "max-queued-writes", defaults.MaxQueuedWrites),
            MaxTransactionEvents = Positive(pluginConfig, "max-transaction-events", defaults.MaxTransactionEvents),
            MaxTransactionBytes = PositiveBytes(pluginConfig, "max-transaction-bytes", defaults.MaxTransactionBytes),
            ReaderConnections = Positive(pluginConfig, "reader-connections", defaults.ReaderConnections),
            MaxQueuedReads = Positive(pluginConfig, "max-queued-reads", defaults.MaxQueuedReads),
            MaxReadBatch = Positive(pluginConfig, "max-read-batch", defaults.MaxReadBatch),
            WalAutoCheckpointPages = Positive(pluginConfig, "wal-autocheckpoint-pages", defaults.WalAutoCheckpointPages),
            WriterCacheKib = (int)Math.Min(int.MaxValue, PositiveBytes(pluginConfig, "writer-cache-size", defaults.WriterCacheKib * 1024L) / 1024),
        };
    }

    private static int Positive(Config config, string key, int fallback)
    {
        var value = config.GetInt(key, fallback);
        if (value < 1) throw Fail(key, value, "must be at least 1");
        return value;
    }

    private static long PositiveBytes(Config config, string key, long fallback)
    {
        var value = config.HasPath(key) ? config.GetByteSize(key) ?? fallback : fallback;
        if (value < 1) throw Fail(key, value, "must be at least 1 byte");
        return value;
    }

    private static RaftSettingsException Fail(string key, object value, string reason) =>
        new($"{SqlitePersistenceConfig.JournalPluginId}.{key}", Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", reason);
}
