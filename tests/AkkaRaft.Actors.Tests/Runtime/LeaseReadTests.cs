using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>Lease reads (<c>read-only-mode = lease</c>) in the runtime.</summary>
public sealed class LeaseReadTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task A_leader_cut_off_from_its_peers_while_hibernating_answers_no_lease_read_after_waking()
    {
        var config = ConfigurationFactory.ParseString("""
            akka-raft {
              tick-interval = 50ms
              election-ticks = 10
              heartbeat-ticks = 2
              hibernate-after-ticks = 20
              read-only-mode = lease
              check-quorum = on
            }
            """);
        await using var nodes = await LoopbackCluster.StartAsync(3, config);
        var driver = await GroupDriver.StartAsync(this, nodes, 1);
        await driver.ProposeUntilAcceptedAsync(1, "before-sleep");
        var leader = await driver.LeaderAsync(1);
        // While awake, the leader serves lease reads.
        await driver.AwaitAsync(async () =>
            Assert.IsType<ReadSucceeded>(await driver.Node(leader.PeerId).ReadAsync(1, sm => ((RecordingStateMachine)sm).Commands.Count)));
        await driver.AwaitAsync(async () =>
        {
            foreach (var handle in driver.Handles) Assert.True((await driver.StatusAsync(handle.NodeId, 1)).Hibernating);
        });

        // Asleep, the leader checks no quorum; the others may elect a new leader meanwhile. Its lease proves nothing now.
        await nodes.Partition((int)leader.PeerId - 1);
        var answer = await driver.Node(leader.PeerId).ReadAsync(1, sm => ((RecordingStateMachine)sm).Commands.Count, TimeSpan.FromSeconds(10));
        Assert.IsType<ProposeFailed>(answer);
    }
}
