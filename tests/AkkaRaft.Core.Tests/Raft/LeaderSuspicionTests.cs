using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>
/// <see cref="RaftNode.LeaderSuspected"/>: the runtime's failure detector lost the leader's node. Election timeouts here are
/// long (100 ticks), so anything that happens within a few ticks happened because of the suspicion.
/// </summary>
public class LeaderSuspicionTests
{
    private const int LongElection = 100;
    private static readonly ulong[] Three = [1, 2, 3];

    private static RaftConfig Production(ulong id) =>
        InMemoryCluster.DefaultConfig(id) with { PreVote = true, CheckQuorum = true, ElectionTicks = LongElection, HeartbeatTicks = 2 };

    private static Replica FollowerOf1(ulong id = 2) =>
        new(id, Three, c => c with { PreVote = true, CheckQuorum = true, ElectionTicks = LongElection, HeartbeatTicks = 2 }, hardState: new HardState(1, 1, 0));

    /// <summary>Three <see cref="Production"/> replicas, 1 elected and "x" committed; the cluster and 1's term.</summary>
    private static (InMemoryCluster Cluster, ulong Term) LedBy1WithXCommitted(int? suspectedLeaderCampaignTicks = null)
    {
        var cluster = new InMemoryCluster(3, id => suspectedLeaderCampaignTicks is { } ticks
            ? Production(id) with { SuspectedLeaderCampaignTicks = ticks }
            : Production(id));
        cluster.Elect(1);
        Assert.True(cluster.Propose(1, "x").Accepted);
        return (cluster, cluster[1].Term);
    }

    [Fact]
    public void Follower_that_lost_its_leader_campaigns_within_the_suspicion_ticks_instead_of_an_election_timeout()
    {
        var r = FollowerOf1();
        r.StepAndDrain(Heartbeat(1, 2, 1));

        Assert.Equal(StepStatus.Processed, r.Node.LeaderSuspected(1).Status);
        Assert.Equal(0UL, r.Node.Leader);
        var sent = new List<Message>();
        for (var t = 0; t < r.Node.Config.SuspectedLeaderCampaignTicks && r.Node.Role == StateRole.Follower; t++)
        {
            r.Tick();
            sent.AddRange(r.Drain());
        }

        Assert.Equal(StateRole.PreCandidate, r.Node.Role);
        Assert.Equal([1UL, 3UL], sent.OfType(MessageType.PreVote).Select(m => m.To).Order());
        Assert.Equal(1UL, r.Node.Term); // PreVote first: nobody's term moves until a quorum agrees
    }

    [Fact]
    public void Suspicion_ends_the_lease_so_a_peer_that_lost_the_leader_too_is_granted_a_pre_vote()
    {
        var r = FollowerOf1();
        r.StepAndDrain(Heartbeat(1, 2, 1));
        // §4.2.3: within the lease a vote request from 3 is ignored...
        Assert.Equal(StepStatus.Ignored, r.Step(Vote(3, 2, 2, 0, 0, MessageType.PreVote)).Status);
        Assert.Empty(r.Drain());

        r.Node.LeaderSuspected(1);

        // ...and once the leader is suspected it is answered on its merits.
        var response = Assert.Single(r.StepAndDrain(Vote(3, 2, 2, 0, 0, MessageType.PreVote)));
        Assert.Equal((MessageType.PreVoteResponse, false), (response.Type, response.Reject));
    }

    [Fact]
    public void Suspicion_of_a_replica_that_is_not_the_leader_changes_nothing()
    {
        var r = FollowerOf1();
        r.StepAndDrain(Heartbeat(1, 2, 1));

        var result = r.Node.LeaderSuspected(3);

        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Equal(1UL, r.Node.Leader);
        Assert.Equal(StepStatus.Ignored, r.Step(Vote(3, 2, 2, 0, 0, MessageType.PreVote)).Status); // lease still held
        r.Tick(LongElection - 1);
        Assert.Equal(StateRole.Follower, r.Node.Role);
    }

