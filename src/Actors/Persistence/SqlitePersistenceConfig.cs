using Akka.Configuration;
using Akka.Persistence.Sql;

namespace AkkaRaft.Actors.Persistence;

/// <summary>Akka.Persistence.Sql journal and snapshot store on one SQLite file per node.</summary>
public static class SqlitePersistenceConfig
{
    /// <summary>linq2db provider name for Microsoft.Data.Sqlite.</summary>
    public const string ProviderName = "SQLite.MS";

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
    /// Config selecting the Akka.Persistence.Sql journal and snapshot store on &lt;dataDir&gt;/&lt;nodeName&gt;.db
    /// (tables created on first use), with SqlPersistence.DefaultConfiguration as fallback.
    /// Call <see cref="SqliteDatabase.PrepareForDurability"/> on the same path before the actor system starts.
    /// </summary>
    public static Config For(string dataDir, string nodeName)
    {
        var connectionString = SqliteDatabase.ConnectionString(DatabasePath(dataDir, nodeName));
        var quoted = Quote(connectionString);
        var hocon = $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{quoted}}
                  provider-name = "{{ProviderName}}"
                  auto-initialize = on
                  # SQLite has one writer per file: concurrent writers only wait on its lock. One writer that
                  # takes everything queued (many groups' Readies) per transaction turns N fsyncs into one.
                  parallelism = 1
                  batch-size = 1000
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{quoted}}
                  provider-name = "{{ProviderName}}"
                  auto-initialize = on
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    // HOCON quoted string: escape backslashes (Windows paths) and quotes.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
