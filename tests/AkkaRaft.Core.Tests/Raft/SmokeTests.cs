using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Core.Tests.Raft;

public class SmokeTests
{
    [Fact]
    public void Three_replicas_elect_a_leader_and_commit_proposals()
    {
        var cluster = new InMemoryCluster(3);
        cluster.Elect(1);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.All(cluster.Ids, id => Assert.Equal(1UL, cluster[id].Leader));
        for (var i = 0; i < 10; i++) Assert.True(cluster.Propose(1, $"cmd{i}").Accepted);
        cluster.TickAll(2);
        foreach (var id in cluster.Ids)
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"cmd{i}"), cluster.AppliedData(id));
        }
    }

    [Fact]
    public void Leader_elected_by_ticking_alone()
    {
        var cluster = new InMemoryCluster(3);
        cluster.TickAll(40);
        var leader = cluster.LeaderNode;
        Assert.NotNull(leader);
        Assert.True(cluster.Propose(leader!.Id, "x").Accepted);
        cluster.TickAll(2);
        Assert.All(cluster.Ids, id => Assert.Equal(["x"], cluster.AppliedData(id)));
    }
}
