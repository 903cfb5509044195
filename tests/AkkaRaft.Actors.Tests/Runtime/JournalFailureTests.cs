using System.Text;
using Akka.Configuration;

using Akka.Persistence.TestKit;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class JournalFailureTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(Config, nameof(JournalFailureTests), output)
{
    private const ulong Group = 1;
    private const string JournalId = "akka.persistence.journal.test";

    // Akka.Persistence.TestKit's journal and snapshot store (in memory, with failure injection) under the Raft groups.
    private static Config Config => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.persistence {
          journal.plugin = "{{JournalId}}"
          journal.test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
          snapshot-store.plugin = "akka.persistence.snapshot-store.test"
          snapshot-store.test {
            class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        akka-raft {
          tick-interval = 20ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
          journal-plugin-id = "{{JournalId}}"
          snapshot-plugin-id = "akka.persistence.snapshot-store.test"
        }
        """).WithFallback(RaftReferenceConfig.Value);

    [Fact]
    public async Task Failed_journal_write_stops_the_replica_fails_the_proposer_and_the_supervisor_restarts_it_from_the_journal()
    {
        var machines = new List<RecordingStateMachine>();
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        await node.CreateGroupAsync(Group, 1, new Dictionary<ulong, ulong> { [1] = 1 }, () =>
        {
            var machine = new RecordingStateMachine();
            lock (machines) machines.Add(machine);
            return machine;
        });
        await ProposeUntilSucceeded(node, "before");
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(JournalId));

        await journal.OnWrite.Fail();
        var failed = Assert.IsType<ProposeFailed>(await node.ProposeAsync(Group, "during"u8.ToArray(), TimeSpan.FromSeconds(5)));
        Assert.Equal(RaftFailure.Timeout, failed.Failure);
        Assert.Contains("outcome unknown", failed.Detail);
        await journal.OnWrite.Pass();

        await ProposeUntilSucceeded(node, "after");

        RecordingStateMachine[] created;
        lock (machines) created = [.. machines];
        Assert.True(created.Length >= 2, "the replica was not restarted with a fresh state machine");
        var applied = created[^1].CommandsSoFar();
        // "during" was never durable, so the restarted replica cannot have it; "before" came back from the journal.
        Assert.Equal(["before", "after"], applied);
    }

    private Task ProposeUntilSucceeded(RaftNodeHandle node, string command) =>
        AwaitAssertAsync(async () =>
        {
            // Short timeout: while the supervisor backs off there is no replica to answer.
            var answer = await node.ProposeAsync(Group, Encoding.UTF8.GetBytes(command), TimeSpan.FromSeconds(1));
            Assert.IsType<ProposeSucceeded>(answer);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
}
