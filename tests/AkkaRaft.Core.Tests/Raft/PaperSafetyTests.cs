using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Raft paper §5.4: safety (election restriction, committing entries from previous terms, leader completeness).</summary>
public class PaperSafetyTests
{
    private static RaftConfig Paper(ulong id) => Replica.Config(id);

    [Theory]
    // same last term: the longer log wins
    [InlineData(new ulong[] { 1 }, 1, 1, false)]
    [InlineData(new ulong[] { 1 }, 1, 2, false)]
    [InlineData(new ulong[] { 1, 1 }, 1, 1, true)]
    // candidate has a higher last term
    [InlineData(new ulong[] { 1 }, 2, 1, false)]
    [InlineData(new ulong[] { 1 }, 2, 2, false)]
    [InlineData(new ulong[] { 1, 1 }, 2, 1, false)]
    // voter has a higher last term
    [InlineData(new ulong[] { 2 }, 1, 1, true)]
    [InlineData(new ulong[] { 2 }, 1, 2, true)]
    [InlineData(new ulong[] { 2, 2 }, 1, 1, true)]
    public void S5_4_1_voter_rejects_a_candidate_whose_log_is_less_up_to_date(ulong[] voterTerms, ulong candidateLastTerm, ulong candidateLastIndex, bool rejected)
    {
        var r = new Replica(1, [1, 2], log: Terms(voterTerms));
        var response = Assert.Single(r.StepAndDrain(Vote(2, 1, 3, candidateLastIndex, candidateLastTerm)));
        Assert.Equal(MessageType.VoteResponse, response.Type);
        Assert.Equal(rejected, response.Reject);
        Assert.Equal(rejected ? 0UL : 2UL, r.Node.Vote);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 3)]
    public void S5_4_2_leader_commits_only_entries_of_its_current_term_by_counting(ulong ackedIndex, ulong wantCommit)
    {
        var r = new Replica(1, [1, 2], log: Terms(1, 2), hardState: new HardState(2, 0, 0));
        r.BecomeLeader(2);
        Assert.Equal(3UL, r.Node.Term);
        Assert.Equal(3UL, r.Node.LastIndex); // the no-op of term 3
        r.StepAndDrain(AppendResp(2, 1, 3, ackedIndex));
        Assert.Equal(wantCommit, r.Node.Committed);
    }

    /// <summary>
    /// Figure 8: an entry of an older term that reached a majority can still be overwritten, so the leader must not
    /// count it as committed. Here S1 (term 3) replicates its term-1 entry to S2..S4 but never its own term's entry;
    /// S5 (with an entry of term 2 at the same index) later wins and overwrites it. Nobody may ever have applied it.
    /// </summary>
    [Fact]
    public void S5_4_2_figure_8_an_old_term_entry_on_a_majority_is_not_committed_and_may_be_overwritten()
    {
        var cluster = new InMemoryCluster(5, Paper);
        cluster.Elect(1);
        Assert.Equal(1UL, cluster[1].Committed);

        // (a) S1 replicates "a" at index 2 to S2 only.
        cluster.Cut(1, 3); cluster.Cut(1, 4); cluster.Cut(1, 5);
        Assert.True(cluster.Propose(1, "a").Accepted);
        Assert.Equal(1UL, cluster[1].Committed);

        // (b) S1 crashes; S5 wins with S3 and S4 and appends its no-op (term 2) at index 2 without replicating it.
        cluster.Heal();
        cluster.Isolate(1);
        cluster.Cut(2, 5);
        cluster.Drop = m => m.From == 5 && m.Type == MessageType.Append;
        cluster.Elect(5);
        Assert.Equal(StateRole.Leader, cluster[5].Role);
        Assert.Equal((2UL, 2UL), (cluster[5].LastIndex, cluster[5].TermAt(2)!.Value));

        // (c) S5 crashes; S1 wins term 3 and replicates its term-1 entry to a majority, but the network loses the
        // tail of every append that carries S1's term-3 entry (as if the leader had sent shorter appends).
        cluster.Heal();
        cluster.Isolate(5);
        cluster.Drop = null;
        cluster.Restart(1);
        cluster.Rewrite = m => m.From == 1 && m.Type == MessageType.Append ? m with { Entries = [.. m.Entries.Where(e => e.Term != 3)] } : m;
        for (var i = 0; i < 3 && cluster[1].Role != StateRole.Leader; i++) cluster.Elect(1);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.Equal(3UL, cluster[1].Term);
        cluster.TickAll(3);
        foreach (var id in new ulong[] { 1, 2, 3, 4 }) Assert.Equal(1UL, cluster[id].TermAt(2));
        Assert.Equal(1UL, cluster[1].Committed); // on a majority, but not of the leader's term: not committed
        Assert.All(cluster.Ids, id => Assert.DoesNotContain("a", cluster.AppliedData(id)));

        // (d) S1 crashes; S5 wins (its last term 2 beats term 1) and overwrites index 2 everywhere.
        cluster.Rewrite = null;
        cluster.Heal();
        cluster.Isolate(1);
        cluster.Restart(5); // it crashed in (c): it comes back as a follower of term 2
        for (var i = 0; i < 3 && cluster[5].Role != StateRole.Leader; i++) cluster.Elect(5);
        Assert.Equal(StateRole.Leader, cluster[5].Role);
        Assert.Equal(4UL, cluster[5].Term);
        Assert.Equal(2UL, cluster[2].TermAt(2)); // overwritten: this is why S1 could not count it as committed
        Assert.True(cluster.Propose(5, "b").Accepted);
        cluster.Heal();
        cluster.TickAll(5);

        Assert.All(cluster.Ids, id => Assert.Equal(["b"], cluster.AppliedData(id)));
        var log = cluster[5].EntriesBetween(1, cluster[5].LastIndex + 1);
        Assert.All(cluster.Ids, id => Assert.Equal(log.Shape(), cluster[id].EntriesBetween(1, cluster[id].LastIndex + 1).Shape()));
    }

    [Fact]
    public void S5_4_3_a_new_leader_has_every_committed_entry()
    {
        var cluster = new InMemoryCluster(5, Paper);
        cluster.Elect(1);
        cluster.Cut(1, 4); cluster.Cut(1, 5);
        foreach (var cmd in new[] { "x", "y", "z" }) Assert.True(cluster.Propose(1, cmd).Accepted);
        var committed = cluster[1].Committed;
        Assert.Equal(4UL, committed);

        // The old leader goes away; 4 and 5 lack the committed entries and cannot win.
        cluster.Heal();
        cluster.Isolate(1);
        cluster.Elect(4);
        Assert.NotEqual(StateRole.Leader, cluster[4].Role);
        cluster.Elect(5);
        Assert.NotEqual(StateRole.Leader, cluster[5].Role);

        cluster.Elect(3);
        Assert.Equal(StateRole.Leader, cluster[3].Role);
        Assert.Equal(cluster[1].EntriesBetween(1, committed + 1).Shape(), cluster[3].EntriesBetween(1, committed + 1).Shape());
        cluster.TickAll(2);
        foreach (var id in new ulong[] { 2, 3, 4, 5 }) Assert.Equal(["x", "y", "z"], cluster.AppliedData(id));
    }

    [Fact]
    public void S5_4_3_committed_entries_survive_a_crash_and_restart_of_every_replica()
    {
        var cluster = new InMemoryCluster(3, Paper);
        cluster.Elect(1);
        cluster.Propose(1, "x");
        cluster.TickAll(1);
        foreach (var id in cluster.Ids.ToList())
        {
            cluster.Restart(id);
            Assert.Equal(2UL, cluster[id].Committed);
        }
        cluster.TickAll(50);
        var leader = cluster.LeaderNode;
        Assert.NotNull(leader);
        Assert.Equal("x", System.Text.Encoding.UTF8.GetString(leader!.EntriesBetween(2, 3)[0].Data));
    }

    [Fact]
    public void S5_4_state_machine_safety_every_replica_applies_the_same_sequence_across_leader_changes()
    {
        var cluster = new InMemoryCluster(3, Paper);
        var expected = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            var leaderId = (ulong)(round % 3) + 1;
            cluster.Elect(leaderId);
            Assert.Equal(StateRole.Leader, cluster[leaderId].Role);
            var cmd = $"c{round}";
            Assert.True(cluster.Propose(leaderId, cmd).Accepted);
            expected.Add(cmd);
        }
        cluster.TickAll(2);
        Assert.All(cluster.Ids, id => Assert.Equal(expected, cluster.AppliedData(id)));
    }
}
