using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Thesis §3.10: leadership transfer with TimeoutNow.</summary>
public class LeaderTransferTests
{
    private static InMemoryCluster Leader1(Func<ulong, RaftConfig>? configure = null)
    {
        var cluster = new InMemoryCluster(3, configure ?? (id => Replica.Config(id)));
        cluster.Elect(1);
        return cluster;
    }

    [Fact]
    public void Transfer_to_an_up_to_date_follower_sends_TimeoutNow_and_it_wins_the_next_term()
    {
        var r = new Replica(1, [1, 2, 3]);
        r.BecomeLeader(2, 3);
        r.AckAll(2, 3);
        Assert.True(r.Node.TransferLeader(2).Accepted);
        var timeoutNow = Assert.Single(r.Drain().OfType(MessageType.TimeoutNow));
        Assert.Equal((2UL, 1UL), (timeoutNow.To, timeoutNow.Term));

        var cluster = Leader1();
        var term = cluster[1].Term;
        Assert.True(cluster[1].TransferLeader(2).Accepted);
        cluster.Deliver();
        Assert.Equal(StateRole.Leader, cluster[2].Role);
        Assert.Equal(term + 1, cluster[2].Term);
        Assert.Equal(StateRole.Follower, cluster[1].Role);
        Assert.Equal(2UL, cluster[1].Leader);
    }

    [Fact]
    public void Transfer_to_a_lagging_follower_first_catches_it_up()
    {
        var cluster = Leader1();
        cluster.Cut(1, 3);
        for (var i = 0; i < 5; i++) cluster.Propose(1, $"x{i}");
        Assert.True(cluster[3].LastIndex < cluster[1].LastIndex);
        cluster.Heal();
        Assert.True(cluster[1].TransferLeader(3).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.Equal(StateRole.Leader, cluster[3].Role);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"x{i}"), cluster.AppliedData(3));
    }

    [Fact]
    public void Transfer_to_a_learner_or_unknown_replica_is_refused()
    {
        var cluster = new InMemoryCluster(4, id => Replica.Config(id), id => Replica.NewStorage([], membership: new ConfState([1, 2, 3], [], [4], [], false)));
        cluster.Elect(1);
        var learner = cluster[1].TransferLeader(4);
        Assert.Equal(RefusalReason.UnknownPeer, learner.Refusal);
        Assert.Contains("not a voter", learner.Detail);
        Assert.Equal(RefusalReason.UnknownPeer, cluster[1].TransferLeader(9).Refusal);
        Assert.Equal(0UL, cluster[1].LeadTransferee);
    }

    [Fact]
    public void Transfer_requested_on_a_follower_is_refused_with_a_leader_hint()
    {
        var cluster = Leader1();
        var result = cluster[2].TransferLeader(3);
        Assert.Equal((RefusalReason.NotLeader, 1UL), (result.Refusal, result.LeaderHint));
    }

    [Fact]
    public void Transfer_to_the_leader_itself_is_a_no_op()
    {
        var cluster = Leader1();
        Assert.True(cluster[1].TransferLeader(1).Accepted);
        Assert.Equal(0UL, cluster[1].LeadTransferee);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void Proposals_and_conf_changes_are_refused_while_a_transfer_is_in_progress()
    {
        var cluster = Leader1();
        cluster.Isolate(3);
        Assert.True(cluster[1].TransferLeader(3).Accepted);
        Assert.Equal(3UL, cluster[1].LeadTransferee);
        var proposal = cluster[1].Propose(Bytes("x"));
        Assert.Equal((RefusalReason.TransferInProgress, 3UL), (proposal.Refusal, proposal.LeaderHint));
        var change = cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4)));
        Assert.Equal(RefusalReason.TransferInProgress, change.Refusal);
    }

    [Fact]
    public void Transfer_is_abandoned_after_an_election_timeout_and_proposals_resume()
    {
        var cluster = Leader1();
        cluster.Isolate(3);
        Assert.True(cluster[1].TransferLeader(3).Accepted);
        for (var i = 0; i < cluster[1].Config.ElectionTicks; i++)
        {
            cluster[1].Tick();
            cluster.Deliver();
        }
        Assert.Equal(0UL, cluster[1].LeadTransferee);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.True(cluster.Propose(1, "after").Accepted);
    }

    [Fact]
    public void TimeoutNow_makes_a_follower_campaign_at_once_even_with_PreVote()
    {
        var r = new Replica(2, [1, 2, 3], c => c with { PreVote = true, CheckQuorum = true });
        r.StepAndDrain(Heartbeat(1, 2, 1));
        r.Step(new Message { Type = MessageType.TimeoutNow, From = 1, To = 2, Term = 1 });
        Assert.Equal(StateRole.Candidate, r.Node.Role);
        Assert.Equal(2UL, r.Node.Term);
        var votes = r.Drain().OfType(MessageType.Vote).ToList();
        Assert.Equal(2, votes.Count);
        Assert.All(votes, m => Assert.Equal("CampaignTransfer", System.Text.Encoding.UTF8.GetString(m.Context)));
    }

    [Fact]
    public void Transfer_to_a_replica_that_is_removed_meanwhile_is_cancelled()
    {
        var cluster = Leader1();
        cluster.Isolate(3);
        Assert.True(cluster[1].TransferLeader(3).Accepted);
        // The transfer blocks proposals; it is abandoned after a timeout, then 3 is removed.
        for (var i = 0; i < cluster[1].Config.ElectionTicks; i++) { cluster[1].Tick(); cluster.Deliver(); }
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, 3))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.Equal(RefusalReason.UnknownPeer, cluster[1].TransferLeader(3).Refusal);
    }
}
