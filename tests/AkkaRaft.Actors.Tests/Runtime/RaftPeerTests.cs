using System.Text;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>The runtime's replica logic (<see cref="RaftPeer{TReplyTo}"/>) driven by hand: no ActorSystem, no clock.</summary>
public sealed class RaftPeerTests
{
    private static readonly byte[] HibernateMarker = "akka-raft:hibernate"u8.ToArray();

    // Heartbeats every other tick: the leader falls asleep on a tick without one.
    private static PeerOptions Sleepy(PeerOptions o) => o with { HibernateAfterTicks = 5, Raft = o.Raft with { HeartbeatTicks = 2 } };

    private static bool IsHibernateSignal(Message m) => m.Context.AsSpan().SequenceEqual(HibernateMarker);

    private static ulong TickUntilLeaderAmong(PeerHarness h, params ulong[] candidates)
    {
        for (var tick = 0; tick < 100; tick++)
        {
            foreach (var id in candidates)
            {
                if (h[id].Raft.Role == StateRole.Leader) return id;
            }
            h.Tick();
        }
        throw new InvalidOperationException($"none of {string.Join(", ", candidates)} became leader");
    }

    [Fact]
    public void Applied_proposal_is_answered_once_with_its_index_and_the_state_machine_result()
    {
        var h = new PeerHarness(3);
        Assert.Equal(StateRole.Leader, h[1].Raft.Role);

        h.Propose(1, "a", "p");
        h.Settle();

        var success = Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("p")));
        Assert.Equal(1, success.Result);
        Assert.Equal(h[1].Raft.LastIndex, success.Index);
        h.Tick(80);
        Assert.Single(h.AnswersTo("p"));
        Assert.All(h.Hosts.Values, host => Assert.Equal(["a"], host.Machine.Commands));
    }

    [Fact]
    public void Proposal_overwritten_after_a_leader_change_is_answered_dropped_once_and_never_applied()
    {
        var h = new PeerHarness(3);
        h.Drop = m => m.From == 1 || m.To == 1;
        h.Propose(1, "lost", "lost");
        h.Settle();
        Assert.Empty(h.AnswersTo("lost"));

        var newLeader = TickUntilLeaderAmong(h, 2, 3);
        h.Propose(newLeader, "kept", "kept");
        h.Settle();
        h.Drop = _ => false;
        h.Tick(5);

        var dropped = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo("lost")));
        Assert.Equal(RaftFailure.Dropped, dropped.Failure);
        Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("kept")));
        h.Tick(80);
        Assert.Single(h.AnswersTo("lost"));
        Assert.All(h.Hosts.Values, host => Assert.Equal(["kept"], host.Machine.Commands));
    }

    [Fact]
    public void Proposal_without_a_quorum_times_out_once_at_its_deadline_with_outcome_unknown()
    {
        var h = new PeerHarness(3);
        var deadline = PeerHarness.DefaultOptions(1).RequestDeadlineTicks;
        h.Drop = m => m.From == 1 || m.To == 1;
        h.Propose(1, "maybe", "maybe");

        h.Tick(deadline - 1);
        Assert.Empty(h.AnswersTo("maybe"));
        h.Tick();

        var timeout = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo("maybe")));
        Assert.Equal(RaftFailure.OutcomeUnknown, timeout.Failure);
        Assert.Contains("outcome unknown", timeout.Detail, StringComparison.Ordinal);
        h.Drop = _ => false;
        h.Tick(40);
        Assert.Single(h.AnswersTo("maybe"));
    }

    [Fact]
    public void Read_is_answered_only_once_its_read_index_is_applied_while_apply_lags_behind_commit()
    {
        // One entry applied per Ready and the leader's journal released one write at a time: commit runs ahead of apply.
        var h = new PeerHarness(3, o => o with { Raft = o.Raft with { MaxApplyBytes = 1 } });
        var leader = h[1];
        leader.HoldWrites = true;
        var next = 0;
        void ProposeThreeThenReleaseOneWrite()
        {
            for (var i = 0; i < 3; i++) h.Propose(1, $"c{++next}", $"p{next}");
            h.Settle();
            if (leader.InFlight.Count > 0) h.CompleteWrite(leader);
            h.Settle();
        }
        while (leader.Raft.Committed < leader.Peer.Status().Applied + 4) ProposeThreeThenReleaseOneWrite();
        var commitAtRead = leader.Raft.Committed;
        var committed = leader.Raft.EntriesBetween(leader.Raft.FirstIndex, commitAtRead + 1)
            .Where(e => e.Type == EntryType.Normal && e.Data.Length > 0).Select(e => Encoding.UTF8.GetString(e.Data)).ToList();
        Assert.NotEmpty(committed);

        h.Read(1, "read");
        while (h.AnswersTo("read").Count == 0)
        {
            Assert.True(next < 100, "the read was never answered");
            // Until then the leader has not applied everything committed before the read.
            Assert.True(leader.Peer.Status().Applied < commitAtRead, $"applied {leader.Peer.Status().Applied} reached the read index {commitAtRead} without an answer");
            ProposeThreeThenReleaseOneWrite();
        }

        var answer = Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo("read")));
        var seen = Assert.IsType<List<string>>(answer.Value);
        Assert.Equal(committed, seen.Take(committed.Count));
    }

    [Fact]
    public void Read_on_a_follower_is_refused_at_once_with_the_leader_as_hint()
    {
        var h = new PeerHarness(3);

        h.Read(2, "read");

        var refused = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo("read")));
        Assert.Equal(RaftFailure.NotLeader, refused.Failure);
        Assert.Equal(1UL, refused.LeaderHint);
    }

    [Fact]
    public void Settled_group_sleeps_on_every_replica_and_then_ticks_send_nothing()
    {
        var h = new PeerHarness(3, Sleepy);
        h.Propose(1, "a", "p");
        h.Settle();

        TickUntilAllAsleep(h);
        var sent = h.Sent.Count;
        var term = h[1].Raft.Term;
        h.Tick(100);

        Assert.Equal(sent, h.Sent.Count);
        Assert.Equal(term, h[1].Raft.Term);
        Assert.Equal(StateRole.Leader, h[1].Raft.Role);
    }

    [Fact]
    public void Group_whose_leader_heartbeats_every_tick_still_falls_asleep()
    {
        // The leader used to fall asleep after ticking: that tick's regular heartbeat followed the sleep signal and woke
        // every follower, whose answers woke the leader, so with heartbeat-ticks = 1 a group never slept.
        var h = new PeerHarness(3, o => o with { HibernateAfterTicks = 5, Raft = o.Raft with { HeartbeatTicks = 1 } });
        h.Propose(1, "a", "p");
        h.Settle();

        TickUntilAllAsleep(h);
        var sent = h.Sent.Count;
        h.Tick(30);

        Assert.Equal(sent, h.Sent.Count);
    }

    [Fact]
    public void Proposal_wakes_a_sleeping_group_commits_and_the_group_sleeps_again()
    {
        var h = new PeerHarness(3, Sleepy);
        TickUntilAllAsleep(h);

        h.Propose(1, "wake", "p");
        Assert.False(h[1].ReportedAsleep);
        h.Settle();

        Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("p")));
        Assert.All(h.Hosts.Values, host => Assert.False(host.Peer.IsHibernating));
        TickUntilAllAsleep(h);
        Assert.All(h.Hosts.Values, host => Assert.Equal(["wake"], host.Machine.Commands));
    }

    [Fact]
    public void Read_wakes_a_sleeping_leader_and_is_answered()
    {
        var h = new PeerHarness(3, Sleepy);
        h.Propose(1, "a", "p");
        h.Settle();
        TickUntilAllAsleep(h);

        h.Read(1, "read");
        h.Settle();

        Assert.False(h[1].ReportedAsleep);
        Assert.Equal(["a"], Assert.IsType<List<string>>(Assert.IsType<ReadSucceeded>(Assert.Single(h.AnswersTo("read"))).Value));
    }

    [Fact]
    public void Follower_that_missed_the_sleep_signal_wakes_the_group_with_its_pre_vote_and_the_leader_stays()
    {
        var h = new PeerHarness(3, Sleepy);
        h.Drop = m => m.To == 3 && IsHibernateSignal(m);
        for (var tick = 0; !(h[1].ReportedAsleep && h[2].ReportedAsleep); tick++)
        {
            Assert.True(tick < 50, "leader and follower 2 never slept");
            h.Tick();
        }
        Assert.False(h[3].Peer.IsHibernating);
        var term = h[1].Raft.Term;

        for (var tick = 0; h[1].ReportedAsleep || h[2].ReportedAsleep; tick++)
        {
            Assert.True(tick < 50, "the sleeping replicas were never woken");
            h.Tick();
        }

        Assert.Contains(h.Sent, s => s.FromNode == 3 && s.Message.Type == MessageType.PreVote);
        h.Drop = _ => false;
        h.Tick(5);
        Assert.Equal(StateRole.Leader, h[1].Raft.Role);
        Assert.Equal(term, h[1].Raft.Term);
        Assert.Equal(1UL, h[3].Raft.Leader);
    }

    [Fact]
    public void Wake_input_wakes_a_sleeping_replica_and_it_ticks_again()
    {
        var h = new PeerHarness(3, Sleepy);
        TickUntilAllAsleep(h);

        h.Wake(2);

        Assert.False(h[2].ReportedAsleep);
        Assert.False(h[2].Peer.IsHibernating);
        Assert.True(h[1].Peer.IsHibernating);
    }

    [Fact]
    public void Streamed_snapshot_is_not_timed_out_while_sending_and_is_sent_again_once_abandoned()
    {
        var h = LaggingFollowerNeedingASnapshot();
        Assert.Equal(1, SnapshotsSentTo(h, 3));
        h.SnapshotTransfer(1, 3, SnapshotTransferState.Sending);

        h.Tick(PeerHarness.DefaultOptions(1).SnapshotTimeoutTicks * 2);
        Assert.Equal(1, SnapshotsSentTo(h, 3));

        h.SnapshotTransfer(1, 3, SnapshotTransferState.Abandoned);
        h.Drop = _ => false;
        h.Tick(3);

        Assert.Equal(2, SnapshotsSentTo(h, 3));
        Assert.Equal(h[1].Machine.Commands, h[3].Machine.Commands);
    }

    [Fact]
    public void Snapshot_rejected_by_a_full_transfer_queue_is_sent_again_at_once()
    {
        var h = LaggingFollowerNeedingASnapshot();
        h.Drop = _ => false;

        h.SnapshotTransfer(1, 3, SnapshotTransferState.Rejected);
        h.Tick(3);

        Assert.Equal(2, SnapshotsSentTo(h, 3));
        Assert.Equal(h[1].Machine.Commands, h[3].Machine.Commands);
    }

    [Fact]
    public void Inline_snapshot_that_got_no_answer_is_sent_again_after_twenty_election_timeouts()
    {
        var h = LaggingFollowerNeedingASnapshot();
        var timeout = PeerHarness.DefaultOptions(1).SnapshotTimeoutTicks;

        h.Tick(timeout - 10);
        Assert.Equal(1, SnapshotsSentTo(h, 3));
        h.Drop = _ => false;
        h.Tick(20);

        Assert.Equal(2, SnapshotsSentTo(h, 3));
        Assert.Equal(h[1].Machine.Commands, h[3].Machine.Commands);
    }

    [Fact]
    public void Completed_stream_lets_the_leader_go_on_from_the_snapshot_although_the_follower_answer_was_lost()
    {
        var h = LaggingFollowerNeedingASnapshot();
        h.SnapshotTransfer(1, 3, SnapshotTransferState.Sending);
        // This time the snapshot arrives, but the follower's answer to it is lost.
        var snapshot = h.Sent.Last(s => s.Message.Type == MessageType.Snapshot).Message;
        var answerLost = false;
        h.Drop = m =>
        {
            if (answerLost || m.From != 3 || m.Type != MessageType.AppendResponse) return false;
            answerLost = true;
            return true;
        };
        h.Execute(h[3], h[3].Peer.Step(1, snapshot));
        h.Propose(1, "after-snapshot", "after");
        h.Tick(30);
        Assert.True(answerLost);
        Assert.Equal(ProgressState.Snapshot, h[1].Raft.Tracker.Progress[3].State);
        Assert.DoesNotContain("after-snapshot", h[3].Machine.Commands);

        h.SnapshotTransfer(1, 3, SnapshotTransferState.Completed);
        h.Tick(3);

        Assert.Equal(1, SnapshotsSentTo(h, 3));
        Assert.Equal(h[1].Machine.Commands, h[3].Machine.Commands);
    }

    [Fact]
    public void Transfer_verdict_reaches_the_replica_now_on_a_node_that_hosted_a_removed_one()
    {
        var h = new PeerHarness(4, o => o with { SnapshotEveryEntries = 4, FollowerCatchUpLogBytes = 0 });
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, 4)), new Dictionary<ulong, ulong>(), "remove");
        h.Tick(2);
        Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("remove")));
        for (var i = 0; i < 10; i++)
        {
            h.Propose(1, $"c{i}", $"p{i}");
            h.Settle();
        }
        // The group comes back to node 4 as a new replica, 5; the leader still knows removed peer 4 lived there.
        h.AddReplica(5, node: 4);
        h.Drop = m => m.To == 5 && m.Type == MessageType.Snapshot;
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 5)), new Dictionary<ulong, ulong> { [5] = 4 }, "add");
        // A command after the change, so the leader's snapshot (taken at the state machine's index) includes replica 5.
        h.Propose(1, "after-add", "after-add");
        h.Tick(3);
        Assert.Equal(1, SnapshotsSentTo(h, 4));

        h.SnapshotTransfer(1, 4, SnapshotTransferState.Rejected);
        h.Drop = _ => false;
        h.Tick(3);

        Assert.Equal(2, SnapshotsSentTo(h, 4));
        Assert.Equal(h[1].Raft.Committed, h[5].Raft.Committed);
    }

    [Fact]
    public void Replica_that_caught_up_by_snapshot_reaches_a_learner_added_meanwhile_once_it_leads()
    {
        var h = new PeerHarness(3, o => o with { SnapshotEveryEntries = 4, FollowerCatchUpLogBytes = 0 });
        h.Drop = m => m.To == 3 || m.From == 3;
        h.AddReplica(4);
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4)), new Dictionary<ulong, ulong> { [4] = 4 }, "add");
        for (var i = 0; i < 10; i++)
        {
            h.Propose(1, $"c{i}", $"p{i}");
            h.Tick();
        }
        Assert.Equal(10, h[4].Machine.Commands.Count);
        // Replica 3 comes back by a snapshot: it never applies the change that said where learner 4 lives.
        h.Drop = _ => false;
        h.Tick(3);
        Assert.Contains(h.Sent, s => s.ToNode == 3 && s.Message.Type == MessageType.Snapshot);
        Assert.Equal(10, h[3].Machine.Commands.Count);

        h.Execute(h[1], h[1].Peer.TransferLeadership(3, "transfer"));
        h.Tick(3);
        Assert.Equal(StateRole.Leader, h[3].Raft.Role);
        h.Propose(3, "from-3", "from-3");
        h.Tick(3);

        Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("from-3")));
        Assert.Equal("from-3", h[4].Machine.Commands[^1]);
    }

    [Fact]
    public void Transfer_update_for_a_node_without_a_snapshot_in_flight_changes_nothing()
    {
        var h = new PeerHarness(3);
        var before = h[1].Effects.Count;

        h.SnapshotTransfer(1, 3, SnapshotTransferState.Abandoned);
        h.SnapshotTransfer(1, 9, SnapshotTransferState.Completed);

        Assert.Equal(before, h[1].Effects.Count);
        Assert.Equal(ProgressState.Replicate, h[1].Raft.Tracker.Progress[3].State);
    }

    [Theory]
    [InlineData(1 << 20, false)]
    [InlineData(0, true)]
    public void Leader_compaction_keeps_the_log_a_lagging_follower_needs_within_the_catch_up_budget(long budget, bool snapshotExpected)
    {
        var h = new PeerHarness(3, o => o with { SnapshotEveryEntries = 8, FollowerCatchUpLogBytes = budget });
        // Follower 3 keeps answering heartbeats (it stays recently active) but loses every append.
        h.Drop = m => m.To == 3 && m.Type == MessageType.Append;
        for (var i = 0; i < 30; i++)
        {
            h.Propose(1, $"c{i}", $"p{i}");
            h.Tick();
        }
        Assert.True(h[1].SavedSnapshots.Count > 0, "the leader never took a snapshot");
        // Kept: the leader's log still starts right after what replica 3 has; otherwise it was compacted past it.
        Assert.Equal(!snapshotExpected, h[1].Raft.FirstIndex <= h[3].Raft.LastIndex + 1);
        Assert.True(h[2].Raft.FirstIndex > h[3].Raft.LastIndex + 1, "an up-to-date follower keeps no log for others");

        h.Drop = _ => false;
        h.Tick(5);

        Assert.Equal(snapshotExpected, SnapshotsSentTo(h, 3) > 0);
        Assert.Equal(h[1].Machine.Commands, h[3].Machine.Commands);
        Assert.Equal(30, h[3].Machine.Commands.Count);
    }

    [Fact]
    public void Destroy_of_a_voter_is_refused_unless_forced()
    {
        var h = new PeerHarness(3);

        h.Destroy(3, force: false, "refused");

        var refused = Assert.IsType<GroupDestroyed>(Assert.Single(h.AnswersTo("refused")));
        Assert.False(refused.Destroyed);
        Assert.DoesNotContain(h[3].Effects, e => e is PersistEvent { Event: GroupTombstone });
        Assert.False(h[3].Peer.IsDestroyed);
    }

    [Fact]
    public void Destroyed_replica_writes_its_tombstone_last_and_never_runs_again()
    {
        var h = new PeerHarness(4);
        // Demoted to learner, replica 4 applies the change itself: it is no longer a voter in its own configuration.
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4)), new Dictionary<ulong, ulong>(), "demote");
        h.Tick(3);
        Assert.IsType<ProposeSucceeded>(Assert.Single(h.AnswersTo("demote")));
        Assert.DoesNotContain(4UL, h[4].Raft.ConfState.Voters);

        // A write of replica 4 is in flight when it is destroyed.
        h[4].HoldWrites = true;
        h.Propose(1, "x", "x");
        h.Settle();
        Assert.Single(h[4].InFlight);
        h.Destroy(4, force: false, "destroy");
        Assert.Equal(2, h[4].InFlight.Count);
        Assert.IsType<GroupTombstone>(h[4].InFlight[^1].Write.Event);
        Assert.True(h[4].InFlight[^1].Write.InputsWait);
        var effectsAtDestroy = h[4].Effects.Count;

        // Meanwhile it takes no part in the group and refuses requests.
        h.Propose(4, "late", "late");
        h.Tick(5);
        Assert.Equal(RaftFailure.GroupNotFound, Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo("late"))).Failure);
        Assert.Equal(2, h[4].InFlight.Count);
        h.CompleteWrite(h[4]);
        h.CompleteWrite(h[4]);

        var destroyed = Assert.IsType<GroupDestroyed>(Assert.Single(h.AnswersTo("destroy")));
        Assert.True(destroyed.Destroyed);
        Assert.True(h[4].ReportedTombstoned);
        var (_, last) = Assert.Single(h[4].Journal);
        Assert.IsType<GroupTombstone>(last);
        Assert.Empty(h[4].SavedSnapshots);
        h[4].HoldWrites = false;
        h.Tick(20);
        var afterDestroy = h[4].Effects.Skip(effectsAtDestroy).ToList();
        Assert.DoesNotContain(afterDestroy, e => e is PersistEvent or SendRaftMessages or SaveGroupSnapshot);

        h.Restart(4);
        Assert.True(h[4].Peer.IsTombstoned);
        Assert.Null(h[4].Peer.Raft);
        h.Destroy(4, force: false, "again");
        h.Tick(5);
        Assert.True(Assert.IsType<GroupDestroyed>(Assert.Single(h.AnswersTo("again"))).Destroyed);
        Assert.Empty(h[4].InFlight);
        Assert.Single(h[4].Journal);
    }

    [Fact]
    public void Forced_destroy_answers_every_waiting_request_once_with_an_unknown_outcome()
    {
        var h = new PeerHarness(3);
        h.Drop = m => m.From == 1 || m.To == 1;
        h.Propose(1, "waiting", "waiting");
        h.Settle();

        h.Destroy(1, force: true, "destroy");
        h.Settle();
        h.Tick(80);

        var failed = Assert.IsType<ProposeFailed>(Assert.Single(h.AnswersTo("waiting")));
        Assert.Equal(RaftFailure.OutcomeUnknown, failed.Failure);
        Assert.Contains("outcome unknown", failed.Detail, StringComparison.Ordinal);
        Assert.True(Assert.IsType<GroupDestroyed>(Assert.Single(h.AnswersTo("destroy"))).Destroyed);
    }

    [Fact]
    public void Restarted_replica_recovers_commands_from_its_snapshot_and_journal()
    {
        var h = new PeerHarness(3, o => o with { SnapshotEveryEntries = 4 });
        for (var i = 0; i < 10; i++)
        {
            h.Propose(1, $"c{i}", $"p{i}");
            h.Settle();
        }
        h.Tick(2);
        Assert.NotEmpty(h[2].SavedSnapshots);

        h.Restart(2);
        h.Tick(2);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c{i}"), h[2].Machine.Commands);
        Assert.Equal(StateRole.Follower, h[2].Raft.Role);
    }

    [Fact]
    public void Restarted_replica_comes_back_with_the_membership_it_applied_and_a_demoted_learner_cannot_elect_it()
    {
        var h = new PeerHarness(3);
        h.AddReplica(4);
        var noNewPeers = new Dictionary<ulong, ulong>();
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 4)), new Dictionary<ulong, ulong> { [4] = 4 }, "learner");
        h.Tick(2);
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddNode, 4)), noNewPeers, "promote");
        h.Tick(2);
        h.ProposeMembership(1, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 2)), noNewPeers, "demote");
        h.Tick(2);
        var applied = h[3].Raft.ConfState;
        Assert.Equal(new ulong[] { 1, 3, 4 }, applied.Voters.Order());
        Assert.Equal([2UL], applied.Learners);

        // Replica 3 learned of these changes only by commit-only updates: those need no write of their own, but the
        // membership they apply must survive a restart, or replica 3 comes back with voters 1, 2 and 3.
        h.Restart(3);

        Assert.True(h[3].Raft.ConfState.SameAs(applied), $"replica 3 restarted with {h[3].Raft.ConfState}, had applied {applied}");
        // Cut off from voters 1 and 4, replica 3 must not win an election with the vote of learner 2 alone.
        h.Drop = m => (m.From is 1 or 4) != (m.To is 1 or 4);
        for (var tick = 0; tick < 60; tick++)
        {
            h.Tick();
            Assert.NotEqual(StateRole.Leader, h[3].Raft.Role);
        }
        Assert.Equal(StateRole.Leader, h[1].Raft.Role);
    }

    private static PeerHarness LaggingFollowerNeedingASnapshot()
    {
        var h = new PeerHarness(3, o => o with { SnapshotEveryEntries = 4, FollowerCatchUpLogBytes = 0 });
        h.Drop = m => m.To == 3 || m.From == 3;
        for (var i = 0; i < 20; i++)
        {
            h.Propose(1, $"c{i}", $"p{i}");
            h.Settle();
        }
        // Replica 3 is back, but every snapshot sent to it is lost on the way.
        h.Drop = m => m.To == 3 && m.Type == MessageType.Snapshot;
        h.Tick(3);
        Assert.Equal(ProgressState.Snapshot, h[1].Raft.Tracker.Progress[3].State);
        return h;
    }

    private static int SnapshotsSentTo(PeerHarness h, ulong node) => h.Sent.Count(s => s.ToNode == node && s.Message.Type == MessageType.Snapshot);

    // Election timeouts of 100 ticks: whatever happens within a few ticks happens because of a lost node, not a timeout.
    private static PeerOptions LongElections(PeerOptions o) => o with { Raft = o.Raft with { ElectionTicks = 100, HeartbeatTicks = 2, PreVote = true, CheckQuorum = true } };

    [Fact]
    public void Followers_told_their_leaders_node_was_lost_elect_a_survivor_within_a_few_ticks()
    {
        var h = new PeerHarness(3, LongElections);
        h.Propose(1, "before", "p");
        h.Settle();
        var term = h[1].Raft.Term;
        h.Drop = m => m.From == 1 || m.To == 1; // node 1 crashed

        h.NodeLost(2, node: 1);
        h.NodeLost(3, node: 1);
        var ticks = 0;
        while (h[2].Raft.Role != StateRole.Leader && h[3].Raft.Role != StateRole.Leader)
        {
            Assert.True(++ticks <= 10, "no survivor became leader within 10 ticks");
            h.Tick();
        }

        Assert.True(h[2].Raft.Term > term || h[3].Raft.Term > term);
    }

    [Fact]
    public void Sleeping_follower_told_its_leaders_node_was_lost_wakes_and_campaigns()
    {
        var h = new PeerHarness(3, o => Sleepy(LongElections(o)));
        TickUntilAllAsleep(h);
        h.Drop = m => m.From == 1 || m.To == 1;

        h.NodeLost(2, node: 1);

        Assert.False(h[2].ReportedAsleep);
        Assert.Equal(0UL, h[2].Raft.Leader);
        h.Tick(5);
        Assert.Contains(h.Sent, s => s.FromNode == 2 && s.Message.Type == MessageType.PreVote);
    }

    [Fact]
    public void Follower_told_another_node_was_lost_keeps_its_leader_and_sleeps_on()
    {
        var h = new PeerHarness(3, o => Sleepy(LongElections(o)));
        TickUntilAllAsleep(h);

        h.NodeLost(2, node: 3);

        Assert.True(h[2].ReportedAsleep);
        Assert.Equal(1UL, h[2].Raft.Leader);
    }

    private static void TickUntilAllAsleep(PeerHarness h)
    {
        for (var tick = 0; !h.Hosts.Values.All(host => host.ReportedAsleep && host.Peer.IsHibernating); tick++)
        {
            Assert.True(tick < 50, "the group never fell asleep");
            h.Tick();
        }
    }
}
