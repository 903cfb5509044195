using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class PendingRequestsTests
{
    private const ulong Group = 9;

    private static object? NoQuery(AkkaRaft.Core.Raft.IRaftStateMachine _) => null;

    // A batch of one read, asked for: its ReadIndex context.
    private static byte[] AskRead(PendingRequests<string> pending, string reader)
    {
        pending.QueueRead(reader, NoQuery);
        return pending.TakeOpenReadBatch() ?? throw new InvalidOperationException("no batch to ask for");
    }

    [Fact]
    public void Proposal_queue_refuses_at_its_bound_and_accepts_again_after_an_apply()
    {
        var pending = new PendingRequests<string>(Group, maxProposals: 2, maxReads: 5, deadlineTicks: 10);

        Assert.True(pending.CanAcceptProposal);
        pending.AddProposal(1, 1, "a");
        pending.AddProposal(2, 1, "b");
        Assert.False(pending.CanAcceptProposal);
        Assert.True(pending.CanAcceptRead);

        pending.Applied(1, 1, "r1");
        Assert.True(pending.CanAcceptProposal);
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Read_queue_refuses_at_its_bound()
    {
        var pending = new PendingRequests<string>(Group, maxProposals: 5, maxReads: 2, deadlineTicks: 10);

        pending.QueueRead("a", NoQuery);
        AskRead(pending, "b");

        Assert.False(pending.CanAcceptRead);
        Assert.True(pending.CanAcceptProposal);
    }

    [Fact]
    public void Applied_entry_of_the_proposed_term_answers_succeeded_with_the_state_machine_result()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        pending.AddProposal(5, 3, "proposer");

        var owed = pending.Applied(5, 3, "result-5");

        Assert.Equal(new PendingReply<string>("proposer", new ProposeSucceeded(Group, 5, "result-5")), owed);
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void Applied_entry_of_another_term_at_the_proposed_index_answers_dropped()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        pending.AddProposal(5, 3, "proposer");

        var owed = pending.Applied(5, 4, "someone else's command");

        Assert.Equal("proposer", owed?.ReplyTo);
        var failed = Assert.IsType<ProposeFailed>(owed?.Reply);
        Assert.Equal(RaftFailure.Dropped, failed.Failure);
        Assert.Equal(Group, failed.GroupId);
        Assert.Null(pending.Applied(5, 4, null));
    }

    [Fact]
    public void New_proposal_at_an_index_drops_the_overwritten_one_and_waits_for_its_own_apply()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        Assert.Null(pending.AddProposal(7, 2, "old"));

        var replaced = pending.AddProposal(7, 3, "new");

        Assert.Equal("old", replaced?.ReplyTo);
        Assert.Equal(RaftFailure.Dropped, Assert.IsType<ProposeFailed>(replaced?.Reply).Failure);
        var owed = pending.Applied(7, 3, 1);
        Assert.Equal("new", owed?.ReplyTo);
        Assert.Equal(7UL, Assert.IsType<ProposeSucceeded>(owed?.Reply).Index);
    }

    [Fact]
    public void Apply_of_an_index_nobody_waits_for_answers_nobody()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        pending.AddProposal(2, 1, "proposer");

        Assert.Null(pending.Applied(1, 1, null));
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Proposals_and_reads_time_out_exactly_after_the_deadline_ticks_with_outcome_unknown()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, deadlineTicks: 3);
        pending.AddProposal(4, 1, "proposer");
        pending.QueueRead("reader", NoQuery);

        Assert.Empty(pending.ExpireOneTick());
        Assert.Empty(pending.ExpireOneTick());
        var expired = pending.ExpireOneTick();

        Assert.Equal(2, expired.Count);
        // The proposal is in the log and may still commit; the read changed nothing and may simply be retried.
        Assert.Contains(expired, e => e.ReplyTo == "proposer" && e.Reply is ProposeFailed { Failure: RaftFailure.OutcomeUnknown } failed
            && failed.Detail.Contains("outcome unknown", StringComparison.Ordinal));
        Assert.Contains(expired, e => e.ReplyTo == "reader" && e.Reply is ProposeFailed { Failure: RaftFailure.Timeout });
        Assert.Equal(0, pending.Count);
        // Expired requests are gone: a late apply answers nobody.
        Assert.Null(pending.Applied(4, 1, null));
    }

    [Fact]
    public void Deadline_counts_from_when_the_request_arrived()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, deadlineTicks: 2);
        pending.AddProposal(1, 1, "early");
        pending.ExpireOneTick();
        pending.AddProposal(2, 1, "late");

        var first = pending.ExpireOneTick();
        var second = pending.ExpireOneTick();

        Assert.Equal("early", Assert.Single(first).ReplyTo);
        Assert.Equal("late", Assert.Single(second).ReplyTo);
    }

    [Fact]
    public void Read_is_served_only_once_it_is_confirmed_and_applied_reaches_its_index()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        var context = AskRead(pending, "reader");

        Assert.Empty(pending.ReadsReadyAt(100)); // not confirmed by a heartbeat round yet
        pending.ReadIndexConfirmed(context, 8);
        Assert.Empty(pending.ReadsReadyAt(7));

        var ready = Assert.Single(pending.ReadsReadyAt(8));
        Assert.Equal("reader", ready.ReplyTo);
        Assert.Empty(pending.ReadsReadyAt(9));
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void Reads_are_served_in_arrival_order_and_each_context_confirms_only_its_batch()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        var c1 = AskRead(pending, "first");
        var c2 = AskRead(pending, "second");
        AskRead(pending, "third");

        pending.ReadIndexConfirmed(c2, 3);
        pending.ReadIndexConfirmed(c1, 3);

        Assert.Equal(["first", "second"], pending.ReadsReadyAt(3).Select(r => r.ReplyTo));
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Reads_queued_together_share_one_context_and_are_served_together_in_arrival_order()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);

        Assert.True(pending.QueueRead("a", NoQuery));
        Assert.False(pending.QueueRead("b", NoQuery));
        Assert.False(pending.QueueRead("c", NoQuery));
        Assert.Equal(3, pending.QueuedReads);
        var context = pending.TakeOpenReadBatch();
        Assert.NotNull(context);
        Assert.Null(pending.TakeOpenReadBatch());
        Assert.Equal(0, pending.QueuedReads);
        // A read after the flush opens the next batch.
        Assert.True(pending.QueueRead("d", NoQuery));

        pending.ReadIndexConfirmed(context, 4);

        Assert.Equal(["a", "b", "c"], pending.ReadsReadyAt(4).Select(r => r.ReplyTo));
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Reads_of_one_batch_expire_each_at_its_own_deadline_and_an_emptied_batch_is_forgotten()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, deadlineTicks: 2);
        pending.QueueRead("early", NoQuery);
        pending.ExpireOneTick();
        pending.QueueRead("late", NoQuery);
        var context = pending.TakeOpenReadBatch()!;

        Assert.Equal("early", Assert.Single(pending.ExpireOneTick()).ReplyTo);
        Assert.Equal("late", Assert.Single(pending.ExpireOneTick()).ReplyTo);

        Assert.Equal(0, pending.Count);
        pending.ReadIndexConfirmed(context, 1);
        Assert.Empty(pending.ReadsReadyAt(1));
        Assert.Empty(pending.RemoveReadBatch(context));
    }

    [Fact]
    public void Removed_or_malformed_read_contexts_change_nothing_else()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        var context = AskRead(pending, "reader");
        pending.ReadIndexConfirmed([1, 2, 3], 1);
        Assert.Empty(pending.RemoveReadBatch([1, 2, 3]));
        Assert.Equal(1, pending.Count);

        Assert.Equal(["reader"], pending.RemoveReadBatch(context));

        Assert.Equal(0, pending.Count);
        pending.ReadIndexConfirmed(context, 1);
        Assert.Empty(pending.ReadsReadyAt(1));
    }

    [Fact]
    public void DropReads_keeps_proposals_and_DropAll_returns_proposers_apart_from_readers()
    {
        var pending = new PendingRequests<string>(Group, 10, 10, 10);
        pending.AddProposal(1, 1, "proposerA");
        pending.AddProposal(2, 1, "proposerB");
        AskRead(pending, "reader");
        pending.QueueRead("queued", NoQuery);

        Assert.Equal(["reader", "queued"], pending.DropReads());
        Assert.Equal(2, pending.Count);
        Assert.Null(pending.TakeOpenReadBatch());
        pending.QueueRead("reader", NoQuery);

        var (proposers, readers) = pending.DropAll();

        Assert.Equal(["proposerA", "proposerB"], proposers.Order());
        Assert.Equal(["reader"], readers);
        Assert.Equal(0, pending.Count);
        Assert.True(pending.CanAcceptProposal);
    }
}
