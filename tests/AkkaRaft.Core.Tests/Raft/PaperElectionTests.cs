using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Raft paper §5.1–§5.2: terms and leader election.</summary>
public class PaperElectionTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static Replica InRole(StateRole role)
    {
        var r = new Replica(1, Three);
        switch (role)
        {
            case StateRole.Candidate:
                r.Node.Campaign();
                r.Drain();
                break;
            case StateRole.Leader:
                r.BecomeLeader(2);
                break;
        }
        Assert.Equal(role, r.Node.Role);
        return r;
    }

    [Theory]
    [InlineData(StateRole.Follower)]
    [InlineData(StateRole.Candidate)]
    [InlineData(StateRole.Leader)]
    public void S5_1_any_role_updates_its_term_from_a_message_with_a_higher_term_and_becomes_follower(StateRole role)
    {
        var r = InRole(role);
        var higher = r.Node.Term + 1;
        var result = r.Step(Append(2, 1, higher, 0, 0, 0));
        Assert.Equal(StepStatus.Processed, result.Status);
        Assert.Equal(higher, r.Node.Term);
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(2UL, r.Node.Leader);
    }

    [Fact]
    public void S5_1_a_message_with_a_stale_term_is_ignored()
    {
        var r = new Replica(1, Three, hardState: new HardState(2, 0, 0));
        var result = r.Step(Append(2, 1, 1, 0, 0, 0, E(1, 1)));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("stale term", result.Reason);
        Assert.Equal(2UL, r.Node.Term);
        Assert.Equal(0UL, r.Node.LastIndex);
        Assert.Empty(r.Drain()); // without PreVote/CheckQuorum nothing is answered
    }

    [Fact]
    public void S5_2_replicas_start_as_followers_with_no_leader()
    {
        var r = new Replica(1, Three);
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(0UL, r.Node.Term);
        Assert.Equal(0UL, r.Node.Leader);
    }

    [Fact]
    public void S5_2_leader_broadcasts_heartbeats_every_heartbeat_interval()
    {
        var r = new Replica(1, Three, c => c with { HeartbeatTicks = 2 });
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        r.Tick();
        Assert.Empty(r.Drain().OfType(MessageType.Heartbeat));
        r.Tick();
        var heartbeats = r.Drain().OfType(MessageType.Heartbeat).ToList();
        Assert.Equal([2UL, 3UL], heartbeats.Select(m => m.To));
        Assert.All(heartbeats, m => Assert.Equal(r.Node.Term, m.Term));
        Assert.All(heartbeats, m => Assert.Equal(r.Node.Committed, m.Commit));
    }

    [Fact]
    public void S5_2_heartbeat_commit_is_capped_at_the_followers_match()
    {
        var r = new Replica(1, Three);
        r.BecomeLeader(2);
        r.AckAll(2); // 3 never answered: its match is 0
        Assert.Equal(1UL, r.Node.Committed);
        r.Tick();
        var heartbeats = r.Drain().OfType(MessageType.Heartbeat).ToDictionary(m => m.To);
        Assert.Equal(1UL, heartbeats[2].Commit);
        Assert.Equal(0UL, heartbeats[3].Commit);
    }

    [Theory]
    [InlineData(StateRole.Follower)]
    [InlineData(StateRole.Candidate)]
    public void S5_2_nonleader_starts_a_new_election_on_election_timeout(StateRole role)
    {
        var r = InRole(role);
        var term = r.Node.Term;
        r.Tick(2 * r.Node.Config.ElectionTicks);
        var ready = r.Node.Ready();
        Assert.Equal(term + 1, r.Node.Term);
        Assert.Equal(StateRole.Candidate, r.Node.Role);
        Assert.Equal(1UL, r.Node.Vote);
        Assert.Equal(new HardState(term + 1, 1, 0), ready.HardState);
        // Vote requests wait until the new term and self-vote are durable.
        Assert.Empty(ready.Messages);
        var votes = ready.PersistedMessages.OfType(MessageType.Vote).ToList();
        Assert.Equal([2UL, 3UL], votes.Select(m => m.To));
        Assert.All(votes, m => Assert.Equal(term + 1, m.Term));
    }

    [Theory]
    [InlineData(1, "", StateRole.Leader)]
    [InlineData(3, "2:y 3:y", StateRole.Leader)]
    [InlineData(3, "2:y", StateRole.Leader)]
    [InlineData(5, "2:y 3:y 4:y 5:y", StateRole.Leader)]
    [InlineData(5, "2:y 3:y 4:y", StateRole.Leader)]
    [InlineData(5, "2:y 3:y", StateRole.Leader)]
    [InlineData(3, "2:n 3:n", StateRole.Follower)]
    [InlineData(5, "2:n 3:n 4:n 5:n", StateRole.Follower)]
    [InlineData(5, "2:y 3:n 4:n 5:n", StateRole.Follower)]
    [InlineData(3, "", StateRole.Candidate)]
    [InlineData(5, "2:y", StateRole.Candidate)]
    [InlineData(5, "2:n 3:n", StateRole.Candidate)]
    [InlineData(5, "", StateRole.Candidate)]
    public void S5_2_leader_election_in_one_round_of_RPCs(int size, string votes, StateRole expected)
    {
        var ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        var r = new Replica(1, ids);
        r.Node.Campaign();
        r.Drain();
        foreach (var vote in votes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = vote.Split(':');
            r.Step(VoteResp(ulong.Parse(parts[0]), 1, 1, reject: parts[1] == "n"));
        }
        Assert.Equal(expected, r.Node.Role);
        Assert.Equal(1UL, r.Node.Term);
    }

    [Theory]
    [InlineData(0, 1, false)]
    [InlineData(0, 2, false)]
    [InlineData(1, 1, false)]
    [InlineData(2, 2, false)]
    [InlineData(1, 2, true)]
    [InlineData(2, 1, true)]
    public void S5_2_follower_votes_at_most_once_per_term(ulong votedFor, ulong candidate, bool rejected)
    {
        var r = new Replica(3, Three, hardState: new HardState(1, votedFor, 0));
        r.Step(Vote(candidate, 3, 1, 0, 0));
        var response = Assert.Single(r.Drain());
        Assert.Equal(MessageType.VoteResponse, response.Type);
        Assert.Equal(candidate, response.To);
        Assert.Equal(1UL, response.Term);
        Assert.Equal(rejected, response.Reject);
        Assert.Equal(votedFor == 0 ? candidate : votedFor, r.Node.Vote);
    }

    [Fact]
    public void S5_2_vote_responses_are_sent_only_after_the_vote_is_durable()
    {
        var r = new Replica(3, Three);
        r.Step(Vote(1, 3, 1, 0, 0));
        var ready = r.Node.Ready();
        Assert.Empty(ready.Messages);
        Assert.Single(ready.PersistedMessages.OfType(MessageType.VoteResponse));
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void S5_2_candidate_falls_back_to_follower_on_append_from_a_valid_leader(int termIncrease)
    {
        var r = InRole(StateRole.Candidate);
        var term = r.Node.Term + (ulong)termIncrease;
        r.Step(Heartbeat(2, 1, term));
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(term, r.Node.Term);
        Assert.Equal(2UL, r.Node.Leader);
    }

    [Fact]
    public void S5_2_candidate_falls_back_on_an_append_of_its_own_term()
    {
        var r = InRole(StateRole.Candidate);
        r.Step(Append(3, 1, r.Node.Term, 0, 0, 0, E(1, 1)));
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.Equal(3UL, r.Node.Leader);
        Assert.Equal(1UL, r.Node.LastIndex);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(25)]
    public void S5_2_a_fresh_replica_first_campaigns_after_its_configured_first_election_timeout(int firstTimeout)
    {
        var r = new Replica(1, Three, c => c with { FirstElectionTimeoutTicks = firstTimeout });
        var ticks = 0;
        while (r.Node.Role == StateRole.Follower && ticks < 100)
        {
            r.Tick();
            ticks++;
        }
        Assert.Equal(firstTimeout, ticks);
        Assert.Equal(StateRole.Candidate, r.Node.Role);

        // Only the first: a later election timeout is random in [et, 2et) again.
        var et = r.Node.Config.ElectionTicks;
        r.Drain();
        r.Step(Heartbeat(2, 1, r.Node.Term + 1));
        r.Drain();
        ticks = 0;
        while (r.Node.Role == StateRole.Follower && ticks < 10 * et)
        {
            r.Tick();
            ticks++;
        }
        Assert.InRange(ticks, et, 2 * et - 1);
    }

    [Fact]
    public void S5_2_a_replica_restarting_with_a_term_ignores_the_first_election_timeout()
    {
        var r = new Replica(1, Three, c => c with { FirstElectionTimeoutTicks = 100 }, hardState: new HardState(3, 0, 0));
        var et = r.Node.Config.ElectionTicks;
        var ticks = 0;
        while (r.Node.Role == StateRole.Follower && ticks < 100)
        {
            r.Tick();
            ticks++;
        }
        Assert.InRange(ticks, et, 2 * et - 1);
    }

    [Fact]
    public void S5_2_follower_election_timeouts_are_randomized_over_the_whole_range()
    {
        var r = new Replica(1, Three);
        var et = r.Node.Config.ElectionTicks;
        var seen = new HashSet<int>();
        for (var round = 0; round < 300; round++)
        {
            r.Step(Heartbeat(2, 1, r.Node.Term + 1));
            r.Drain();
            var ticks = 0;
            while (r.Node.Role == StateRole.Follower && ticks < 10 * et)
            {
                r.Tick();
                ticks++;
            }
            r.Drain();
            Assert.InRange(ticks, et, 2 * et - 1);
            seen.Add(ticks);
        }
        Assert.Equal(et, seen.Count); // every value of [et, 2et) occurs
    }

    [Fact]
    public void S5_2_candidate_election_timeouts_are_randomized_over_the_whole_range()
    {
        var r = new Replica(1, Three);
        var et = r.Node.Config.ElectionTicks;
        r.Node.Campaign();
        r.Drain();
        var seen = new HashSet<int>();
        for (var round = 0; round < 300; round++)
        {
            var term = r.Node.Term;
            var ticks = 0;
            while (r.Node.Term == term && ticks < 10 * et)
            {
                r.Tick();
                ticks++;
            }
            r.Drain();
            Assert.Equal(StateRole.Candidate, r.Node.Role);
            Assert.InRange(ticks, et, 2 * et - 1);
            seen.Add(ticks);
        }
        Assert.Equal(et, seen.Count);
    }

    [Fact]
    public void S5_2_election_timeouts_of_different_replicas_rarely_conflict()
    {
        var replicas = Enumerable.Range(1, 5).Select(i => new Replica((ulong)i, [1, 2, 3, 4, 5])).ToList();
        var conflicts = 0;
        const int rounds = 500;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var r in replicas)
            {
                // A new leader of a higher term resets everyone's timer.
                var leader = r.Id == 1 ? 2UL : 1UL;
                r.Step(Heartbeat(leader, r.Id, (ulong)round + 1));
                r.Drain();
            }
            var timedOut = 0;
            while (timedOut == 0)
            {
                foreach (var r in replicas)
                {
                    r.Tick();
                    if (r.Node.Role == StateRole.Candidate) timedOut++;
                }
            }
            if (timedOut > 1) conflicts++;
            foreach (var r in replicas) r.Drain();
        }
        Assert.True(conflicts < rounds * 3 / 10, $"{conflicts} of {rounds} rounds had simultaneous timeouts");
    }

    [Fact]
    public void S5_2_a_three_replica_group_elects_exactly_one_leader_by_ticking()
    {
        var cluster = new InMemoryCluster(3, id => InMemoryCluster.DefaultConfig(id) with { PreVote = false, CheckQuorum = false });
        cluster.TickAll(50);
        var leaders = cluster.Ids.Where(id => cluster[id].Role == StateRole.Leader).ToList();
        Assert.Single(leaders);
        Assert.All(cluster.Ids, id => Assert.Equal(leaders[0], cluster[id].Leader));
    }

    [Fact]
    public void S5_2_leader_ignores_its_own_timeout_and_stays_leader_while_ticking()
    {
        var r = InRole(StateRole.Leader);
        var term = r.Node.Term;
        r.Tick(100);
        r.Drain();
        Assert.Equal(StateRole.Leader, r.Node.Role);
        Assert.Equal(term, r.Node.Term);
    }
}
