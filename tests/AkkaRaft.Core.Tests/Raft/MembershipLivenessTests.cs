using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Membership changes that involve the leader itself, and leadership changes in the middle of a change.</summary>
public class MembershipLivenessTests
{
    private static ConfChangeSingle Remove(ulong id) => new(ConfChangeType.RemoveNode, id);

    [Fact]
    public void A_new_leader_leaves_an_auto_leave_joint_configuration_the_old_leader_could_not()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        cluster.AddNode(4, 1, 2, 3);
        cluster.AddNode(5, 1, 2, 3);
        // The old leader's leave-joint entry never leaves it.
        cluster.Drop = m => m.From == 1 && m.Entries.Any(e => e.Type == EntryType.ConfChange && ConfChange.Decode(e.Data).IsLeaveJoint);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new(ConfChangeType.AddNode, 4), new(ConfChangeType.AddNode, 5))).Accepted);
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.True(cluster[2].ConfState.IsJoint);
        Assert.True(cluster[2].ConfState.AutoLeave);
        cluster.Drop = null;
        cluster.Isolate(1);
        for (var i = 0; i < 3 && cluster[2].Role != StateRole.Leader; i++) cluster.Elect(2);
        Assert.Equal(StateRole.Leader, cluster[2].Role);
        cluster.TickAll(3);
        foreach (var id in new ulong[] { 2, 3, 4, 5 })
        {
            Assert.True(cluster[id].ConfState.SameAs(ConfState.OfVoters(1, 2, 3, 4, 5)), $"{id}: {cluster[id].ConfState}");
        }
    }

    [Fact]
    public void A_removed_leader_refuses_further_membership_changes()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Remove(1))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.False(cluster[1].Tracker.Progress.ContainsKey(1));
        var result = cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 9)));
        Assert.Equal(RefusalReason.NotLeader, result.Refusal);
        Assert.True(cluster[2].ConfState.SameAs(ConfState.OfVoters(2, 3)));
    }

    [Fact]
    public void After_the_leader_removes_itself_the_remaining_replicas_elect_a_new_leader_even_when_it_stays_reachable()
    {
        var cluster = new InMemoryCluster(3, id => InMemoryCluster.DefaultConfig(id) with { PreVote = true, CheckQuorum = true });
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Remove(1))).Accepted);
        cluster.Deliver();
        cluster.TickAll(60);
        var leaders = new ulong[] { 2, 3 }.Where(id => cluster[id].Role == StateRole.Leader).ToList();
        Assert.Single(leaders);
        Assert.True(cluster.Propose(leaders[0], "after").Accepted);
        cluster.TickAll(1);
        Assert.Equal(["after"], cluster.AppliedData(new ulong[] { 2, 3 }.Single(id => id != leaders[0])));
    }

    [Fact]
    public void A_leader_demoted_to_learner_steps_down_and_the_voters_elect_a_new_leader()
    {
        var cluster = new InMemoryCluster(3, id => InMemoryCluster.DefaultConfig(id) with { PreVote = true, CheckQuorum = true });
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new(ConfChangeType.AddLearnerNode, 1), new(ConfChangeType.AddNode, 2))).Accepted);
        cluster.Deliver();
        cluster.TickAll(60);
        Assert.True(cluster[1].IsLearner);
        Assert.NotEqual(StateRole.Leader, cluster[1].Role);
        var leader = new ulong[] { 2, 3 }.Single(id => cluster[id].Role == StateRole.Leader);
        Assert.True(cluster[leader].ConfState.SameAs(new ConfState([2, 3], [], [1], [], false)), cluster[leader].ConfState.ToString());
        Assert.True(cluster.Propose(leader, "after").Accepted);
        cluster.TickAll(1);
        Assert.Equal(["after"], cluster.AppliedData(1)); // the learner still follows
    }

    [Fact]
    public void A_restarted_replica_recovers_the_membership_changes_it_had_applied()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        cluster.Propose(1, "x");
        cluster.TickAll(1);
        foreach (var id in cluster.Ids.ToList()) cluster.Restart(id);
        cluster.ProcessReadies();
        Assert.All(cluster.Ids, id => Assert.Equal([4UL], cluster[id].ConfState.Learners));
        Assert.All(cluster.Ids, id => Assert.Equal(["x"], cluster.AppliedData(id)));
    }
}
