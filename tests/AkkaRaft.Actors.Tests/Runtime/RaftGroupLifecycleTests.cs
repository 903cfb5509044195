using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class RaftGroupLifecycleTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Idle_group_hibernates_on_every_replica_and_a_proposal_wakes_it_and_commits()
    {
        var config = ConfigurationFactory.ParseString("""
            akka-raft {
              tick-interval = 50ms
              election-ticks = 10
              heartbeat-ticks = 2
              hibernate-after-ticks = 20
            }
            """);
        await using var nodes = await LoopbackCluster.StartAsync(3, config);
        var driver = await GroupDriver.StartAsync(this, nodes, 1);
        await driver.ProposeUntilAcceptedAsync(1, "first");

        await AwaitAllHibernating(driver);
        var leader = await driver.LeaderAsync(1);

        var answer = await driver.Node(leader.PeerId).ProposeAsync(1, "wake-up"u8.ToArray());

        var success = Assert.IsType<ProposeSucceeded>(answer);
        await driver.AwaitAppliedEverywhereAsync(1, ["first", "wake-up"]);
        Assert.True(success.Index > leader.Committed);
        // With nothing left to do, it goes back to sleep.
        await AwaitAllHibernating(driver);
    }

    [Fact]
    public async Task Group_created_at_run_time_serves_proposals_and_after_removal_is_gone_but_recovers_its_journal_when_recreated()
    {
        var config = ConfigurationFactory.ParseString("akka-raft { tick-interval = 50ms, election-ticks = 10, heartbeat-ticks = 2, hibernate-after-ticks = 0 }");
        await using var nodes = await LoopbackCluster.StartAsync(3, config);
        var driver = await GroupDriver.StartAsync(this, nodes, 1);
        await driver.ProposeUntilAcceptedAsync(1, "g1-a");

        await driver.CreateGroupAsync(2);
        await driver.ProposeUntilAcceptedAsync(2, "g2-a");
        await driver.AwaitAppliedEverywhereAsync(2, ["g2-a"]);
        foreach (var handle in driver.Handles)
        {
            var hosted = await handle.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, TimeSpan.FromSeconds(3));
            Assert.Equal([1UL, 2UL], hosted.GroupIds);
        }

        foreach (var handle in driver.Handles)
        {
            var removed = await handle.Coordinator.Ask<GroupRemoved>(new RemoveGroup(2), TimeSpan.FromSeconds(3));
            Assert.Equal(2UL, removed.GroupId);
            var refused = Assert.IsType<ProposeFailed>(await handle.ProposeAsync(2, "g2-b"u8.ToArray()));
            Assert.Equal(RaftFailure.GroupNotFound, refused.Failure);
            var hosted = await handle.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, TimeSpan.FromSeconds(3));
            Assert.Equal([1UL], hosted.GroupIds);
        }
        // The other group is unaffected.
        await driver.ProposeUntilAcceptedAsync(1, "g1-b");
        await driver.AwaitAppliedEverywhereAsync(1, ["g1-a", "g1-b"]);

        // Removal keeps the journal: creating the group again recovers it.
        await driver.CreateGroupAsync(2);
        await driver.ProposeUntilAcceptedAsync(2, "g2-c");
        await driver.AwaitAppliedEverywhereAsync(2, ["g2-a", "g2-c"]);
    }

    private static Task AwaitAllHibernating(GroupDriver driver) =>
        driver.AwaitAsync(async () =>
        {
            foreach (var handle in driver.Handles)
            {
                var status = await driver.StatusAsync(handle.NodeId, 1);
                Assert.True(status.Hibernating, $"replica on node {handle.NodeId} is awake: {status.Role} term {status.Term} leader {status.Leader} commit {status.Committed} applied {status.Applied} last {status.LastIndex}");
            }
        });
}
