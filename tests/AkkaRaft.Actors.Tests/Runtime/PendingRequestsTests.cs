using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class PendingRequestsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const ulong Group = 9;

    private static object? NoQuery(AkkaRaft.Core.Raft.IRaftStateMachine _) => null;

    [Fact]
    public void Proposal_queue_refuses_at_its_bound_and_accepts_again_after_an_apply()
    {
        var pending = new PendingRequests(Group, maxProposals: 2, maxReads: 5, deadlineTicks: 10);
        var probe = CreateTestProbe();

        Assert.True(pending.CanAcceptProposal);
        pending.AddProposal(1, 1, probe);
        pending.AddProposal(2, 1, probe);
        Assert.False(pending.CanAcceptProposal);
        Assert.True(pending.CanAcceptRead);

        pending.Applied(1, 1, "r1");
        Assert.True(pending.CanAcceptProposal);
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Read_queue_refuses_at_its_bound()
    {
        var pending = new PendingRequests(Group, maxProposals: 5, maxReads: 2, deadlineTicks: 10);
        var probe = CreateTestProbe();

        pending.AddRead(probe, NoQuery);
        pending.AddRead(probe, NoQuery);

        Assert.False(pending.CanAcceptRead);
        Assert.True(pending.CanAcceptProposal);
    }

    [Fact]
    public void Applied_entry_of_the_proposed_term_answers_succeeded_with_the_state_machine_result()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var probe = CreateTestProbe();
        pending.AddProposal(5, 3, probe);

        pending.Applied(5, 3, "result-5");

        var success = probe.ExpectMsg<ProposeSucceeded>();
        Assert.Equal(new ProposeSucceeded(Group, 5, "result-5"), success);
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void Applied_entry_of_another_term_at_the_proposed_index_answers_dropped()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var probe = CreateTestProbe();
        pending.AddProposal(5, 3, probe);

        pending.Applied(5, 4, "someone else's command");

        var failed = probe.ExpectMsg<ProposeFailed>();
        Assert.Equal(RaftFailure.Dropped, failed.Failure);
        Assert.Equal(Group, failed.GroupId);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void New_proposal_at_an_index_drops_the_overwritten_one_and_waits_for_its_own_apply()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var oldProposer = CreateTestProbe();
        var newProposer = CreateTestProbe();
        pending.AddProposal(7, 2, oldProposer);

        pending.AddProposal(7, 3, newProposer);

        Assert.Equal(RaftFailure.Dropped, oldProposer.ExpectMsg<ProposeFailed>().Failure);
        newProposer.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        pending.Applied(7, 3, 1);
        Assert.Equal(7UL, newProposer.ExpectMsg<ProposeSucceeded>().Index);
        oldProposer.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Apply_of_an_index_nobody_waits_for_answers_nobody()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var probe = CreateTestProbe();
        pending.AddProposal(2, 1, probe);

        pending.Applied(1, 1, null);

        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Proposals_time_out_with_outcome_unknown_and_reads_with_a_plain_timeout_exactly_after_the_deadline_ticks()
    {
        var pending = new PendingRequests(Group, 10, 10, deadlineTicks: 3);
        var proposer = CreateTestProbe();
        var reader = CreateTestProbe();
        pending.AddProposal(4, 1, proposer);
        pending.AddRead(reader, NoQuery);

        Assert.Empty(pending.ExpireOneTick());
        Assert.Empty(pending.ExpireOneTick());
        var expired = pending.ExpireOneTick();

        Assert.Equal(2, expired.Count);
        // The proposal is in the log and may still commit; the read changed nothing and may simply be retried.
        Assert.Contains(expired, e => e.Sender.Equals(proposer.Ref) && e.Failure.Failure == RaftFailure.OutcomeUnknown
            && e.Failure.Detail.Contains("outcome unknown", StringComparison.Ordinal));
        Assert.Contains(expired, e => e.Sender.Equals(reader.Ref) && e.Failure.Failure == RaftFailure.Timeout);
        Assert.Equal(0, pending.Count);
        // Expired requests are gone: a late apply answers nobody.
        pending.Applied(4, 1, null);
        proposer.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Deadline_counts_from_when_the_request_arrived()
    {
        var pending = new PendingRequests(Group, 10, 10, deadlineTicks: 2);
        var early = CreateTestProbe();
        var late = CreateTestProbe();
        pending.AddProposal(1, 1, early);
        pending.ExpireOneTick();
        pending.AddProposal(2, 1, late);

        var first = pending.ExpireOneTick();
        var second = pending.ExpireOneTick();

        Assert.Equal(early.Ref, Assert.Single(first).Sender);
        Assert.Equal(late.Ref, Assert.Single(second).Sender);
    }

    [Fact]
    public void Read_is_served_only_once_it_is_confirmed_and_applied_reaches_its_index()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var reader = CreateTestProbe();
        var context = pending.AddRead(reader, NoQuery);

        Assert.Empty(pending.ReadsReadyAt(100)); // not confirmed by a heartbeat round yet
        pending.ReadIndexConfirmed(context, 8);
        Assert.Empty(pending.ReadsReadyAt(7));

        var ready = Assert.Single(pending.ReadsReadyAt(8));
        Assert.Equal(reader.Ref, ready.Sender);
        Assert.Empty(pending.ReadsReadyAt(9));
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void Reads_are_served_in_arrival_order_and_each_context_confirms_only_its_read()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var third = CreateTestProbe();
        var c1 = pending.AddRead(first, NoQuery);
        var c2 = pending.AddRead(second, NoQuery);
        pending.AddRead(third, NoQuery);

        pending.ReadIndexConfirmed(c2, 3);
        pending.ReadIndexConfirmed(c1, 3);

        Assert.Equal([first.Ref, second.Ref], pending.ReadsReadyAt(3).Select(r => r.Sender));
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Removed_or_malformed_read_contexts_change_nothing_else()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var reader = CreateTestProbe();
        var context = pending.AddRead(reader, NoQuery);
        pending.ReadIndexConfirmed([1, 2, 3], 1);
        pending.RemoveRead([1, 2, 3]);
        Assert.Equal(1, pending.Count);

        pending.RemoveRead(context);

        Assert.Equal(0, pending.Count);
        pending.ReadIndexConfirmed(context, 1);
        Assert.Empty(pending.ReadsReadyAt(1));
    }

    [Fact]
    public void DropReads_keeps_proposals_and_DropAll_returns_proposers_apart_from_readers()
    {
        var pending = new PendingRequests(Group, 10, 10, 10);
        var proposerA = CreateTestProbe();
        var proposerB = CreateTestProbe();
        var reader = CreateTestProbe();
        pending.AddProposal(1, 1, proposerA);
        pending.AddProposal(2, 1, proposerB);
        pending.AddRead(reader, NoQuery);

        Assert.Equal([reader.Ref], pending.DropReads());
        Assert.Equal(2, pending.Count);
        pending.AddRead(reader, NoQuery);

        var (proposers, readers) = pending.DropAll();

        Assert.Equal(2, proposers.Count);
        Assert.Contains(proposerA.Ref, proposers);
        Assert.Contains(proposerB.Ref, proposers);
        Assert.Equal([reader.Ref], readers);
        Assert.Equal(0, pending.Count);
        Assert.True(pending.CanAcceptProposal);
        // Nothing is answered by the queue itself: the caller decides what to tell them.
        proposerA.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }
}
