using AkkaRaft.Actors.Persistence;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>The single writer without Akka: batching into one transaction, per-request atomicity, the bounded queue.</summary>
public sealed class JournalWriterTests : IDisposable
{
    private readonly string _dataDir = PersistenceTestConfig.NewDataDir("writer");

    public void Dispose() => PersistenceTestConfig.DeleteDataDir(_dataDir);

    [Fact]
    public async Task Writes_queued_while_a_transaction_waits_for_the_disk_all_go_into_the_next_one()
    {
        var database = JournalDatabase.Open(Settings());
        try
        {
            var writes = new List<Task>();
            using (WriteLock())
            {
                // 200 persistence ids each with a write queued while the writer cannot commit.
                for (var i = 0; i < 200; i++) writes.Add(database.WriteAsync(Append($"id-{i}", 1)));
                Assert.DoesNotContain(writes, w => w.IsCompleted);
            }
            await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));

            // The writer may have taken the first request before the lock stopped it; the rest share one transaction.
            Assert.InRange(database.Transactions, 1, 2);
            for (var i = 0; i < 200; i++) Assert.Equal(1, await database.ReadHighestSequenceNrAsync($"id-{i}", CancellationToken.None));
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task A_request_that_fails_is_rolled_back_alone_and_the_others_of_its_transaction_commit()
    {
        var settings = Settings();
        using (var database = JournalDatabase.Open(settings)) await database.WriteAsync(Append("a", 2));

        using (var connection = new JournalWriteConnection(settings))
        {
            // "a" already has event 2: the first request's event 1 goes in, then its event 2 breaks the primary key.
            var failing = new AppendEvents([Row("a", 1), Row("a", 2)], CancellationToken.None);
            var other = new AppendEvents([Row("b", 1), Row("b", 2)], CancellationToken.None);
            var deleteAfter = new DeleteEventsTo("b", 1, CancellationToken.None);
            connection.Commit([failing, other, deleteAfter]);

            Assert.Equal(1, connection.Transactions);
            var failure = await Assert.ThrowsAsync<SqliteException>(() => failing.Completion);
            Assert.Contains("UNIQUE", failure.Message, StringComparison.OrdinalIgnoreCase);
            await other.Completion;
            await deleteAfter.Completion;
        }

        using var reopened = JournalDatabase.Open(settings);
        Assert.Equal([2L], await Replay(reopened, "a")); // event 1 of the failed request was undone with it
        Assert.Equal([2L], await Replay(reopened, "b"));
        Assert.Equal(2, await reopened.ReadHighestSequenceNrAsync("b", CancellationToken.None));
    }

    [Fact]
    public async Task A_full_queue_makes_writers_wait_for_room_and_every_waiting_write_lands_in_order()
    {
        var database = JournalDatabase.Open(Settings() with { MaxQueuedWrites = 1 });
        try
        {
            var writes = new List<Task>();
            using (WriteLock())
            {
                for (var n = 1; n <= 20; n++) writes.Add(database.WriteAsync(Append("waiting", n)));
                Assert.DoesNotContain(writes, w => w.IsCompleted);
            }
            await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), await Replay(database, "waiting"));
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public async Task A_write_cancelled_before_the_writer_reaches_it_is_never_written()
    {
        var database = JournalDatabase.Open(Settings());
        try
        {
            using var cancel = new CancellationTokenSource();
            Task kept;
            Task cancelled;
            using (WriteLock())
            {
                kept = database.WriteAsync(Append("kept", 1));
                cancelled = database.WriteAsync(new AppendEvents([Row("cancelled", 1)], cancel.Token));
                await cancel.CancelAsync(); // Akka's circuit breaker gave up while the writer was stuck
            }
            await kept.WaitAsync(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Empty(await Replay(database, "cancelled"));
            Assert.Equal(0, await database.ReadHighestSequenceNrAsync("cancelled", CancellationToken.None));
        }
        finally
        {
            database.Dispose();
        }
    }

    [Fact]
    public void The_writer_runs_in_WAL_mode_with_full_sync_on_every_commit()
    {
        using var database = JournalDatabase.Open(Settings());
        Assert.Equal("wal", database.WriterPragma("journal_mode"));
        Assert.Equal("2", database.WriterPragma("synchronous")); // FULL
    }

    private JournalDatabaseSettings Settings() => new() { DatabasePath = PersistenceTestConfig.DatabasePath(_dataDir) };

    private static AppendEvents Append(string pid, long sequenceNr) => new([Row(pid, sequenceNr)], CancellationToken.None);

    private static EventRow Row(string pid, long sequenceNr) => new(pid, sequenceNr, 1, null, null, null, 0, [1, 2, 3]);

    private static async Task<List<long>> Replay(JournalDatabase database, string pid)
    {
        var sequenceNrs = new List<long>();
        await database.ReplayAsync(pid, 1, long.MaxValue, long.MaxValue, row => sequenceNrs.Add(row.SequenceNr), CancellationToken.None);
        return sequenceNrs;
    }

    // Holds SQLite's write lock from another connection until disposed: the journal's writer waits at BEGIN IMMEDIATE.
    private SqliteConnection WriteLock()
    {
        var connection = new SqliteConnection($"Data Source={PersistenceTestConfig.DatabasePath(_dataDir)};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return connection; // closing it rolls the empty transaction back and releases the lock
    }
}
