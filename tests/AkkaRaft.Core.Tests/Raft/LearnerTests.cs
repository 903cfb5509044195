using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Thesis §4.2.1: learners (non-voting members) replicate the log but never decide anything.</summary>
public class LearnerTests
{
    private static readonly ConfState VotersAndLearner = new([1, 2, 3], [], [4], [], false);

    private static InMemoryCluster Cluster() =>
        new(4, id => Replica.Config(id), id => Replica.NewStorage([], membership: VotersAndLearner));

    [Fact]
    public void Learner_receives_and_applies_the_log()
    {
        var cluster = Cluster();
        cluster.Elect(1);
        Assert.True(cluster.Propose(1, "x").Accepted);
        cluster.TickAll(1);
        Assert.Equal(["x"], cluster.AppliedData(4));
        Assert.True(cluster[4].IsLearner);
        Assert.Equal(1UL, cluster[4].Leader);
    }

    [Fact]
    public void Learner_never_campaigns_however_long_it_waits()
    {
        var cluster = Cluster();
        cluster.Isolate(4);
        for (var i = 0; i < 100; i++) cluster[4].Tick();
        cluster.Deliver();
        Assert.Equal(StateRole.Follower, cluster[4].Role);
        Assert.Equal(0UL, cluster[4].Term);
        cluster[4].Campaign();
        Assert.Equal(StateRole.Follower, cluster[4].Role);
        Assert.False(cluster[4].HasReady);
    }

    [Fact]
    public void Learner_does_not_count_towards_commit()
    {
        var r = new Replica(1, [], membership: VotersAndLearner);
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        var index = r.Node.Propose(Bytes("x")).Index;
        r.Drain();
        r.StepAndDrain(AppendResp(4, 1, 1, index));
        Assert.True(r.Node.Committed < index);
        r.StepAndDrain(AppendResp(2, 1, 1, index));
        Assert.Equal(index, r.Node.Committed);
    }

    [Fact]
    public void Learner_may_grant_a_vote_but_it_is_not_counted()
    {
        var learner = new Replica(4, [], membership: VotersAndLearner);
        var response = Assert.Single(learner.StepAndDrain(Vote(1, 4, 1, 0, 0)));
        Assert.False(response.Reject);

        var candidate = new Replica(1, [], membership: VotersAndLearner);
        candidate.Node.Campaign();
        candidate.Drain();
        Assert.DoesNotContain(candidate.Readies.SelectMany(r => r.AllMessages), m => m.To == 4);
        var result = candidate.Step(VoteResp(4, 1, 1));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("non-voter", result.Reason);
        Assert.Equal(StateRole.Candidate, candidate.Node.Role);
    }

    [Fact]
    public void Learner_ignores_TimeoutNow()
    {
        var learner = new Replica(4, [], membership: VotersAndLearner);
        learner.StepAndDrain(Heartbeat(1, 4, 1));
        var result = learner.Step(new Message { Type = MessageType.TimeoutNow, From = 1, To = 4, Term = 1 });
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Equal(StateRole.Follower, learner.Node.Role);
    }

    [Fact]
    public void Learner_promoted_to_voter_takes_part_in_elections()
    {
        var cluster = Cluster();
        cluster.Elect(1);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddNode, 4))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.All(cluster.Ids, id => Assert.Equal([1UL, 2UL, 3UL, 4UL], cluster[id].ConfState.Voters));
        Assert.All(cluster.Ids, id => Assert.Empty(cluster[id].ConfState.Learners));
        Assert.False(cluster[4].IsLearner);
        cluster.Elect(4);
        Assert.Equal(StateRole.Leader, cluster[4].Role);
    }

    [Fact]
    public void Learner_added_by_conf_change_catches_up_from_the_start()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        cluster.Propose(1, "before");
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4))).Accepted);
        cluster.AddNode(4, 1, 2, 3);
        cluster.Deliver();
        cluster.TickAll(3);
        Assert.Equal(["before"], cluster.AppliedData(4));
        Assert.True(cluster[4].IsLearner);
        Assert.Equal([4UL], cluster[1].ConfState.Learners);
        Assert.True(cluster.Propose(1, "after").Accepted);
        cluster.TickAll(1);
        Assert.Equal(["before", "after"], cluster.AppliedData(4));
    }
}
