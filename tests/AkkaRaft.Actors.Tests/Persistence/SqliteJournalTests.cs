using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using AkkaRaft.Actors.Runtime;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>
/// What a journal plugin owes its users, after Akka.Persistence.TCK's JournalSpec: events 1..5 of one persistence id
/// (4 and 5 as one atomic write) are written through the journal actor before each test.
/// </summary>
public sealed class SqliteJournalTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Pid = "p-1";
    private const int ActorInstanceId = 1;
    private readonly string _dataDir;
    private readonly string _writerGuid = Guid.NewGuid().ToString();
    private readonly IActorRef _journal;
    private readonly TestProbe _receiver;

    public SqliteJournalTests(ITestOutputHelper output) : this(PersistenceTestConfig.NewDataDir("journal"), output)
    {
    }

    private SqliteJournalTests(string dataDir, ITestOutputHelper output)
        : base(PersistenceTestConfig.For(dataDir), nameof(SqliteJournalTests), output)
    {
        _dataDir = dataDir;
        _journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        _receiver = CreateTestProbe();
        Write(new AtomicWrite(Event(1)), new AtomicWrite(Event(2)), new AtomicWrite(Event(3)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(4), Event(5))));
    }

    [Fact]
    public void Replays_every_event_in_order_and_reports_the_highest_sequence_number()
    {
        _journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectReplayed(1, 2, 3, 4, 5);
        ExpectRecovered(highest: 5);
    }

    [Theory]
    [InlineData(3, long.MaxValue, long.MaxValue, new long[] { 3, 4, 5 })] // lower bound
    [InlineData(1, 3, long.MaxValue, new long[] { 1, 2, 3 })] // upper bound
    [InlineData(1, long.MaxValue, 3, new long[] { 1, 2, 3 })] // count limit
    [InlineData(2, 3, long.MaxValue, new long[] { 2, 3 })] // both bounds
    [InlineData(2, 5, 2, new long[] { 2, 3 })] // both bounds and a limit
    [InlineData(2, 2, long.MaxValue, new long[] { 2 })] // lower = upper
    [InlineData(2, 4, 1, new long[] { 2 })] // limit of one
    [InlineData(2, 4, 0, new long[0])] // limit of zero
    [InlineData(3, 2, long.MaxValue, new long[0])] // lower above upper
    public void Replay_returns_exactly_the_events_within_from_to_and_max_and_still_reports_the_highest(long from, long to, long max, long[] expected)
    {
        _journal.Tell(new ReplayMessages(from, to, max, Pid, _receiver.Ref));
        ExpectReplayed(expected);
        ExpectRecovered(highest: 5);
    }

    [Fact]
    public void A_persistence_id_that_never_wrote_replays_nothing_with_highest_zero()
    {
        _journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, "never-wrote", _receiver.Ref));
        ExpectRecovered(highest: 0);
    }

    [Fact]
    public void Deleted_events_are_not_replayed_and_the_highest_sequence_number_survives_the_delete()
    {
        _journal.Tell(new DeleteMessagesTo(Pid, 3, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        _journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectReplayed(4, 5);
        ExpectRecovered(highest: 5);
    }

    [Fact]
    public void Deleting_every_event_keeps_the_highest_so_the_next_incarnation_continues_after_it()
    {
        _journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>();

        _journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectRecovered(highest: 5);

        // Deleting again (nothing left) must not lower it either; new events continue at 6.
        _journal.Tell(new DeleteMessagesTo(Pid, 5, _receiver.Ref));
        _receiver.ExpectMsg<DeleteMessagesSuccess>();
        Write(new AtomicWrite(Event(6)));
        _journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectReplayed(6);
        ExpectRecovered(highest: 6);
    }

    [Fact]
    public void An_unserializable_event_rejects_only_its_own_atomic_write()
    {
        var probe = CreateTestProbe();
        _journal.Tell(new WriteMessages(
            [new AtomicWrite(Event(6)), new AtomicWrite(Event(7, new Unserializable("no"))), new AtomicWrite(Event(8))], probe.Ref, ActorInstanceId));

        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6);
        var rejected = probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 7);
        Assert.Contains("cannot be serialized", rejected.Cause.Message);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 8);

        _journal.Tell(new ReplayMessages(6, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectReplayed(6, 8);
        ExpectRecovered(highest: 8);
    }

    [Fact]
    public void An_atomic_write_with_one_unserializable_event_stores_none_of_its_events()
    {
        var probe = CreateTestProbe();
        var atomic = new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(6), Event(7, new Unserializable("no")), Event(8)));
        _journal.Tell(new WriteMessages([atomic, new AtomicWrite(Event(9))], probe.Ref, ActorInstanceId));

        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 6);
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 7);
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 8);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 9);

        _journal.Tell(new ReplayMessages(6, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        ExpectReplayed(9);
        ExpectRecovered(highest: 9);
    }

    [Fact]
    public void Writer_id_and_adapter_manifest_come_back_as_written()
    {
        var written = new Persistent("x", 6, Pid, "adapter-manifest", false, ActorRefs.NoSender, _writerGuid);
        Write(new AtomicWrite(written));

        _journal.Tell(new ReplayMessages(6, 6, long.MaxValue, Pid, _receiver.Ref));
        var replayed = _receiver.ExpectMsg<ReplayedMessage>().Persistent;
        Assert.Equal("x", replayed.Payload);
        Assert.Equal("adapter-manifest", replayed.Manifest);
        Assert.Equal(_writerGuid, replayed.WriterGuid);
        ExpectRecovered(highest: 6);
    }

    [Fact]
    public void Raft_events_are_stored_with_the_binary_RaftWireSerializer_and_its_manifest()
    {
        Write(new AtomicWrite(Event(6, new GroupTombstone(42))));

        using (var connection = new SqliteConnection($"Data Source={PersistenceTestConfig.DatabasePath(_dataDir)};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT serializer_id, manifest FROM akkaraft_journal WHERE persistence_id = $pid AND sequence_nr = 6";
            command.Parameters.AddWithValue("$pid", Pid);
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(AkkaRaft.Actors.Serialization.RaftWireSerializer.SerializerId, reader.GetInt32(0));
            Assert.Equal("GT", reader.GetString(1));
        }

        _journal.Tell(new ReplayMessages(6, 6, long.MaxValue, Pid, _receiver.Ref));
        Assert.Equal(new GroupTombstone(42), _receiver.ExpectMsg<ReplayedMessage>().Persistent.Payload);
        ExpectRecovered(highest: 6);
    }

    [Fact]
    public void Reading_the_highest_sequence_number_waits_for_the_persistence_ids_write_still_in_flight()
    {
        // Another connection holds SQLite's write lock, so the write below cannot commit yet.
        using var blocker = new SqliteConnection($"Data Source={PersistenceTestConfig.DatabasePath(_dataDir)};Pooling=False");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }
        var writer = CreateTestProbe();
        _journal.Tell(new WriteMessages([new AtomicWrite(Event(6))], writer.Ref, ActorInstanceId));

        // A restarted incarnation recovering now must not be told 5 (it would write 6 again).
        _journal.Tell(new ReplayMessages(6, long.MaxValue, long.MaxValue, Pid, _receiver.Ref));
        _receiver.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        writer.ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(10));
        ExpectReplayed(6);
        ExpectRecovered(highest: 6);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        PersistenceTestConfig.DeleteDataDir(_dataDir);
    }

    private Persistent Event(long sequenceNr, object? payload = null) =>
        new(payload ?? $"a-{sequenceNr}", sequenceNr, Pid, "", false, ActorRefs.NoSender, _writerGuid);

    private void Write(params AtomicWrite[] writes)
    {
        var probe = CreateTestProbe();
        _journal.Tell(new WriteMessages(writes, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(10));
        foreach (var persistent in writes.SelectMany(w => (IEnumerable<IPersistentRepresentation>)w.Payload))
            probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == persistent.SequenceNr && m.Persistent.PersistenceId == Pid);
    }

    private void ExpectReplayed(params long[] sequenceNrs)
    {
        foreach (var sequenceNr in sequenceNrs)
        {
            var replayed = _receiver.ExpectMsg<ReplayedMessage>(TimeSpan.FromSeconds(10)).Persistent;
            Assert.Equal(sequenceNr, replayed.SequenceNr);
            Assert.Equal(Pid, replayed.PersistenceId);
            Assert.False(replayed.IsDeleted);
            if (replayed.Payload is string text) Assert.Equal($"a-{sequenceNr}", text);
        }
    }

    private void ExpectRecovered(long highest) =>
        Assert.Equal(highest, _receiver.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr);
}