    [Fact]
    public void With_lease_based_reads_a_suspicion_does_not_end_the_lease_the_leader_may_still_serve_reads_from()
    {
        var r = new Replica(2, Three, c => c with
        {
            PreVote = true, CheckQuorum = true, ReadOnlyMode = ReadOnlyMode.LeaseBased, ElectionTicks = LongElection, HeartbeatTicks = 2,
        }, hardState: new HardState(1, 1, 0));
        r.StepAndDrain(Heartbeat(1, 2, 1));

        Assert.Equal(StepStatus.Ignored, r.Node.LeaderSuspected(1).Status);

        Assert.Equal(1UL, r.Node.Leader);
        Assert.Equal(StepStatus.Ignored, r.Step(Vote(3, 2, 2, 0, 0, MessageType.PreVote)).Status);
        r.Tick(LongElection - 1);
        Assert.Equal(StateRole.Follower, r.Node.Role);
    }

    [Fact]
    public void Suspicion_is_ignored_by_a_leader_and_by_a_candidate()
    {
        var leader = new Replica(1, Three, c => c with { ElectionTicks = LongElection });
        leader.BecomeLeader(2);
        Assert.Equal(StepStatus.Ignored, leader.Node.LeaderSuspected(1).Status);
        Assert.Equal(StateRole.Leader, leader.Node.Role);

        var candidate = new Replica(2, Three, c => c with { ElectionTicks = LongElection });
        candidate.Node.Campaign();
        candidate.Drain();
        Assert.Equal(StepStatus.Ignored, candidate.Node.LeaderSuspected(1).Status);
        Assert.Equal(StateRole.Candidate, candidate.Node.Role);
    }

    [Fact]
    public void A_heartbeat_from_the_suspected_leader_before_the_delay_cancels_the_campaign()
    {
        var r = FollowerOf1();
        r.StepAndDrain(Heartbeat(1, 2, 1));
        r.Node.LeaderSuspected(1);

        r.StepAndDrain(Heartbeat(1, 2, 1));
        r.Tick(r.Node.Config.SuspectedLeaderCampaignTicks + 1);

        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(1UL, r.Node.Leader);
        Assert.Empty(r.Drain().OfType(MessageType.PreVote));
    }

    [Fact]
    public void A_dead_leader_is_replaced_within_a_few_ticks_when_both_survivors_suspect_it_and_nothing_committed_is_lost()
    {
        var (cluster, term) = LedBy1WithXCommitted();
        cluster.Isolate(1);

        cluster[2].LeaderSuspected(1);
        cluster[3].LeaderSuspected(1);
        // Survivors tick one after the other, as on different nodes: within the suspicion ticks one of them leads.
        for (var t = 0; t < 2 * cluster[2].Config.SuspectedLeaderCampaignTicks; t++)
        {
            foreach (var id in new ulong[] { 2, 3 })
            {
                cluster[id].Tick();
                cluster.Deliver();
            }
        }

        var leader = new[] { cluster[2], cluster[3] }.Single(n => n.Role == StateRole.Leader);
        Assert.True(leader.Term > term);
        Assert.True(cluster.Propose(leader.Id, "y").Accepted);
        Assert.Equal(["x", "y"], cluster.AppliedData(leader.Id));
        Assert.Equal(["x", "y"], cluster.AppliedData(leader.Id == 2 ? 3UL : 2UL));
    }

    [Fact]
    public void Survivors_that_suspect_and_campaign_in_the_same_tick_do_not_split_the_vote()
    {
        // One tick of delay for both: they pre-campaign in the same tick, before either hears from the other.
        var (cluster, term) = LedBy1WithXCommitted(suspectedLeaderCampaignTicks: 1);
        cluster.Isolate(1);
        cluster[2].LeaderSuspected(1);
        cluster[3].LeaderSuspected(1);

        cluster[2].Tick();
        cluster[3].Tick();
        Assert.Equal((StateRole.PreCandidate, StateRole.PreCandidate), (cluster[2].Role, cluster[3].Role));
        cluster.Deliver();

        var leader = new[] { cluster[2], cluster[3] }.Single(n => n.Role == StateRole.Leader);
        Assert.Equal(term + 1, leader.Term); // one election, no split round
    }

