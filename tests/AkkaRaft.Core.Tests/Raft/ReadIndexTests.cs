using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Thesis §6.4: linearizable reads by ReadIndex (safe and lease modes).</summary>
public class ReadIndexTests
{
    private static Replica CommittedLeader(Func<RaftConfig, RaftConfig>? configure = null)
    {
        var r = new Replica(1, [1, 2, 3], configure);
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        Assert.Equal(1UL, r.Node.Committed);
        return r;
    }

    [Fact]
    public void Safe_read_index_waits_for_a_heartbeat_quorum()
    {
        var r = CommittedLeader();
        var ctx = Bytes("read-1");
        Assert.True(r.Node.ReadIndex(ctx).Accepted);
        var heartbeats = r.Drain().OfType(MessageType.Heartbeat).ToList();
        Assert.Equal([2UL, 3UL], heartbeats.Select(m => m.To));
        Assert.All(heartbeats, m => Assert.Equal(ctx, m.Context));
        Assert.Empty(r.ReadStates);
        r.StepAndDrain(HeartbeatResp(2, 1, 1, ctx));
        var state = Assert.Single(r.ReadStates);
        Assert.Equal((1UL, "read-1"), (state.Index, System.Text.Encoding.UTF8.GetString(state.Context)));
    }

    [Fact]
    public void Safe_read_index_ignores_acknowledgements_for_other_contexts()
    {
        var r = CommittedLeader();
        r.Node.ReadIndex(Bytes("a"));
        r.Drain();
        r.StepAndDrain(HeartbeatResp(2, 1, 1, Bytes("zzz")));
        r.StepAndDrain(HeartbeatResp(2, 1, 1));
        Assert.Empty(r.ReadStates);
    }

    [Fact]
    public void A_later_confirmation_also_releases_earlier_reads()
    {
        var r = CommittedLeader();
        r.Node.ReadIndex(Bytes("a"));
        r.Node.ReadIndex(Bytes("b"));
        r.Drain();
        r.StepAndDrain(HeartbeatResp(3, 1, 1, Bytes("b")));
        Assert.Equal(["a", "b"], r.ReadStates.Select(s => System.Text.Encoding.UTF8.GetString(s.Context)));
    }

    [Fact]
    public void Read_index_waits_until_the_leader_has_committed_an_entry_of_its_term()
    {
        var r = new Replica(1, [1, 2, 3]);
        r.BecomeLeader(2);
        var ctx = Bytes("early");
        Assert.True(r.Node.ReadIndex(ctx).Accepted);
        Assert.DoesNotContain(r.Drain(), m => m.Type == MessageType.Heartbeat && m.Context.Length > 0);
        // The no-op commits: the waiting read goes out with the next heartbeat round.
        var messages = r.StepAndDrain(AppendResp(2, 1, 1, 1));
        Assert.Contains(messages, m => m.Type == MessageType.Heartbeat && m.Context.SequenceEqual(ctx));
        r.StepAndDrain(HeartbeatResp(2, 1, 1, ctx));
        Assert.Equal(1UL, Assert.Single(r.ReadStates).Index);
    }

