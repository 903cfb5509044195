using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// Tables of the journal file, and the check that a file is ours before anything is written to it: a file holding
/// another journal's tables (e.g. Akka.Persistence.Sql's) or a newer format fails with a clear message instead of
/// being used as if it were empty.
/// </summary>
internal static class JournalSchema
{
    /// <summary>PRAGMA application_id of our files ("AkRf").</summary>
    public const long ApplicationId = 0x416B5266;

    /// <summary>PRAGMA user_version: the format this build reads and writes.</summary>
    public const long Version = 1;

    public const string Journal = "akkaraft_journal";
    public const string Highest = "akkaraft_journal_highest";
    public const string Snapshots = "akkaraft_snapshot";

    // The journal is a rowid table in write order plus a unique index on (persistence_id, sequence_nr): a transaction
    // carrying events of many ids appends its rows to a few pages at the end of the table and touches only the small
    // index entries. Keyed by (persistence_id, sequence_nr) WITHOUT ROWID, every id's rows lived on its own pages and a
    // transaction dirtied one 4 KiB page per id: measured 4x slower at 1000 ids, 500 rows per transaction. Replaying a
    // tail is one index range scan, the highest sequence number one index seek. The highest table remembers, per
    // persistence id, the highest sequence number seen by a delete: Akka requires it to survive deletion of every event.
    private static readonly string[] Create =
    [
        $"""
        CREATE TABLE {Journal} (
          ordering INTEGER PRIMARY KEY,
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          serializer_id INTEGER NOT NULL,
          manifest TEXT,
          event_manifest TEXT,
          writer_uuid BLOB,
          timestamp INTEGER NOT NULL,
          payload BLOB NOT NULL,
          UNIQUE (persistence_id, sequence_nr)
        )
        """,
        $"""
        CREATE TABLE {Highest} (
          persistence_id TEXT NOT NULL PRIMARY KEY,
          sequence_nr INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
        $"""
        CREATE TABLE {Snapshots} (
          ordering INTEGER PRIMARY KEY,
          persistence_id TEXT NOT NULL,
          sequence_nr INTEGER NOT NULL,
          created INTEGER NOT NULL,
          serializer_id INTEGER NOT NULL,
          manifest TEXT,
          payload BLOB NOT NULL,
          UNIQUE (persistence_id, sequence_nr)
        )
        """,
    ];

    /// <summary>Creates the tables in a new file, or checks that an existing file holds our format.</summary>
    /// <exception cref="JournalStorageException">The file belongs to something else or has a newer format.</exception>
    public static void CreateOrCheck(SqliteConnection connection, string path)
    {
        var applicationId = Scalar(connection, "PRAGMA application_id");
        var version = Scalar(connection, "PRAGMA user_version");
        if (applicationId == ApplicationId)
        {
            if (version != Version)
                throw new JournalStorageException($"journal database '{path}' has format version {version}; this build reads version {Version} only");
            return;
        }
        if (applicationId != 0)
            throw new JournalStorageException($"'{path}' is not an AkkaRaft journal (SQLite application_id 0x{applicationId:X}); refusing to use it");

        var tables = TableNames(connection);
        if (tables.Count > 0)
        {
            // Most likely the Akka.Persistence.Sql journal of an earlier AkkaRaft: its events cannot be read here, and
            // starting empty next to them would silently lose every group's state.
            throw new JournalStorageException(
                $"'{path}' already holds tables of another store ({string.Join(", ", tables)}), e.g. an Akka.Persistence.Sql journal " +
                "of an earlier AkkaRaft version; AkkaRaft's journal does not migrate them. Move the file away or use a fresh data directory.");
        }

        using var transaction = connection.BeginTransaction();
        foreach (var sql in Create) Execute(connection, sql, transaction);
        Execute(connection, $"PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)}", transaction);
        Execute(connection, $"PRAGMA user_version = {Version.ToString(CultureInfo.InvariantCulture)}", transaction);
        transaction.Commit();
    }

    private static List<string> TableNames(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
