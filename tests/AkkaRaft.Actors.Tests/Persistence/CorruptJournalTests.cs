using Akka.Actor;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>A journal that cannot be read fails recovery with a message saying what and where; it never starts empty.</summary>
public sealed class CorruptJournalTests : IDisposable
{
    private const string Pid = "group-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dataDir = PersistenceTestConfig.NewDataDir("corrupt");

    private string DatabasePath => PersistenceTestConfig.DatabasePath(_dataDir);

    public void Dispose() => PersistenceTestConfig.DeleteDataDir(_dataDir);

    [Fact]
    public async Task Recovery_over_a_file_that_is_not_a_database_fails_naming_the_file()
    {
        await WriteEvents(10);
        Overwrite(offset: 0, length: 4096);

        var failure = await RecoveryFailure();
        Assert.Contains(DatabasePath, failure.Message);
        Assert.Contains("cannot be opened", failure.Message);
    }

    [Fact]
    public async Task Recovery_over_damaged_pages_fails_instead_of_starting_empty()
    {
        await WriteEvents(200, payloadBytes: 1000);
        // Page 1 (header and schema) stays intact, so the file opens; every table page behind it is garbage.
        Overwrite(offset: 4096, length: new FileInfo(DatabasePath).Length - 4096);

        var failure = await RecoveryFailure();
        Assert.Contains(DatabasePath, failure.Message);
        Assert.Contains($"persistence id '{Pid}'", failure.Message);
    }

    [Fact]
    public async Task An_event_that_cannot_be_deserialized_fails_recovery_naming_the_event()
    {
        await WriteEvents(3);
        Execute($"UPDATE akkaraft_journal SET payload = x'FF00FF' WHERE persistence_id = '{Pid}' AND sequence_nr = 2");

        var failure = await RecoveryFailure();
        Assert.Contains($"event 2 of persistence id '{Pid}'", failure.Message);
        Assert.Contains("cannot be deserialized", failure.Message);
    }

    [Fact]
    public async Task An_unreadable_snapshot_fails_recovery_instead_of_replaying_a_journal_it_compacted()
    {
        var system = ActorSystem.Create("snapshotting", PersistenceTestConfig.For(_dataDir));
        try
        {
            var actor = system.ActorOf(EventLogActor.Props(Pid));
            await actor.Ask<EventLogActor.Events>(new EventLogActor.PersistEach(Tombstones(3, 1)), Patience);
            await actor.Ask<Akka.Persistence.SaveSnapshotSuccess>(new EventLogActor.Snapshot(), Patience);
        }
        finally
        {
            await system.Terminate();
        }
        Execute($"UPDATE akkaraft_snapshot SET serializer_id = 424242 WHERE persistence_id = '{Pid}'");

        var failure = await RecoveryFailure();
        Assert.Contains($"snapshot 3 of persistence id '{Pid}'", failure.Message);
    }

    [Fact]
    public async Task A_file_holding_another_journals_tables_is_refused_rather_than_used_as_empty()
    {
        // What an Akka.Persistence.Sql journal of an earlier AkkaRaft leaves in <data-dir>/<node>.db.
        Directory.CreateDirectory(_dataDir);
        Execute("CREATE TABLE journal (ordering INTEGER PRIMARY KEY, persistence_id TEXT, sequence_number INTEGER, message BLOB)");
        Execute($"INSERT INTO journal (persistence_id, sequence_number, message) VALUES ('{Pid}', 1, x'00')");

        var failure = await RecoveryFailure();
        Assert.Contains("already holds tables of another store (journal)", failure.Message);
        Assert.Contains(DatabasePath, failure.Message);
    }

    private async Task WriteEvents(int count, int payloadBytes = 0)
    {
        var system = ActorSystem.Create("writing", PersistenceTestConfig.For(_dataDir));
        try
        {
            var actor = system.ActorOf(EventLogActor.Props(Pid));
            await actor.Ask<EventLogActor.Events>(new EventLogActor.PersistEach(Tombstones(count, payloadBytes)), Patience);
        }
        finally
        {
            await system.Terminate();
        }
        Assert.False(File.Exists(DatabasePath + "-wal") && new FileInfo(DatabasePath + "-wal").Length > 0, "the journal left a WAL behind: the file was not closed");
    }

    // Raft events (RaftWireSerializer); the padding makes rows larger, so the table spans many pages.
    private static List<object> Tombstones(int count, int payloadBytes) =>
        [.. Enumerable.Range(1, count).Select(n => (object)(payloadBytes == 0 ? new GroupTombstone((ulong)n) : new RaftLogWritten(null, [new AkkaRaft.Core.Raft.Entry(1, (ulong)n, AkkaRaft.Core.Raft.EntryType.Normal, new byte[payloadBytes])], null, new Dictionary<ulong, ulong>())))];

    private async Task<Exception> RecoveryFailure()
    {
        var system = ActorSystem.Create("recovering", PersistenceTestConfig.For(_dataDir));
        try
        {
            var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(EventLogActor.Props(Pid, failed));
            var failure = await failed.Task.WaitAsync(Patience);
            return Assert.IsType<JournalStorageException>(failure);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private void Overwrite(long offset, long length)
    {
        using var file = new FileStream(DatabasePath, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        var garbage = new byte[length];
        new Random(13).NextBytes(garbage);
        file.Write(garbage);
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
