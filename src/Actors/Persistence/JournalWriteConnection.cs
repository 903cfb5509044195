using System.Globalization;
using Microsoft.Data.Sqlite;
using static AkkaRaft.Actors.Persistence.JournalSchema;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// The one write connection of a journal file, with its statements prepared once: applies a batch of requests in one
/// transaction (one fsync) and completes them after the commit.
/// </summary>
/// <remarks>
/// A request that fails on its own (a constraint: e.g. a sequence number written twice) is rolled back to its
/// savepoint and fails alone; anything else (I/O error, disk full, corruption) rolls back and fails the whole batch.
/// </remarks>
internal sealed class JournalWriteConnection : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _rollbackToSavepoint;
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _rememberHighest;
    private readonly SqliteCommand _deleteEvents;
    private readonly SqliteCommand _saveSnapshot;
    private readonly SqliteCommand _deleteSnapshots;

    /// <summary>Opens <see cref="JournalDatabaseSettings.DatabasePath"/> (creating it), sets WAL + synchronous=FULL, creates or checks the tables.</summary>
    /// <exception cref="JournalStorageException">The file is not a database, is corrupt, or is not ours.</exception>
    public JournalWriteConnection(JournalDatabaseSettings settings)
    {
        _path = settings.DatabasePath;
        var directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        _connection = new SqliteConnection(SqliteDatabase.ConnectionString(_path, pooling: false));
        try
        {
            _connection.Open();
            // The first read of the file: a file that is not a database fails here ("file is not a database").
            var mode = Pragma("journal_mode = WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new JournalStorageException($"SQLite refused journal_mode=WAL for '{_path}' (it stays '{mode}')");
            // Every commit fsyncs the WAL before it returns: an acknowledged write survives kill -9 and power loss.
            Pragma("synchronous = FULL");
            Pragma($"wal_autocheckpoint = {settings.WalAutoCheckpointPages.ToString(CultureInfo.InvariantCulture)}");
            Pragma($"cache_size = -{settings.WriterCacheKib.ToString(CultureInfo.InvariantCulture)}");
            CreateOrCheck(_connection, _path);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new JournalStorageException($"journal database '{_path}' cannot be opened: {e.Message}", e);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        _begin = _connection.Prepare("BEGIN IMMEDIATE");
        _commit = _connection.Prepare("COMMIT");
        _rollback = _connection.Prepare("ROLLBACK");
        _savepoint = _connection.Prepare("SAVEPOINT request");
        _release = _connection.Prepare("RELEASE request");
        _rollbackToSavepoint = _connection.Prepare("ROLLBACK TO request");
        _insertEvent = _connection.Prepare(
            $"INSERT INTO {Journal} (persistence_id, sequence_nr, serializer_id, manifest, event_manifest, writer_uuid, timestamp, payload) " +
            "VALUES ($pid, $seq, $serializer, $manifest, $event_manifest, $writer, $timestamp, $payload)",
            "$pid", "$seq", "$serializer", "$manifest", "$event_manifest", "$writer", "$timestamp", "$payload");
        // Remembers the highest sequence number before the delete, so it survives the deletion of every event.
        _rememberHighest = _connection.Prepare(
            $"INSERT INTO {Highest} (persistence_id, sequence_nr) " +
            $"SELECT $pid, max(sequence_nr) FROM {Journal} WHERE persistence_id = $pid HAVING max(sequence_nr) IS NOT NULL " +
            "ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = max(sequence_nr, excluded.sequence_nr)",
            "$pid");
        _deleteEvents = _connection.Prepare($"DELETE FROM {Journal} WHERE persistence_id = $pid AND sequence_nr <= $to", "$pid", "$to");
        _saveSnapshot = _connection.Prepare(
            $"INSERT OR REPLACE INTO {Snapshots} (persistence_id, sequence_nr, created, serializer_id, manifest, payload) " +
            "VALUES ($pid, $seq, $created, $serializer, $manifest, $payload)",
            "$pid", "$seq", "$created", "$serializer", "$manifest", "$payload");
        _deleteSnapshots = _connection.Prepare(
            $"DELETE FROM {Snapshots} WHERE persistence_id = $pid AND sequence_nr BETWEEN $min_seq AND $max_seq AND created BETWEEN $min_ts AND $max_ts",
            "$pid", "$min_seq", "$max_seq", "$min_ts", "$max_ts");
    }

    /// <summary>Transactions committed so far.</summary>
    public long Transactions { get; private set; }

    /// <summary>
    /// Applies <paramref name="batch"/> in one transaction and completes every request: after the commit (durable),
    /// or with the failure that kept it out.
    /// </summary>
    public void Commit(IReadOnlyList<JournalWrite> batch)
    {
        var outcomes = new Exception?[batch.Count];
        try
        {
            _begin.ExecuteNonQuery();
        }
        catch (Exception e)
        {
            FailAll(batch, Unwritable("cannot start a transaction", e));
            return;
        }

        try
        {
            for (var i = 0; i < batch.Count; i++) outcomes[i] = ApplyOne(batch[i]);
            _commit.ExecuteNonQuery();
            Transactions++;
        }
        catch (Exception e)
        {
            TryRollback();
            FailAll(batch, Unwritable("transaction failed", e));
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is null) batch[i].Succeed();
            else if (outcomes[i] is OperationCanceledException) batch[i].Cancel();
            else batch[i].Fail(outcomes[i]!);
        }
    }

    // Null when applied; the request's own failure otherwise. Throws for failures that doom the whole transaction.
    private Exception? ApplyOne(JournalWrite write)
    {
        if (write.Cancellation.IsCancellationRequested) return new OperationCanceledException(write.Cancellation);
        if (!write.IsMultiStatement)
        {
            try
            {
                write.Apply(this);
                return null;
            }
            catch (SqliteException e) when (IsStatementLevel(e))
            {
                // SQLite undid the failed statement only; the transaction goes on.
                return e;
            }
        }

        _savepoint.ExecuteNonQuery();
        try
        {
            write.Apply(this);
            _release.ExecuteNonQuery();
            return null;
        }
        catch (SqliteException e) when (IsStatementLevel(e))
        {
            _rollbackToSavepoint.ExecuteNonQuery();
            _release.ExecuteNonQuery();
            return e;
        }
    }

    // Errors SQLite confines to the failing statement (the transaction stays open and intact).
    private static bool IsStatementLevel(SqliteException e) =>
        (e.SqliteErrorCode & 0xFF) is SQLitePCL.raw.SQLITE_CONSTRAINT or SQLitePCL.raw.SQLITE_TOOBIG or SQLitePCL.raw.SQLITE_MISMATCH;

    public void InsertEvent(EventRow e)
    {
        var p = _insertEvent.Parameters;
        p[0].Value = e.PersistenceId;
        p[1].Value = e.SequenceNr;
        p[2].Value = e.SerializerId;
        p[3].Value = (object?)e.Manifest ?? DBNull.Value;
        p[4].Value = (object?)e.EventManifest ?? DBNull.Value;
        p[5].Value = WriterUuid.ToColumn(e.WriterUuid);
        p[6].Value = e.Timestamp;
        p[7].Value = e.Payload;
        _insertEvent.ExecuteNonQuery();
    }

    public void DeleteEventsTo(string persistenceId, long toSequenceNr)
    {
        _rememberHighest.Parameters[0].Value = persistenceId;
        _rememberHighest.ExecuteNonQuery();
        _deleteEvents.Parameters[0].Value = persistenceId;
        _deleteEvents.Parameters[1].Value = toSequenceNr;
        _deleteEvents.ExecuteNonQuery();
    }

    public void SaveSnapshot(SnapshotRow s)
    {
        var p = _saveSnapshot.Parameters;
        p[0].Value = s.PersistenceId;
        p[1].Value = s.SequenceNr;
        p[2].Value = s.CreatedTicks;
        p[3].Value = s.SerializerId;
        p[4].Value = (object?)s.Manifest ?? DBNull.Value;
        p[5].Value = s.Payload;
        _saveSnapshot.ExecuteNonQuery();
    }

    public void DeleteSnapshots(string persistenceId, SnapshotRange range)
    {
        var p = _deleteSnapshots.Parameters;
        p[0].Value = persistenceId;
        p[1].Value = range.MinSequenceNr;
        p[2].Value = range.MaxSequenceNr;
        p[3].Value = range.MinTicks;
        p[4].Value = range.MaxTicks;
        _deleteSnapshots.ExecuteNonQuery();
    }

    /// <summary>Reads a PRAGMA on the write connection (tests check what the writer runs with).</summary>
    public string Pragma(string pragma)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    public void Dispose()
    {
        foreach (var command in new[] { _begin, _commit, _rollback, _savepoint, _release, _rollbackToSavepoint, _insertEvent, _rememberHighest, _deleteEvents, _saveSnapshot, _deleteSnapshots })
            command.Dispose();
        _connection.Dispose();
    }

    private JournalStorageException Unwritable(string what, Exception e) =>
        new($"journal database '{_path}': {what}, nothing of this batch was written: {e.Message}", e);

    private void TryRollback()
    {
        try
        {
            _rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back by itself (I/O error, disk full); nothing is left to undo.
        }
    }

    private static void FailAll(IReadOnlyList<JournalWrite> batch, Exception cause)
    {
        foreach (var write in batch) write.Fail(cause);
    }
}