    [Fact]
    public void Follower_forwards_a_read_to_the_leader_and_gets_the_read_index()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        cluster.Propose(1, "x");
        Assert.True(cluster[2].ReadIndex(Bytes("f")).Accepted);
        cluster.Deliver();
        var state = Assert.Single(cluster.ReadStates[2]);
        Assert.Equal(cluster[1].Committed, state.Index);
        Assert.Equal("f", System.Text.Encoding.UTF8.GetString(state.Context));
    }

    [Fact]
    public void Follower_without_a_leader_refuses_reads_with_NoLeader()
    {
        var r = new Replica(2, [1, 2, 3]);
        var result = r.Node.ReadIndex(Bytes("x"));
        Assert.Equal(RefusalReason.NoLeader, result.Refusal);
    }

    [Fact]
    public void An_empty_read_context_is_a_caller_error()
    {
        var r = CommittedLeader();
        Assert.Throws<ArgumentException>(() => r.Node.ReadIndex([]));
    }

    private static Replica LeaseLeader()
    {
        var r = CommittedLeader(c => c with { CheckQuorum = true, ReadOnlyMode = ReadOnlyMode.LeaseBased });
        AssertReadTakesAHeartbeatRound(r, "first");
        Assert.True(r.Node.LeaseHeld);
        return r;
    }

    /// <summary>A read is answered only after a quorum acknowledged a heartbeat carrying its context.</summary>
    private static void AssertReadTakesAHeartbeatRound(Replica r, string context, ulong ackFrom = 2)
    {
        var before = r.ReadStates.Count;
        Assert.True(r.Node.ReadIndex(Bytes(context)).Accepted);
        Assert.Contains(r.Drain(), m => m.Type == MessageType.Heartbeat && m.Context.SequenceEqual(Bytes(context)));
        Assert.Equal(before, r.ReadStates.Count);
        r.StepAndDrain(HeartbeatResp(ackFrom, 1, r.Node.Term, Bytes(context)));
        Assert.Equal(context, System.Text.Encoding.UTF8.GetString(r.ReadStates[^1].Context));
    }

    /// <summary>A read is answered in the very Ready it was asked in, with no heartbeat round.</summary>
    private static void AssertReadServedFromTheLease(Replica r, string context)
    {
        Assert.True(r.Node.ReadIndex(Bytes(context)).Accepted);
        Assert.DoesNotContain(r.Drain(), m => m.Type == MessageType.Heartbeat);
        Assert.Equal(context, System.Text.Encoding.UTF8.GetString(r.ReadStates[^1].Context));
    }

    [Fact]
    public void Lease_based_read_is_served_without_a_heartbeat_round_once_the_lease_is_confirmed()
    {
        var r = LeaseLeader();
        AssertReadServedFromTheLease(r, "lease");
        Assert.Equal(1UL, r.ReadStates[^1].Index);
    }

    [Fact]
    public void A_new_leaders_first_lease_read_waits_for_a_heartbeat_quorum()
    {
        // The no-op committed (a quorum acknowledged appends), but no heartbeat round confirmed the lease yet.
        var r = CommittedLeader(c => c with { CheckQuorum = true, ReadOnlyMode = ReadOnlyMode.LeaseBased });
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "first");
        AssertReadServedFromTheLease(r, "second");
    }

    [Fact]
    public void Lease_reads_during_a_leader_transfer_wait_for_a_heartbeat_quorum()
    {
        var r = LeaseLeader();
        Assert.True(r.Node.Propose(Bytes("x")).Accepted);
        r.Drain();
        r.StepAndDrain(AppendResp(2, 1, r.Node.Term, r.Node.LastIndex));
        // Peer 3 lags, so the transfer waits for it to catch up before sending TimeoutNow.
        Assert.True(r.Node.TransferLeader(3).Accepted);
        r.Drain();
        Assert.Equal(3UL, r.Node.LeadTransferee);
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "during-transfer");
        AssertReadTakesAHeartbeatRound(r, "still-during-transfer");
    }

    [Fact]
    public void After_a_TimeoutNow_the_lease_stays_off_for_the_rest_of_the_term_even_if_the_transfer_is_abandoned()
    {
        var r = LeaseLeader();
        Assert.True(r.Node.TransferLeader(2).Accepted);
        Assert.Contains(r.Drain(), m => m.Type == MessageType.TimeoutNow && m.To == 2);
        // Peer 2 never campaigns (its TimeoutNow may only be delayed); the transfer is abandoned after an election timeout.
        for (var i = 0; i < r.Node.Config.ElectionTicks; i++)
        {
            r.Tick();
            foreach (var hb in r.Drain().OfType(MessageType.Heartbeat)) r.StepAndDrain(HeartbeatResp(hb.To, 1, r.Node.Term, hb.Context));
        }
        Assert.Equal((StateRole.Leader, 0UL), (r.Node.Role, r.Node.LeadTransferee));
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "after-transfer");
        AssertReadTakesAHeartbeatRound(r, "still-after-transfer");
    }

    [Fact]
    public void After_a_wake_from_hibernation_the_first_lease_read_waits_for_a_heartbeat_quorum()
    {
        var r = LeaseLeader();
        r.Node.SuspendLease();
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "after-wake");
        Assert.True(r.Node.LeaseHeld);
        AssertReadServedFromTheLease(r, "renewed");
    }

    [Fact]
    public void An_acknowledgement_of_a_heartbeat_sent_before_the_wake_does_not_renew_the_lease()
    {
        var r = LeaseLeader();
        r.Node.SuspendLease();
        Assert.True(r.Node.ReadIndex(Bytes("before")).Accepted);
        r.Drain();
        // Asleep again and woken: the pending read's heartbeats left before this wake.
        r.Node.SuspendLease();
        r.StepAndDrain(HeartbeatResp(2, 1, r.Node.Term, Bytes("before")));
        Assert.Equal("before", System.Text.Encoding.UTF8.GetString(r.ReadStates[^1].Context));
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "after", ackFrom: 3);
        Assert.True(r.Node.LeaseHeld);
    }

    [Fact]
    public void A_lease_leader_that_loses_its_quorum_steps_down_and_serves_no_more_lease_reads()
    {
        var r = LeaseLeader();
        // No answers for an election timeout: CheckQuorum (required by lease mode) ends the leadership and the lease.
        for (var i = 0; i < 2 * r.Node.Config.ElectionTicks; i++)
        {
            r.Tick();
            r.Drain();
        }
        Assert.Equal(StateRole.Follower, r.Node.Role);
        Assert.False(r.Node.LeaseHeld);
        Assert.Equal(RefusalReason.NoLeader, r.Node.ReadIndex(Bytes("stale")).Refusal);
    }

    [Fact]
    public void Safe_mode_never_holds_a_lease()
    {
        var r = CommittedLeader();
        AssertReadTakesAHeartbeatRound(r, "a");
        Assert.False(r.Node.LeaseHeld);
        AssertReadTakesAHeartbeatRound(r, "b");
    }

    [Fact]
    public void Single_voter_group_serves_reads_at_once()
    {
        var r = new Replica(1, [1]);
        r.Node.Campaign();
        r.Drain();
        Assert.Equal(StateRole.Leader, r.Node.Role);
        r.Node.ReadIndex(Bytes("solo"));
        r.Drain();
        Assert.Equal(1UL, Assert.Single(r.ReadStates).Index);
    }

    [Fact]
    public void Pending_reads_are_bounded_and_further_reads_are_refused_as_Busy()
    {
        var r = CommittedLeader(c => c with { MaxPendingReads = 2 });
        Assert.True(r.Node.ReadIndex(Bytes("1")).Accepted);
        Assert.True(r.Node.ReadIndex(Bytes("2")).Accepted);
        var third = r.Node.ReadIndex(Bytes("3"));
        Assert.Equal(RefusalReason.Busy, third.Refusal);
        Assert.Contains("already waiting", third.Detail);
        r.Drain();
        r.StepAndDrain(HeartbeatResp(2, 1, 1, Bytes("2")));
        Assert.Equal(2, r.ReadStates.Count);
        Assert.True(r.Node.ReadIndex(Bytes("3")).Accepted);
    }

    [Fact]
    public void Reads_waiting_for_commit_are_bounded_too()
    {
        var r = new Replica(1, [1, 2, 3], c => c with { MaxPendingReads = 1 });
        r.BecomeLeader(2);
        Assert.True(r.Node.ReadIndex(Bytes("1")).Accepted);
        Assert.Equal(RefusalReason.Busy, r.Node.ReadIndex(Bytes("2")).Refusal);
    }

    [Fact]
    public void Pending_reads_are_dropped_when_leadership_is_lost()
    {
        var r = CommittedLeader();
        r.Node.ReadIndex(Bytes("lost"));
        r.Drain();
        r.StepAndDrain(Heartbeat(2, 1, 5));
        r.Step(HeartbeatResp(3, 1, 5, Bytes("lost")));
        r.Drain();
        Assert.Empty(r.ReadStates);
    }
}
