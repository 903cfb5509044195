using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>
/// Reads that reach the leader together (before its flush point, the message the group actor tells itself) share one
/// ReadIndex request: one context, one heartbeat round.
/// </summary>
public sealed class RaftPeerReadBatchTests
{
    private static readonly byte[] HibernateMarker = "akka-raft:hibernate"u8.ToArray();

    // Heartbeats the leader sent to confirm a read index: they carry the read's context (plain heartbeats carry none).
    private static List<Message> ReadHeartbeatsFrom(PeerHarness h, ulong node, int sentBefore) =>
        h.Sent.Skip(sentBefore)
            .Where(s => s.FromNode == node && s.Message.Type == MessageType.Heartbeat && s.Message.Context.Length > 0
                && !s.Message.Context.AsSpan().SequenceEqual(HibernateMarker))
            .Select(s => s.Message)
            .ToList();

    private static void ProposeAndAwaitAcknowledgement(PeerHarness h, params string[] commands)
    {
        foreach (var command in commands) h.Propose(1, command, $"write {command}");
        h.Settle();
        Assert.All(commands, command => Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo($"write {command}"))));
    }

    [Fact]
    public void Reads_handed_in_together_take_one_heartbeat_round_and_each_sees_every_write_acknowledged_before()
    {
        var h = new PeerHarness(3);
        ProposeAndAwaitAcknowledgement(h, "a", "b", "c");
        var sentBefore = h.Sent.Count;

        for (var i = 0; i < 10; i++) h.Read(1, $"read {i}");
        Assert.Empty(ReadHeartbeatsFrom(h, 1, sentBefore));
        h.Settle();

        var round = ReadHeartbeatsFrom(h, 1, sentBefore);
        Assert.Equal([2UL, 3UL], round.Select(m => m.To).Order());
        Assert.Single(round.Select(m => Convert.ToHexString(m.Context)).Distinct());
        for (var i = 0; i < 10; i++)
        {
            var read = Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo($"read {i}")));
            Assert.Equal(["a", "b", "c"], Assert.IsType<List<string>>(read.Value));
        }
    }

    [Fact]
    public void Reads_queued_before_another_input_are_asked_for_by_it_without_waiting_for_the_flush_message()
    {
        var h = new PeerHarness(3);
        ProposeAndAwaitAcknowledgement(h, "a");
        var sentBefore = h.Sent.Count;

        for (var i = 0; i < 3; i++) h.Read(1, $"read {i}");
        h.Propose(1, "b", "write b");

        var round = ReadHeartbeatsFrom(h, 1, sentBefore);
        Assert.Equal([2UL, 3UL], round.Select(m => m.To).Order());
        Assert.Single(round.Select(m => Convert.ToHexString(m.Context)).Distinct());
        h.Settle();
        Assert.Single(ReadHeartbeatsFrom(h, 1, sentBefore).Select(m => Convert.ToHexString(m.Context)).Distinct());
        for (var i = 0; i < 3; i++)
        {
            var seen = Assert.IsType<List<string>>(Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo($"read {i}"))).Value);
            Assert.Equal("a", seen[0]);
        }
    }

    [Fact]
    public void Reads_handed_in_one_after_another_take_a_heartbeat_round_each()
    {
        var h = new PeerHarness(3);
        ProposeAndAwaitAcknowledgement(h, "a");
        var sentBefore = h.Sent.Count;

        for (var i = 0; i < 3; i++)
        {
            h.Read(1, $"read {i}");
            h.Settle();
            ProposeAndAwaitAcknowledgement(h, $"after read {i}");
        }

        Assert.Equal(3, ReadHeartbeatsFrom(h, 1, sentBefore).Select(m => Convert.ToHexString(m.Context)).Distinct().Count());
        for (var i = 0; i < 3; i++)
        {
            var seen = Assert.IsType<List<string>>(Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo($"read {i}"))).Value);
            Assert.Equal(["a", .. Enumerable.Range(0, i).Select(j => $"after read {j}")], seen);
        }
    }

    [Fact]
    public void Reads_past_the_pending_limit_are_refused_busy_at_once_and_the_rest_of_the_batch_is_answered()
    {
        var h = new PeerHarness(3, o => o with { MaxPendingReads = 3 });
        ProposeAndAwaitAcknowledgement(h, "a");

        for (var i = 0; i < 5; i++) h.Read(1, $"read {i}");

        for (var i = 3; i < 5; i++)
        {
            var busy = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo($"read {i}")));
            Assert.Equal(RaftFailure.Busy, busy.Failure);
            Assert.Contains("3 reads are already waiting", busy.Detail, StringComparison.Ordinal);
        }
        h.Settle();
        for (var i = 0; i < 3; i++) Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo($"read {i}")));
        // The batch is answered: the limit counts reads waiting, so new ones are accepted again.
        h.Read(1, "later");
        h.Settle();
        Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo("later")));
    }

    [Fact]
    public void Batch_of_a_leader_deposed_before_its_flush_fails_not_leader_once_and_asks_no_read_index()
    {
        var h = new PeerHarness(3);
        ProposeAndAwaitAcknowledgement(h, "a");
        var leader = h[1];
        // The new term's hard state stays in the journal: the replica's Ready with its new role is not handled yet.
        leader.HoldWrites = true;
        var sentBefore = h.Sent.Count;

        for (var i = 0; i < 4; i++) h.Read(1, $"read {i}");
        var term = leader.Raft.Term;
        h.Execute(leader, leader.Peer.Step(2, new Message { Type = MessageType.Heartbeat, From = 2, To = 1, Term = term + 1 }));
        h.FlushDueReads();

        for (var i = 0; i < 4; i++)
        {
            var failed = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo($"read {i}")));
            Assert.Equal(RaftFailure.NotLeader, failed.Failure);
            Assert.Equal(2UL, failed.LeaderHint);
        }
        Assert.Empty(ReadHeartbeatsFrom(h, 1, sentBefore));
        leader.HoldWrites = false;
        h.Settle();
        Assert.All(Enumerable.Range(0, 4), i => Assert.Single(h.AnswersTo($"read {i}")));
    }

    [Fact]
    public void Batch_without_a_quorum_times_out_read_by_read_at_its_deadline_and_is_never_answered_again()
    {
        // Without CheckQuorum the cut-off leader keeps its role, so only the deadline can answer the reads.
        var h = new PeerHarness(3, o => o with { Raft = o.Raft with { CheckQuorum = false } });
        ProposeAndAwaitAcknowledgement(h, "a");
        var deadline = PeerHarness.DefaultOptions(1).RequestDeadlineTicks;
        h.Drop = m => m.From == 1 || m.To == 1;

        for (var i = 0; i < 3; i++) h.Read(1, $"read {i}");
        h.Settle();
        h.Tick(deadline - 1);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Empty(h.AnswersTo($"read {i}")));
        h.Tick();

        for (var i = 0; i < 3; i++)
        {
            var timeout = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo($"read {i}")));
            Assert.Equal(RaftFailure.Timeout, timeout.Failure);
        }
        Assert.Equal(0, h[1].Peer.PendingCount);
        h.Drop = _ => false;
        h.Tick(20);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Single(h.AnswersTo($"read {i}")));
    }
}
