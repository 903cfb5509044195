using Akka.Configuration;

namespace AkkaRaft.Actors.Persistence;

/// <summary>AkkaRaft's own journal and snapshot store (<see cref="SqliteJournal"/>, <see cref="SqliteSnapshotStore"/>) on one SQLite file per node.</summary>
internal static class SqlitePersistenceConfig
{
    /// <summary>Plugin id of <see cref="SqliteJournal"/> (its section is in reference.conf).</summary>
    public const string JournalPluginId = "akka.persistence.journal.akkaraft-sqlite";

    /// <summary>Plugin id of <see cref="SqliteSnapshotStore"/> (its section is in reference.conf).</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.akkaraft-sqlite";

    /// <summary>The database file of <paramref name="nodeName"/>: &lt;dataDir&gt;/&lt;nodeName&gt;.db.</summary>
    public static string DatabasePath(string dataDir, string nodeName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeName);
        if (nodeName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || nodeName.Contains(Path.DirectorySeparatorChar))
            throw new ArgumentException($"Node name '{nodeName}' cannot be used as a file name.", nameof(nodeName));
        return Path.GetFullPath(Path.Combine(dataDir, nodeName + ".db"));
    }

    /// <summary>
    /// Config pointing AkkaRaft's journal and snapshot store at &lt;dataDir&gt;/&lt;nodeName&gt;.db and making them the
    /// system's default plugins. The file is created, switched to WAL and given its tables on first use; the plugin
    /// sections themselves come from reference.conf (<see cref="Settings.RaftReferenceConfig"/>), used as fallback.
    /// </summary>
    public static Config For(string dataDir, string nodeName)
    {
        var hocon = $$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                akkaraft-sqlite.database-path = {{Quote(DatabasePath(dataDir, nodeName))}}
              }
              snapshot-store.plugin = "{{SnapshotPluginId}}"
            }
            """;
        return ConfigurationFactory.ParseString(hocon);
    }

    // HOCON quoted string: escape backslashes (Windows paths) and quotes.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
