using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class RaftGroupFailoverTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const ulong Group = 1;

    private static readonly Config FastTicks = ConfigurationFactory.ParseString("""
        akka-raft {
          tick-interval = 50ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
        }
        """);

    [Fact]
    public async Task Isolated_leader_is_replaced_by_the_majority_and_after_heal_rejoins_as_follower_with_everything_applied()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, FastTicks);
        var driver = await GroupDriver.StartAsync(this, nodes, Group);
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await driver.ProposeUntilAcceptedAsync(Group, $"before-{i}");
            acknowledged.Add($"before-{i}");
        }
        var oldLeader = await driver.LeaderAsync(Group);
        var majority = driver.Handles.Select(h => h.NodeId).Where(n => n != oldLeader.PeerId).ToList();

        await nodes.Partition((int)oldLeader.PeerId - 1);

        var newLeader = await driver.LeaderAsync(Group, among: majority, aboveTerm: oldLeader.Term);
        for (var i = 0; i < 5; i++)
        {
            await driver.ProposeUntilAcceptedAsync(Group, $"during-{i}", among: majority);
            acknowledged.Add($"during-{i}");
        }
        await driver.AwaitAppliedEverywhereAsync(Group, acknowledged, nodes: majority);
        // CheckQuorum: the cut-off leader notices it lost its quorum and stops acting as leader.
        await driver.AwaitAsync(async () => Assert.NotEqual(StateRole.Leader, (await driver.StatusAsync(oldLeader.PeerId, Group)).Role));
        Assert.DoesNotContain("during-0", driver.Applied(oldLeader.PeerId, Group));

        await nodes.HealAll();

        await driver.AwaitAsync(async () =>
        {
            var status = await driver.StatusAsync(oldLeader.PeerId, Group);
            Assert.Equal(StateRole.Follower, status.Role);
            Assert.True(status.Term >= newLeader.Term, $"old leader at term {status.Term}, new leader was elected in {newLeader.Term}");
            Assert.NotEqual(0UL, status.Leader);
        });
        await driver.AwaitAppliedEverywhereAsync(Group, acknowledged);
        Assert.Equal(driver.Applied(1, Group), driver.Applied(2, Group));
        Assert.Equal(driver.Applied(1, Group), driver.Applied(3, Group));
    }

    [Theory]
    [InlineData(10_000)] // recovery replays the journal only
    [InlineData(8)] // recovery starts from an Akka snapshot (SaveSnapshot + DeleteMessages ran several times)
    public async Task Restart_of_every_node_keeps_acknowledged_commands_terms_and_logs(int snapshotEveryEntries)
    {
        var config = ConfigurationFactory.ParseString($"akka-raft.snapshot-every-entries = {snapshotEveryEntries}").WithFallback(FastTicks);
        var first = await LoopbackCluster.StartAsync(3, config);
        var acknowledged = new List<string>();
        var before = new Dictionary<ulong, GroupStatus>();
        try
        {
            var driver = await GroupDriver.StartAsync(this, first, Group);
            for (var i = 0; i < 30; i++)
            {
                await driver.ProposeUntilAcceptedAsync(Group, $"cmd-{i}");
                acknowledged.Add($"cmd-{i}");
            }
            await driver.AwaitAppliedEverywhereAsync(Group, acknowledged);
            foreach (var handle in driver.Handles) before[handle.NodeId] = await driver.StatusAsync(handle.NodeId, Group);
        }
        finally
        {
            first.KeepDataOnDispose = true;
            await first.DisposeAsync();
        }

        await using var second = await LoopbackCluster.StartAsync(3, config, rootDir: first.RootDir);
        var restarted = await GroupDriver.StartAsync(this, second, Group);

        foreach (var (node, old) in before)
        {
            // Recovered from the journal before GroupCreated: nothing durable may be missing.
            var status = await restarted.StatusAsync(node, Group);
            Assert.True(status.Term >= old.Term, $"node {node}: term went back from {old.Term} to {status.Term}");
            Assert.True(status.LastIndex >= old.LastIndex, $"node {node}: log shrank from {old.LastIndex} to {status.LastIndex}");
        }
        await restarted.AwaitAppliedEverywhereAsync(Group, acknowledged);

        await restarted.ProposeUntilAcceptedAsync(Group, "after-restart");
        await restarted.AwaitAppliedEverywhereAsync(Group, [.. acknowledged, "after-restart"]);
    }
}
