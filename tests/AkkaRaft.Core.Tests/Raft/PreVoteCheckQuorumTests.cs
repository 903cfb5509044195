using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Thesis §9.6 (PreVote) and §6.2 / §4.2.3 (CheckQuorum, leases on vote requests).</summary>
public class PreVoteCheckQuorumTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static RaftConfig Both(ulong id) => InMemoryCluster.DefaultConfig(id) with { PreVote = true, CheckQuorum = true };

    [Fact]
    public void PreVote_campaign_asks_for_the_next_term_without_changing_its_own()
    {
        var r = new Replica(1, Three, PreVoteOnly_(), hardState: new HardState(4, 0, 0));
        r.Node.Campaign();
        var ready = r.Node.Ready();
        Assert.Equal(StateRole.PreCandidate, r.Node.Role);
        Assert.Equal(4UL, r.Node.Term);
        Assert.Null(ready.HardState);
        var requests = ready.AllMessages.OfType(MessageType.PreVote).ToList();
        Assert.Equal([2UL, 3UL], requests.Select(m => m.To));
        Assert.All(requests, m => Assert.Equal(5UL, m.Term));
    }

    private static Func<RaftConfig, RaftConfig> PreVoteOnly_() => c => c with { PreVote = true };

    [Fact]
    public void PreVote_voter_grants_without_changing_term_or_vote()
    {
        var r = new Replica(2, Three, PreVoteOnly_(), hardState: new HardState(4, 0, 0));
        var response = Assert.Single(r.StepAndDrain(Vote(1, 2, 5, 0, 0, MessageType.PreVote)));
        Assert.Equal(MessageType.PreVoteResponse, response.Type);
        Assert.False(response.Reject);
        Assert.Equal(5UL, response.Term); // answered in the candidate's future term so it is not dropped as stale
        Assert.Equal((4UL, 0UL), (r.Node.Term, r.Node.Vote));
    }

    [Fact]
    public void PreVote_voter_rejects_a_pre_candidate_with_an_older_log()
    {
        var r = new Replica(2, Three, PreVoteOnly_(), log: Terms(1, 2), hardState: new HardState(2, 0, 0));
        var response = Assert.Single(r.StepAndDrain(Vote(1, 2, 3, 1, 1, MessageType.PreVote)));
        Assert.True(response.Reject);
        Assert.Equal(2UL, r.Node.Term);
    }

    [Fact]
    public void PreVote_winning_the_pre_vote_starts_a_real_election_in_the_next_term()
    {
        var r = new Replica(1, Three, PreVoteOnly_(), hardState: new HardState(4, 0, 0));
        r.Node.Campaign();
        r.Drain();
        var messages = r.StepAndDrain(VoteResp(2, 1, 5, type: MessageType.PreVoteResponse));
        Assert.Equal(StateRole.Candidate, r.Node.Role);
        Assert.Equal((5UL, 1UL), (r.Node.Term, r.Node.Vote));
        Assert.Equal([2UL, 3UL], messages.OfType(MessageType.Vote).Select(m => m.To));
    }

    [Fact]
    public void PreVote_losing_the_pre_vote_returns_to_follower_in_the_same_term()
    {
        var r = new Replica(1, Three, PreVoteOnly_(), hardState: new HardState(4, 0, 0));
        r.Node.Campaign();
        r.Drain();
        r.Step(VoteResp(2, 1, 4, reject: true, type: MessageType.PreVoteResponse));
        r.Step(VoteResp(3, 1, 4, reject: true, type: MessageType.PreVoteResponse));
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(4UL, r.Node.Term);
    }

    [Fact]
    public void PreVote_a_partitioned_replica_does_not_inflate_its_term_nor_disrupt_the_leader_on_return()
    {
        var cluster = new InMemoryCluster(3, Both);
        cluster.Elect(1);
        var term = cluster[1].Term;
        cluster.Isolate(3);
        cluster.TickAll(100);
        Assert.Equal(term, cluster[3].Term);
        Assert.NotEqual(StateRole.Leader, cluster[3].Role);
        cluster.Heal();
        cluster.TickAll(5);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.Equal(term, cluster[1].Term);
        Assert.Equal(1UL, cluster[3].Leader);
    }

    [Fact]
    public void PreVote_a_stale_pre_vote_request_is_rejected_with_the_current_term()
    {
        var r = new Replica(2, Three, PreVoteOnly_(), hardState: new HardState(5, 0, 0));
        var result = r.Step(Vote(1, 2, 3, 0, 0, MessageType.PreVote));
        Assert.Equal(StepStatus.Ignored, result.Status);
        var response = Assert.Single(r.Drain());
        Assert.Equal((MessageType.PreVoteResponse, true, 5UL), (response.Type, response.Reject, response.Term));
    }

    [Fact]
    public void CheckQuorum_leader_steps_down_when_it_has_not_heard_from_a_quorum_for_an_election_timeout()
    {
        var cluster = new InMemoryCluster(3, Both);
        cluster.Elect(1);
        cluster.Isolate(1);
        for (var i = 0; i < 2 * cluster[1].Config.ElectionTicks && cluster[1].Role == StateRole.Leader; i++)
        {
            cluster[1].Tick();
            cluster.Deliver();
        }
        Assert.Equal(StateRole.Follower, cluster[1].Role);
        Assert.Equal(0UL, cluster[1].Leader);
    }

    [Fact]
    public void CheckQuorum_leader_stays_while_a_quorum_answers()
    {
        var cluster = new InMemoryCluster(3, Both);
        cluster.Elect(1);
        cluster.Cut(1, 3);
        cluster.TickAll(5 * cluster[1].Config.ElectionTicks);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void CheckQuorum_a_follower_that_heard_from_its_leader_recently_ignores_vote_requests()
    {
        var r = new Replica(2, Three, c => c with { CheckQuorum = true });
        r.StepAndDrain(Heartbeat(1, 2, 1));
        var result = r.Step(Vote(3, 2, 2, 5, 1));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("lease", result.Reason);
        Assert.Equal(1UL, r.Node.Term);
        Assert.Empty(r.Drain());
    }

    [Fact]
    public void CheckQuorum_once_the_lease_expires_vote_requests_are_considered()
    {
        var r = new Replica(2, Three, c => c with { CheckQuorum = true, ElectionTicks = 10 });
        r.StepAndDrain(Heartbeat(1, 2, 1));
        r.Tick(10); // lease over (randomized timeout >= 10 may not have fired yet)
        r.Drain();
        var term = r.Node.Term;
        var result = r.Step(Vote(3, 2, term + 1, 5, 1));
        Assert.Equal(StepStatus.Processed, result.Status);
        Assert.Equal(term + 1, r.Node.Term);
    }

    [Fact]
    public void CheckQuorum_a_leadership_transfer_vote_request_bypasses_the_lease()
    {
        var cluster = new InMemoryCluster(3, Both);
        cluster.Elect(1);
        Assert.True(cluster[1].TransferLeader(3).Accepted);
        cluster.Deliver();
        Assert.Equal(StateRole.Leader, cluster[3].Role);
    }

    [Fact]
    public void PreVote_a_stale_leader_is_told_the_newer_term_and_steps_down()
    {
        // PreVote without CheckQuorum: the isolated leader never notices by itself.
        var cluster = new InMemoryCluster(3, id => InMemoryCluster.DefaultConfig(id) with { PreVote = true, CheckQuorum = false });
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster.Elect(2);
        Assert.Equal(StateRole.Leader, cluster[2].Role);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        cluster.Heal();
        cluster[1].Tick(); // heartbeat at the stale term
        cluster.Deliver();
        Assert.Equal(StateRole.Follower, cluster[1].Role);
        Assert.Equal(cluster[2].Term, cluster[1].Term);
    }

    [Fact]
    public void CheckQuorum_a_stale_append_is_answered_with_the_current_term()
    {
        var r = new Replica(2, Three, c => c with { CheckQuorum = true }, hardState: new HardState(5, 0, 0));
        var result = r.Step(Append(1, 2, 3, 0, 0, 0));
        Assert.Equal(StepStatus.Ignored, result.Status);
        var response = Assert.Single(r.Drain());
        Assert.Equal((MessageType.AppendResponse, 5UL, 1UL), (response.Type, response.Term, response.To));
    }

    [Fact]
    public void CheckQuorum_leader_ignores_a_higher_term_vote_request_while_it_holds_the_lease()
    {
        var r = new Replica(1, Three, c => c with { CheckQuorum = true });
        r.BecomeLeader(2);
        var result = r.Step(Vote(3, 1, 9, 100, 9));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Equal(StateRole.Leader, r.Node.Role);
        Assert.Equal(1UL, r.Node.Term);
    }
}
