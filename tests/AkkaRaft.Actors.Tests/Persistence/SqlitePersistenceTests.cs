using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaRaft.Actors.Tests.Persistence;

public sealed class SqlitePersistenceTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "persistence-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a pooled SQLite handle may still be closing; the temp folder is disposable.
        }
    }

    [Fact]
    public async Task Events_persisted_with_PersistAsync_are_recovered_by_a_new_actor_system_from_the_same_file()
    {
        var config = NodeConfig("node-a");
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(_dataDir, "node-a"));

        var first = ActorSystem.Create("first", config);
        try
        {
            var counter = first.ActorOf(Props.Create(() => new EventCountingActor("counter-1")));
            var persisted = await counter.Ask<EventCountingActor.Persisted>(new EventCountingActor.PersistEvents(100), TimeSpan.FromSeconds(60));
            Assert.Equal(100, persisted.Count);
        }
        finally
        {
            await first.Terminate();
        }

        var second = ActorSystem.Create("second", config);
        try
        {
            var recovered = second.ActorOf(Props.Create(() => new EventCountingActor("counter-1")));
            var state = await recovered.Ask<EventCountingActor.State>(EventCountingActor.GetState.Instance, TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(1, 100), state.Events);
        }
        finally
        {
            await second.Terminate();
        }
    }

    [Fact]
    public async Task Database_file_stays_in_WAL_mode_after_the_journal_used_it()
    {
        var path = SqlitePersistenceConfig.DatabasePath(_dataDir, "node-b");
        Assert.Equal("wal", SqliteDatabase.PrepareForDurability(path));

        // Let the journal create its tables and write, then look at the file it left behind.
        var system = ActorSystem.Create("wal", NodeConfig("node-b"));
        try
        {
            var counter = system.ActorOf(Props.Create(() => new EventCountingActor("counter-2")));
            await counter.Ask<EventCountingActor.Persisted>(new EventCountingActor.PersistEvents(3), TimeSpan.FromSeconds(60));
        }
        finally
        {
            await system.Terminate();
        }

        // WAL is stored in the file's header; synchronous = FULL is set by the writer on its own connection (JournalWriterTests).
        Assert.Equal("wal", SqliteDatabase.ReadPragma(path, "journal_mode"));
    }

    [Fact]
    public void Persistence_config_makes_AkkaRaft_journal_and_snapshot_store_the_default_on_the_node_database()
    {
        var config = SqlitePersistenceConfig.For(_dataDir, "node-c").WithFallback(RaftReferenceConfig.Value);
        var expectedPath = Path.Combine(Path.GetFullPath(_dataDir), "node-c.db");

        Assert.Equal(SqlitePersistenceConfig.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(SqlitePersistenceConfig.SnapshotPluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Equal(SqlitePersistenceConfig.JournalPluginId, config.GetString("akka-raft.journal-plugin-id"));
        Assert.Equal(SqlitePersistenceConfig.SnapshotPluginId, config.GetString("akka-raft.snapshot-plugin-id"));
        Assert.Equal(expectedPath, config.GetString(SqlitePersistenceConfig.JournalPluginId + ".database-path"));
        // The snapshot store shares the journal's file (and its single writer).
        Assert.Equal(SqlitePersistenceConfig.JournalPluginId, config.GetString(SqlitePersistenceConfig.SnapshotPluginId + ".journal-plugin"));
        Assert.Equal(typeof(SqliteJournal), Type.GetType(config.GetString(SqlitePersistenceConfig.JournalPluginId + ".class"), throwOnError: true));
        Assert.Equal(typeof(SqliteSnapshotStore), Type.GetType(config.GetString(SqlitePersistenceConfig.SnapshotPluginId + ".class"), throwOnError: true));
    }

    [Fact]
    public void Journal_settings_come_from_the_plugin_section_and_a_bound_below_one_names_its_key()
    {
        var config = SqlitePersistenceConfig.For(_dataDir, "node-d").WithFallback(RaftReferenceConfig.Value);
        var settings = JournalDatabaseSettings.From(config.GetConfig(SqlitePersistenceConfig.JournalPluginId));
        Assert.Equal(SqlitePersistenceConfig.DatabasePath(_dataDir, "node-d"), settings.DatabasePath);
        Assert.Equal(10_000, settings.MaxQueuedWrites);
        Assert.Equal(16L * 1024 * 1024, settings.MaxTransactionBytes);
        Assert.Equal(16 * 1024, settings.WriterCacheKib);

        var bad = ConfigurationFactory.ParseString($"{SqlitePersistenceConfig.JournalPluginId}.max-queued-writes = 0").WithFallback(config);
        var error = Assert.Throws<RaftSettingsException>(() => JournalDatabaseSettings.From(bad.GetConfig(SqlitePersistenceConfig.JournalPluginId)));
        Assert.Equal(SqlitePersistenceConfig.JournalPluginId + ".max-queued-writes", error.Key);
    }

    [Fact]
    public async Task A_journal_without_a_database_path_fails_recovery_naming_the_setting_to_fix()
    {
        var config = PersistenceTestConfig.For(_dataDir, $"{SqlitePersistenceConfig.JournalPluginId}.database-path = \"\"");
        var system = ActorSystem.Create("unconfigured", config);
        try
        {
            var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(EventLogActor.Props("any", failed));
            var failure = Assert.IsType<JournalStorageException>(await failed.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains(SqlitePersistenceConfig.JournalPluginId + ".database-path", failure.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private Config NodeConfig(string node) =>
        ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(SqlitePersistenceConfig.For(_dataDir, node))
            .WithFallback(RaftReferenceConfig.Value);

    /// <summary>Persists numbered events; replies once all of them are durable, or with what it recovered.</summary>
    private sealed class EventCountingActor : ReceivePersistentActor
    {
        private readonly List<int> _events = [];
        private IActorRef _replyTo = ActorRefs.Nobody;
        private int _target;

        public EventCountingActor(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<int>(e => _events.Add(e));
            Command<PersistEvents>(command =>
            {
                _replyTo = Sender;
                _target = _events.Count + command.Count;
                // One command per event: each becomes its own PersistAsync call, many in flight at once.
                foreach (var e in Enumerable.Range(_events.Count + 1, command.Count))
                    Self.Tell(new PersistOne(e));
            });
            Command<PersistOne>(command => PersistAsync(command.Event, persisted =>
            {
                _events.Add(persisted);
                if (_events.Count == _target)
                    _replyTo.Tell(new Persisted(_events.Count));
            }));
            Command<GetState>(_ => Sender.Tell(new State([.. _events])));
        }

        public override string PersistenceId { get; }

        public sealed record PersistEvents(int Count);

        public sealed record PersistOne(int Event);

        public sealed record Persisted(int Count);

        public sealed record GetState
        {
            public static readonly GetState Instance = new();
        }

        public sealed record State(IReadOnlyList<int> Events);
    }
}
