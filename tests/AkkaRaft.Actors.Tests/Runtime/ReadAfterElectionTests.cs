using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class ReadAfterElectionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly Config FastTicks = ConfigurationFactory.ParseString("""
        akka-raft { tick-interval = 50ms, election-ticks = 10, heartbeat-ticks = 2, hibernate-after-ticks = 0 }
        """);

    [Fact]
    public async Task A_linearizable_read_is_served_when_the_last_committed_entry_is_the_new_leaders_no_op()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, FastTicks);
        var handles = await RaftGroupClusterTests.StartGroup(nodes, groupId: 3);

        // No proposal at all: the read index is the leader's no-op, which the state machine never sees.
        object? answer = null;
        await AwaitAssertAsync(async () =>
        {
            foreach (var handle in handles)
            {
                if (await handle.StatusAsync(3) is not GroupStatus { Role: StateRole.Leader }) continue;
                answer = await handle.ReadAsync(3, sm => ((RecordingStateMachine)sm).Commands.Count);
                Assert.IsType<ReadSucceeded>(answer);
                return;
            }
            Assert.Fail("no leader yet");
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, Assert.IsType<ReadSucceeded>(answer).Value);
    }
}
