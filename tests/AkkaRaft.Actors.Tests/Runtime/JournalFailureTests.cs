using System.Text;
using Akka.Persistence.TestKit;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class JournalFailureTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestJournalConfig.Value, nameof(JournalFailureTests), output)
{
    private const ulong Group = 1;

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
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(TestJournalConfig.JournalId));

        await journal.OnWrite.Fail();
        var failed = Assert.IsType<ProposeFailed>(await node.ProposeAsync(Group, "during"u8.ToArray(), TimeSpan.FromSeconds(5)));
        Assert.Equal(RaftFailure.OutcomeUnknown, failed.Failure);
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
