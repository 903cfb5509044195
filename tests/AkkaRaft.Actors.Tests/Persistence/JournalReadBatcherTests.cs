using AkkaRaft.Actors.Persistence;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>Reads of many persistence ids at once (thousands of groups recovering) are served in a few passes, each read on its own.</summary>
public sealed class JournalReadBatcherTests : IDisposable
{
    private const int Ids = 300;
    private readonly string _dataDir = PersistenceTestConfig.NewDataDir("reads");

    public void Dispose() => PersistenceTestConfig.DeleteDataDir(_dataDir);

    [Fact]
    public async Task Many_groups_recovering_at_once_get_exactly_their_own_events_back_in_a_few_read_passes()
    {
        using var database = JournalDatabase.Open(Settings());
        await WriteEvents(database);

        var passesBefore = database.ReadPasses;
        Task<long>[] highest;
        Task<List<(long SequenceNr, byte[] Payload)>>[] replays;
        using (database.HoldReads())
        {
            highest = [.. Enumerable.Range(0, Ids).Select(i => database.ReadHighestSequenceNrAsync(Pid(i), CancellationToken.None))];
            replays = [.. Enumerable.Range(0, Ids).Select(i => Replay(database, Pid(i)))];
            Assert.DoesNotContain(highest, t => t.IsCompleted);
        }
        await Task.WhenAll(Task.WhenAll(highest), Task.WhenAll(replays)).WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < Ids; i++)
        {
            Assert.Equal(EventsOf(i), await highest[i]);
            var events = await replays[i];
            Assert.Equal(Enumerable.Range(1, EventsOf(i)).Select(n => (long)n), events.Select(e => e.SequenceNr));
            Assert.All(events, e => Assert.Equal(Payload(i, e.SequenceNr), e.Payload));
        }
        // 600 reads queued together: at most max-read-batch (256) per pass, so 3 to 4 passes, not 600.
        Assert.InRange(database.ReadPasses - passesBefore, 3, 6);
    }

    [Fact]
    public async Task A_corrupt_group_in_a_recovery_batch_fails_alone_and_the_others_of_its_pass_recover()
    {
        using var database = JournalDatabase.Open(Settings());
        await WriteEvents(database);
        const int corrupt = 17;
        using (var connection = new SqliteConnection($"Data Source={PersistenceTestConfig.DatabasePath(_dataDir)};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            // A payload that is text, not bytes: reading the row fails.
            update.CommandText = $"UPDATE akkaraft_journal SET payload = 'not bytes' WHERE persistence_id = '{Pid(corrupt)}' AND sequence_nr = 1";
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        var passesBefore = database.ReadPasses;
        Task<List<(long SequenceNr, byte[] Payload)>>[] replays;
        using (database.HoldReads()) replays = [.. Enumerable.Range(0, 40).Select(i => Replay(database, Pid(i)))];
        await Task.WhenAll(replays.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(30));

        var failure = await Assert.ThrowsAsync<JournalStorageException>(() => replays[corrupt]);
        Assert.Contains($"persistence id '{Pid(corrupt)}'", failure.Message);
        for (var i = 0; i < 40; i++)
        {
            if (i == corrupt) continue;
            Assert.Equal(EventsOf(i), (await replays[i]).Count);
        }
        Assert.InRange(database.ReadPasses - passesBefore, 1, 2);
        // The reader carries on: the next pass reads as before.
        Assert.Equal(EventsOf(3), await database.ReadHighestSequenceNrAsync(Pid(3), CancellationToken.None));
    }

    [Theory]
    [InlineData("max-read-batch = 0", "max-read-batch")]
    [InlineData("max-queued-reads = -1", "max-queued-reads")]
    public void A_read_bound_below_one_is_refused_naming_the_setting(string hocon, string key)
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString($"database-path = \"x.db\"\n{hocon}");
        var error = Assert.Throws<AkkaRaft.Actors.Settings.RaftSettingsException>(() => JournalDatabaseSettings.From(config));
        Assert.Contains(key, error.Message);
    }

    private static string Pid(int i) => $"raft-1-{i}-1";

    private static int EventsOf(int i) => 1 + i % 5;

    private static byte[] Payload(int i, long sequenceNr) => [(byte)i, (byte)(i >> 8), (byte)sequenceNr];

    private static async Task WriteEvents(JournalDatabase database)
    {
        var writes = Enumerable.Range(0, Ids).Select(i => database.WriteAsync(new AppendEvents(
            [.. Enumerable.Range(1, EventsOf(i)).Select(n => new EventRow(Pid(i), n, 1, null, null, null, 0, Payload(i, n)))],
            CancellationToken.None)));
        await Task.WhenAll(writes);
    }

    private static async Task<List<(long SequenceNr, byte[] Payload)>> Replay(JournalDatabase database, string pid)
    {
        var events = new List<(long, byte[])>();
        await database.ReplayAsync(pid, 1, long.MaxValue, long.MaxValue, row => events.Add((row.SequenceNr, row.Payload)), CancellationToken.None);
        return events;
    }

    private JournalDatabaseSettings Settings() => new() { DatabasePath = PersistenceTestConfig.DatabasePath(_dataDir) };
}
