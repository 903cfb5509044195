using Microsoft.Data.Sqlite;
using static AkkaRaft.Actors.Persistence.JournalSchema;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// One read connection of a journal file with its queries prepared once. In WAL mode readers never wait for the
/// writer and see every committed transaction. Each query is one lookup or range scan on the (persistence id, sequence number) index.
/// </summary>
internal sealed class JournalReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _highest;
    private readonly SqliteCommand _replay;
    private readonly SqliteCommand _loadSnapshot;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;

    public JournalReader(string databasePath)
    {
        _connection = new SqliteConnection(SqliteDatabase.ConnectionString(databasePath, pooling: false));
        _connection.Open();
        _highest = _connection.Prepare(
            $"SELECT max(ifnull((SELECT max(sequence_nr) FROM {Journal} WHERE persistence_id = $pid), 0), " +
            $"ifnull((SELECT sequence_nr FROM {Highest} WHERE persistence_id = $pid), 0))",
            "$pid");
        _replay = _connection.Prepare(
            $"SELECT sequence_nr, serializer_id, manifest, event_manifest, writer_uuid, timestamp, payload FROM {Journal} " +
            "WHERE persistence_id = $pid AND sequence_nr BETWEEN $from AND $to ORDER BY sequence_nr LIMIT $max",
            "$pid", "$from", "$to", "$max");
        _loadSnapshot = _connection.Prepare(
            $"SELECT sequence_nr, created, serializer_id, manifest, payload FROM {Snapshots} " +
            "WHERE persistence_id = $pid AND sequence_nr BETWEEN $min_seq AND $max_seq AND created BETWEEN $min_ts AND $max_ts " +
            "ORDER BY sequence_nr DESC LIMIT 1",
            "$pid", "$min_seq", "$max_seq", "$min_ts", "$max_ts");
        _begin = _connection.Prepare("BEGIN");
        _commit = _connection.Prepare("COMMIT");
    }

    /// <summary>Starts a read transaction: the reads of a batch see one snapshot of the file and take its read lock once.</summary>
    public void BeginBatch() => _begin.ExecuteNonQuery();

    /// <summary>Ends the read transaction of a batch, if one is open.</summary>
    public void EndBatch()
    {
        // A failed statement may already have ended it (SQLite rolls back on some errors).
        if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0) _commit.ExecuteNonQuery();
    }

    /// <summary>Highest sequence number ever written for <paramref name="persistenceId"/>, deleted events included; 0 if none.</summary>
    public long HighestSequenceNr(string persistenceId)
    {
        _highest.Parameters[0].Value = persistenceId;
        return Convert.ToInt64(_highest.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Calls <paramref name="onEvent"/> for the events in [from, to], in sequence number order, at most <paramref name="max"/>.</summary>
    public void Replay(string persistenceId, long from, long to, long max, Action<EventRow> onEvent, CancellationToken cancellation)
    {
        var p = _replay.Parameters;
        p[0].Value = persistenceId;
        p[1].Value = from;
        p[2].Value = to;
        p[3].Value = max;
        using var reader = _replay.ExecuteReader();
        while (reader.Read())
        {
            cancellation.ThrowIfCancellationRequested();
            onEvent(new EventRow(
                persistenceId,
                reader.GetInt64(0),
                reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                WriterUuid.FromColumn(reader.GetValue(4)),
                reader.GetInt64(5),
                (byte[])reader.GetValue(6)));
        }
    }

    /// <summary>The snapshot with the highest sequence number within <paramref name="range"/>, or null.</summary>
    public SnapshotRow? LoadSnapshot(string persistenceId, SnapshotRange range)
    {
        var p = _loadSnapshot.Parameters;
        p[0].Value = persistenceId;
        p[1].Value = range.MinSequenceNr;
        p[2].Value = range.MaxSequenceNr;
        p[3].Value = range.MinTicks;
        p[4].Value = range.MaxTicks;
        using var reader = _loadSnapshot.ExecuteReader();
        if (!reader.Read()) return null;
        return new SnapshotRow(
            persistenceId,
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            (byte[])reader.GetValue(4));
    }

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _highest.Dispose();
        _replay.Dispose();
        _loadSnapshot.Dispose();
        _connection.Dispose();
    }
}