    [Fact]
    public void A_pre_candidate_grants_a_simultaneous_pre_candidate_only_when_it_ranks_first()
    {
        // Equal logs: the higher id ranks first.
        var low = FollowerOf1(id: 2);
        var high = FollowerOf1(id: 3);
        low.Node.Campaign();
        high.Node.Campaign();
        var fromLow = Assert.Single(low.Drain().OfType(MessageType.PreVote), m => m.To == 3);
        var fromHigh = Assert.Single(high.Drain().OfType(MessageType.PreVote), m => m.To == 2);

        var lowAnswers = Assert.Single(low.StepAndDrain(fromHigh));
        var highAnswers = high.StepAndDrain(fromLow);

        Assert.False(lowAnswers.Reject);
        Assert.True(Assert.Single(highAnswers.OfType(MessageType.PreVoteResponse)).Reject);
        // ...and asks the lower one again, which may have ignored its first request while it still honoured a lease.
        Assert.Equal(2UL, Assert.Single(highAnswers.OfType(MessageType.PreVote)).To);

        // A follower (not campaigning) grants either, as before.
        var follower = FollowerOf1(id: 3);
        Assert.False(Assert.Single(follower.StepAndDrain(fromLow)).Reject);
    }

    [Fact]
    public void A_survivor_told_later_than_the_other_still_elects_one_of_them_at_once()
    {
        // 3 is told first and pre-campaigns while 2 still honours the lease (its pre-vote is ignored); 2 is told a moment
        // later and pre-campaigns too. 3 ranks first (equal logs, higher id), declines 2 and asks it again: 3 wins.
        var (cluster, term) = LedBy1WithXCommitted(suspectedLeaderCampaignTicks: 1);
        cluster.Isolate(1);

        cluster[3].LeaderSuspected(1);
        cluster[3].Tick();
        cluster.Deliver();
        Assert.Equal((StateRole.PreCandidate, StateRole.Follower), (cluster[3].Role, cluster[2].Role));

        cluster[2].LeaderSuspected(1);
        cluster[2].Tick();
        cluster.Deliver();

        Assert.Equal(StateRole.Leader, cluster[3].Role);
        Assert.Equal(term + 1, cluster[3].Term);
        Assert.Equal(3UL, cluster[2].Leader);
    }

    [Fact]
    public void A_pre_candidate_grants_a_lower_id_whose_log_is_ahead()
    {
        var behind = new Replica(3, Three, c => c with { PreVote = true, ElectionTicks = LongElection }, log: Terms(1), hardState: new HardState(1, 0, 0));
        behind.Node.Campaign();
        behind.Drain();

        var response = Assert.Single(behind.StepAndDrain(Vote(2, 3, 2, 2, 1, MessageType.PreVote)));

        Assert.False(response.Reject);
    }

    [Fact]
    public void A_false_suspicion_by_one_follower_does_not_depose_a_live_leader()
    {
        var (cluster, term) = LedBy1WithXCommitted();
        // Follower 2's link to the leader broke, the leader and follower 3 are fine.
        cluster.Cut(1, 2);

        cluster[2].LeaderSuspected(1);
        for (var t = 0; t < 2 * cluster[2].Config.SuspectedLeaderCampaignTicks; t++) cluster.TickAll();

        // Follower 3 holds its lease, so 2's pre-vote gets nowhere: no new term, the leader stays.
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.Equal(term, cluster[1].Term);
        Assert.Equal(term, cluster[2].Term);
        Assert.Equal(1UL, cluster[3].Leader);
        Assert.True(cluster.Propose(1, "y").Accepted);
    }

    [Fact]
    public void Suspected_leader_campaign_ticks_must_lie_within_the_election_timeout()
    {
        var config = InMemoryCluster.DefaultConfig(1);
        Assert.Throws<RaftConfigException>(() => (config with { SuspectedLeaderCampaignTicks = 0 }).Validate());
        Assert.Throws<RaftConfigException>(() => (config with { SuspectedLeaderCampaignTicks = config.ElectionTicks + 1 }).Validate());
        (config with { SuspectedLeaderCampaignTicks = config.ElectionTicks }).Validate();
    }
}
