using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>
/// When the leader's node dies, the survivors' transport notices (its connections close) and the followers campaign at
/// once. The election timeout here is 1000 ticks of 50 ms, at least 50 s: a leader that appears sooner was elected
/// because the node's loss was noticed, not because a timeout ran out.
/// </summary>
public sealed class LeaderNodeLossTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const ulong Group = 1;
    private static readonly TimeSpan WellWithinTheElectionTimeout = TimeSpan.FromSeconds(30);

    private static readonly Config NoTimeoutInSight = ConfigurationFactory.ParseString("""
        akka-raft {
          tick-interval = 50ms
          election-ticks = 1000
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
        }
        """);

    [Fact]
    public async Task A_crashed_leaders_node_is_replaced_by_a_survivor_without_waiting_for_an_election_timeout()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, NoTimeoutInSight);
        var driver = await GroupDriver.StartAsync(this, nodes);
        await driver.CreateGroupAsync(Group, campaignOn: 1);
        var oldLeader = await driver.LeaderAsync(Group);
        Assert.Equal(1UL, oldLeader.PeerId);
        await driver.ProposeUntilAcceptedAsync(Group, "before");
        await driver.AwaitAppliedEverywhereAsync(Group, ["before"]);

        await nodes.CrashAsync(0);

        ulong[] survivors = [2, 3];
        GroupStatus? newLeader = null;
        await AwaitAssertAsync(async () =>
        {
            foreach (var node in survivors)
            {
                if (await driver.StatusAsync(node, Group) is { Role: StateRole.Leader } status && status.Term > oldLeader.Term) newLeader = status;
            }
            Assert.NotNull(newLeader);
        }, WellWithinTheElectionTimeout, TimeSpan.FromMilliseconds(50));

        // An ordinary leader: it commits, and what the old one committed is still there.
        var answer = await driver.Node(newLeader!.PeerId).ProposeAsync(Group, "after"u8.ToArray(), TimeSpan.FromSeconds(10));
        Assert.IsType<ProposeSucceeded>(answer);
        await driver.AwaitAppliedEverywhereAsync(Group, ["before", "after"], nodes: survivors);
    }
}
