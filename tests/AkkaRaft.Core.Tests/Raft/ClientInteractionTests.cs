using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Raft paper §8: client interaction (no-op on election, redirects, back-pressure).</summary>
public class ClientInteractionTests
{
    [Fact]
    public void S8_a_new_leader_appends_an_empty_entry_of_its_term()
    {
        var r = new Replica(1, [1, 2, 3], log: Terms(1, 1), hardState: new HardState(1, 0, 0));
        r.BecomeLeader(2);
        var noop = r.Log()[^1];
        Assert.Equal((3UL, 2UL, true), (noop.Index, noop.Term, noop.IsEmptyNormal));
        Assert.Contains(r.Readies, ready => ready.Entries.Any(e => e.Index == 3 && e.IsEmptyNormal));
    }

    [Fact]
    public void S8_proposal_on_a_follower_is_refused_with_the_leader_hint()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(2);
        var result = cluster[3].Propose(Bytes("x"));
        Assert.False(result.Accepted);
        Assert.Equal((RefusalReason.NotLeader, 2UL), (result.Refusal, result.LeaderHint));
        Assert.Contains("not the leader", result.Detail);
        Assert.Equal(1UL, cluster[3].LastIndex);
    }

    [Fact]
    public void S8_proposal_without_any_known_leader_is_refused_with_no_hint()
    {
        var r = new Replica(1, [1, 2, 3]);
        var result = r.Node.Propose(Bytes("x"));
        Assert.Equal((RefusalReason.NotLeader, 0UL), (result.Refusal, result.LeaderHint));
        Assert.False(r.Node.HasReady);
    }

    [Fact]
    public void S8_an_oversized_proposal_is_refused_as_TooLarge()
    {
        var r = new Replica(1, [1], c => c with { MaxProposalBytes = 10 });
        r.Node.Campaign();
        r.Drain();
        Assert.True(r.Node.Propose(new byte[10]).Accepted);
        var result = r.Node.Propose(new byte[11]);
        Assert.Equal(RefusalReason.TooLarge, result.Refusal);
        Assert.Contains("11 bytes", result.Detail);
        Assert.Equal(2UL, r.Node.LastIndex);
    }

    [Fact]
    public void S8_too_many_uncommitted_bytes_make_proposals_Busy_until_they_commit()
    {
        var r = new Replica(1, [1, 2, 3], c => c with { MaxUncommittedBytes = 100 });
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        Assert.True(r.Node.Propose(new byte[60]).Accepted);
        var busy = r.Node.Propose(new byte[60]);
        Assert.Equal(RefusalReason.Busy, busy.Refusal);
        Assert.True(r.Node.Propose(new byte[40]).Accepted); // exactly at the limit
        r.Drain();
        r.StepAndDrain(AppendResp(2, 1, 1, r.Node.LastIndex));
        Assert.Equal(r.Node.LastIndex, r.Node.Committed);
        Assert.True(r.Node.Propose(new byte[60]).Accepted);
    }

    [Fact]
    public void S8_a_single_proposal_larger_than_the_uncommitted_limit_is_still_accepted_when_nothing_is_pending()
    {
        var r = new Replica(1, [1, 2, 3], c => c with { MaxUncommittedBytes = 100 });
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        Assert.True(r.Node.Propose(new byte[500]).Accepted);
        Assert.Equal(RefusalReason.Busy, r.Node.Propose(new byte[1]).Refusal);
    }

    [Fact]
    public void S8_proposal_result_names_the_index_and_term_it_was_appended_at()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        var result = cluster.Propose(1, "x");
        Assert.Equal((2UL, 1UL), (result.Index, result.Term));
        var applied = cluster.Applied[2].Single(e => e.Index == result.Index);
        Assert.Equal(result.Term, applied.Term);
        Assert.Equal("x", System.Text.Encoding.UTF8.GetString(applied.Data));
    }

    [Fact]
    public void S8_committed_entries_are_handed_out_in_order_bounded_by_MaxApplyBytes()
    {
        var r = new Replica(1, [1], c => c with { MaxApplyBytes = 300 });
        r.Node.Campaign();
        r.Drain();
        for (var i = 0; i < 10; i++) r.Node.Propose(new byte[100]);
        r.Drain();
        var batches = r.Readies.Where(x => x.CommittedEntries.Count > 0).ToList();
        Assert.True(batches.Count > 1);
        Assert.All(batches, b => Assert.True(b.CommittedEntries.Count == 1 || b.CommittedEntries.Sum(e => (long)e.Size) <= 300));
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (ulong)i), r.Applied.Select(e => e.Index));
    }
}
