using Microsoft.Data.Sqlite;

namespace AkkaRaft.Actors.Persistence;

/// <summary>Prepares a node's SQLite database file before the journal opens it, and the connection string it uses.</summary>
/// <remarks>
/// Durability settings, and why an acknowledged write survives kill -9:
/// <list type="bullet">
/// <item><c>journal_mode=WAL</c> is stored in the database header, so setting it once applies to every later
/// connection. The journal's writer sets it too (<see cref="JournalWriteConnection"/>); doing it here first creates
/// the file and fails start-up at once on a file SQLite cannot open. A commit appends frames to the -wal file;
/// readers never block the writer.</item>
/// <item><c>synchronous=FULL</c> (2) is per connection: the journal's single writer sets it on its own connection
/// (the bundled e_sqlite3 also defaults to it, DEFAULT_SYNCHRONOUS=2 / DEFAULT_WAL_SYNCHRONOUS=2). With WAL + FULL,
/// SQLite fsyncs the -wal file at every commit before returning, so once the journal acknowledges a write it is on
/// disk: kill -9 (and power loss, if the disk honours fsync) cannot lose it. WAL + NORMAL would only fsync at
/// checkpoints and could lose the last commits on power loss, which Raft forbids (votes and acks must be durable).</item>
/// </list>
/// </remarks>
internal static class SqliteDatabase
{
    /// <summary>SQLite's value of PRAGMA synchronous for FULL.</summary>
    public const long SynchronousFull = 2;

    /// <summary>Creates the file (and directory) if needed and switches it to WAL; returns the journal mode now in force ("wal").</summary>
    /// <exception cref="InvalidOperationException">SQLite refused WAL (e.g. a file system without shared memory support).</exception>
    public static string PrepareForDurability(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);

        // Pooling off: this connection must really close so the journal sees a settled file.
        using var connection = new SqliteConnection(ConnectionString(databasePath, pooling: false));
        connection.Open();
        var mode = ExecutePragma(connection, "journal_mode=WAL");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused journal_mode=WAL for '{databasePath}' (it stays '{mode}'); the journal would run without the durability/speed this node is configured for.");
        return mode;
    }

    /// <summary>Reads one PRAGMA (e.g. "journal_mode", "synchronous") on a fresh connection to <paramref name="databasePath"/>.</summary>
    public static string ReadPragma(string databasePath, string pragma)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pragma);
        using var connection = new SqliteConnection(ConnectionString(databasePath, pooling: false));
        connection.Open();
        return ExecutePragma(connection, pragma);
    }

    /// <summary>The Microsoft.Data.Sqlite connection string the journal and snapshot store use for <paramref name="databasePath"/>.</summary>
    public static string ConnectionString(string databasePath, bool pooling = true)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(databasePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Private cache: shared-cache mode changes locking and is discouraged by SQLite.
            Cache = SqliteCacheMode.Private,
            Pooling = pooling,
            // Concurrent journal writers wait for the write lock instead of failing with SQLITE_BUSY.
            DefaultTimeout = 30,
        };
        return builder.ToString();
    }

    /// <summary>A prepared command with one (unset) parameter per name in <paramref name="parameters"/>, for a statement run many times.</summary>
    internal static SqliteCommand Prepare(this SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static string ExecutePragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
