using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>
/// Save, load and delete by criteria, after Akka.Persistence.TCK's SnapshotStoreSpec: snapshots s-1..s-5 at sequence
/// numbers 11..15, one minute apart, are saved before each test.
/// </summary>
public sealed class SqliteSnapshotStoreTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Pid = "p-1";
    private static readonly DateTime Start = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _dataDir;
    private readonly IActorRef _store;
    private readonly TestProbe _probe;
    private readonly List<SnapshotMetadata> _saved = [];

    public SqliteSnapshotStoreTests(ITestOutputHelper output) : this(PersistenceTestConfig.NewDataDir("snapshots"), output)
    {
    }

    private SqliteSnapshotStoreTests(string dataDir, ITestOutputHelper output)
        : base(PersistenceTestConfig.For(dataDir), nameof(SqliteSnapshotStoreTests), output)
    {
        _dataDir = dataDir;
        _store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        _probe = CreateTestProbe();
        for (var i = 1; i <= 5; i++)
        {
            _store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 10 + i, Start.AddMinutes(i)), $"s-{i}"), _probe.Ref);
            _saved.Add(_probe.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(10)).Metadata);
        }
    }

    [Fact]
    public void Loads_the_newest_snapshot()
    {
        ExpectLoaded(SnapshotSelectionCriteria.Latest, long.MaxValue, "s-5", _saved[4]);
    }

    [Fact]
    public void Loads_the_newest_snapshot_within_an_upper_sequence_number_bound_given_by_criteria_or_by_the_recovery()
    {
        ExpectLoaded(new SnapshotSelectionCriteria(13), long.MaxValue, "s-3", _saved[2]);
        ExpectLoaded(SnapshotSelectionCriteria.Latest, 13, "s-3", _saved[2]);
    }

    [Fact]
    public void Loads_the_newest_snapshot_within_sequence_number_and_timestamp_bounds()
    {
        ExpectLoaded(new SnapshotSelectionCriteria(13, _saved[2].Timestamp), long.MaxValue, "s-3", _saved[2]);
        ExpectLoaded(new SnapshotSelectionCriteria(long.MaxValue, _saved[2].Timestamp), 13, "s-3", _saved[2]);
        ExpectLoaded(new SnapshotSelectionCriteria(long.MaxValue, _saved[3].Timestamp, minSequenceNr: 12), long.MaxValue, "s-4", _saved[3]);
    }

    [Fact]
    public void Loads_nothing_for_an_unknown_persistence_id_or_criteria_no_snapshot_meets()
    {
        ExpectNothing("unknown", SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectNothing(Pid, new SnapshotSelectionCriteria(long.MaxValue, new DateTime(100_000, DateTimeKind.Utc)), long.MaxValue);
        ExpectNothing(Pid, new SnapshotSelectionCriteria(7), long.MaxValue);
        ExpectNothing(Pid, SnapshotSelectionCriteria.Latest, 7);
        ExpectNothing(Pid, new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, minSequenceNr: 16), long.MaxValue);
    }

    [Fact]
    public void Deleting_one_snapshot_by_its_metadata_leaves_the_one_before_it_as_newest()
    {
        _store.Tell(new DeleteSnapshot(_saved[2]), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        ExpectLoaded(new SnapshotSelectionCriteria(13), long.MaxValue, "s-2", _saved[1]);
    }

    [Fact]
    public void Deleting_by_sequence_number_alone_ignores_the_timestamp()
    {
        _store.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 13, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc))), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        ExpectLoaded(new SnapshotSelectionCriteria(13), long.MaxValue, "s-2", _saved[1]);
    }

    [Fact]
    public void Deleting_with_a_timestamp_older_than_the_stored_one_deletes_nothing()
    {
        _store.Tell(new DeleteSnapshot(new SnapshotMetadata(Pid, 13, _saved[2].Timestamp.AddSeconds(-2))), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotSuccess>();
        ExpectLoaded(new SnapshotSelectionCriteria(13), long.MaxValue, "s-3", _saved[2]);
    }

    [Fact]
    public void Deleting_by_criteria_removes_every_snapshot_within_both_bounds_and_no_other()
    {
        _store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(13, _saved[2].Timestamp)), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();
        ExpectNothing(Pid, new SnapshotSelectionCriteria(13, _saved[2].Timestamp), long.MaxValue);
        ExpectLoaded(new SnapshotSelectionCriteria(14, _saved[3].Timestamp), long.MaxValue, "s-4", _saved[3]);

        // A timestamp bound just below s-4's keeps s-4 although its sequence number is within bounds.
        _store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(14, _saved[3].Timestamp.AddTicks(-1))), _probe.Ref);
        _probe.ExpectMsg<DeleteSnapshotsSuccess>();
        ExpectLoaded(new SnapshotSelectionCriteria(14), long.MaxValue, "s-4", _saved[3]);
    }

    [Fact]
    public void Saving_again_at_the_same_sequence_number_replaces_the_snapshot()
    {
        _store.Tell(new SaveSnapshot(_saved[4], "s-5-modified"), _probe.Ref);
        _probe.ExpectMsg<SaveSnapshotSuccess>();
        var loaded = Load(Pid, new SnapshotSelectionCriteria(15), long.MaxValue);
        Assert.Equal("s-5-modified", loaded?.Snapshot);
        Assert.Equal(15, loaded?.Metadata.SequenceNr);
    }

    [Fact]
    public void A_large_snapshot_comes_back_byte_for_byte_from_the_journals_own_file()
    {
        var large = new byte[5 * 1024 * 1024];
        new Random(7).NextBytes(large);
        _store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, Start), large), _probe.Ref);
        _probe.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(20));

        Assert.Equal(large, (byte[]?)Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue)?.Snapshot);
        using var connection = new SqliteConnection($"Data Source={PersistenceTestConfig.DatabasePath(_dataDir)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM akkaraft_snapshot";
        Assert.Equal(6L, count.ExecuteScalar());
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        PersistenceTestConfig.DeleteDataDir(_dataDir);
    }

    private SelectedSnapshot? Load(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr)
    {
        _store.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), _probe.Ref);
        var result = _probe.ExpectMsg<LoadSnapshotResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(toSequenceNr, result.ToSequenceNr);
        return result.Snapshot;
    }

    private void ExpectLoaded(SnapshotSelectionCriteria criteria, long toSequenceNr, string expected, SnapshotMetadata metadata)
    {
        var loaded = Load(Pid, criteria, toSequenceNr);
        Assert.NotNull(loaded);
        Assert.Equal(expected, loaded.Snapshot);
        Assert.Equal(metadata, loaded.Metadata);
    }

    private void ExpectNothing(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr) =>
        Assert.Null(Load(pid, criteria, toSequenceNr));
}
