using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Thesis §4.1–§4.3: single-server changes and joint consensus, and the changes that are refused.</summary>
public class MembershipTests
{
    private static ConfChangeSingle Add(ulong id) => new(ConfChangeType.AddNode, id);
    private static ConfChangeSingle Remove(ulong id) => new(ConfChangeType.RemoveNode, id);
    private static ConfChangeSingle AddLearner(ulong id) => new(ConfChangeType.AddLearnerNode, id);

    private static InMemoryCluster Leader1(int size = 3, bool checkQuorum = false)
    {
        var cluster = new InMemoryCluster(size, id => Replica.Config(id) with { CheckQuorum = checkQuorum });
        cluster.Elect(1);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        return cluster;
    }

    [Fact]
    public void Single_step_add_of_a_voter_applies_directly_without_joint_state()
    {
        var cluster = Leader1();
        var result = cluster[1].ProposeConfChange(ConfChange.Of(Add(4)));
        Assert.True(result.Accepted, result.ToString());
        cluster.AddNode(4, 1, 2, 3);
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.All(cluster.Ids, id => Assert.True(cluster[id].ConfState.SameAs(ConfState.OfVoters(1, 2, 3, 4)), cluster[id].ConfState.ToString()));
        Assert.Equal(2UL, cluster[1].Committed); // no-op, conf change
        Assert.Equal(2UL, cluster[4].Committed);
    }

    [Fact]
    public void Single_step_remove_of_a_voter_shrinks_the_quorum()
    {
        var cluster = Leader1();
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Remove(3))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.True(cluster[1].ConfState.SameAs(ConfState.OfVoters(1, 2)));
        Assert.False(cluster[1].Tracker.Progress.ContainsKey(3));
        // Commit now needs 1 and 2 only.
        cluster.Isolate(3);
        Assert.True(cluster.Propose(1, "after").Accepted);
        Assert.Equal(["after"], cluster.AppliedData(2));
    }

    [Fact]
    public void Joint_consensus_is_entered_for_several_changes_and_left_automatically()
    {
        var cluster = Leader1();
        cluster.AddNode(4, 1, 2, 3);
        cluster.AddNode(5, 1, 2, 3);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Add(4), Add(5))).Accepted);
        cluster.ProcessReadies();
        cluster.Deliver();
        cluster.TickAll(2);
        var applied = cluster.Applied[1].Where(e => e.Type == EntryType.ConfChange).Select(e => ConfChange.Decode(e.Data)).ToList();
        Assert.Equal(2, applied.Count);
        Assert.Equal(2, applied[0].Changes.Count);
        Assert.True(applied[1].IsLeaveJoint); // appended by the leader on its own
        Assert.All(cluster.Ids, id => Assert.True(cluster[id].ConfState.SameAs(ConfState.OfVoters(1, 2, 3, 4, 5)), $"{id}: {cluster[id].ConfState}"));
    }

    [Fact]
    public void Joint_configuration_requires_both_majorities_while_joint()
    {
        var cluster = Leader1();
        cluster.AddNode(4, 1, 2, 3);
        cluster.AddNode(5, 1, 2, 3);
        // New voters first catch up as learners (a quorum of never-heard-from voters is refused, see below).
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(4), AddLearner(5))).Accepted);
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.True(cluster[1].ConfState.SameAs(new ConfState([1, 2, 3], [], [4, 5], [], false)), cluster[1].ConfState.ToString());
        var change = new ConfChange(ConfChangeTransition.JointExplicit, [Add(4), Add(5), Remove(2), Remove(3)], []);
        var proposed = cluster[1].ProposeConfChange(change);
        Assert.True(proposed.Accepted, proposed.ToString());
        cluster.Deliver();
        cluster.TickAll(1);
        var cs = cluster[1].ConfState;
        Assert.True(cs.IsJoint);
        Assert.Equal([1UL, 4UL, 5UL], cs.Voters);
        Assert.Equal([1UL, 2UL, 3UL], cs.VotersOutgoing);
        Assert.False(cs.AutoLeave);
        // With 2 and 3 gone, the outgoing half has no majority: nothing commits.
        cluster.Isolate(2);
        cluster.Isolate(3);
        var index = cluster[1].Propose(Bytes("blocked")).Index;
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.True(cluster[1].Committed < index, $"{cluster[1]} {string.Join(", ", cluster[1].Tracker.Progress.Select(p => $"{p.Key}:{p.Value}"))} {cluster[1].ConfState}");
        cluster.Heal();
        cluster.TickAll(2);
        Assert.True(cluster[1].Committed >= index);
    }

    [Fact]
    public void Joint_explicit_stays_joint_until_an_explicit_leave()
    {
        var cluster = Leader1();
        cluster.AddNode(4, 1, 2, 3);
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeTransition.JointExplicit, [Add(4)], [])).Accepted);
        cluster.Deliver();
        cluster.TickAll(2);
        Assert.True(cluster[1].ConfState.IsJoint);
        var refused = cluster[1].ProposeConfChange(ConfChange.Of(Add(5)));
        Assert.Equal(RefusalReason.InvalidConfChange, refused.Refusal);
        Assert.Contains("joint", refused.Detail);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.LeaveJoint).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.All(cluster.Ids, id => Assert.True(cluster[id].ConfState.SameAs(ConfState.OfVoters(1, 2, 3, 4)), cluster[id].ConfState.ToString()));
    }

    [Fact]
    public void Joint_demotion_of_a_voter_goes_through_learners_next()
    {
        var cluster = Leader1();
        Assert.True(cluster[1].ProposeConfChange(new ConfChange(ConfChangeTransition.JointExplicit, [AddLearner(3)], [])).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        var joint = cluster[1].ConfState;
        Assert.Equal([1UL, 2UL], joint.Voters);
        Assert.Equal([1UL, 2UL, 3UL], joint.VotersOutgoing);
        Assert.Equal([3UL], joint.LearnersNext);
        Assert.Empty(joint.Learners);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.LeaveJoint).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.All(cluster.Ids, id => Assert.True(cluster[id].ConfState.SameAs(new ConfState([1, 2], [], [3], [], false)), cluster[id].ConfState.ToString()));
        Assert.True(cluster[3].IsLearner);
    }

    [Fact]
    public void Leave_joint_outside_a_joint_configuration_is_refused()
    {
        var cluster = Leader1();
        var result = cluster[1].ProposeConfChange(ConfChange.LeaveJoint);
        Assert.Equal(RefusalReason.InvalidConfChange, result.Refusal);
        Assert.Contains("not in a joint", result.Detail);
    }

    [Fact]
    public void Removing_every_voter_is_refused()
    {
        var cluster = Leader1();
        var result = cluster[1].ProposeConfChange(ConfChange.Of(Remove(1), Remove(2), Remove(3)));
        Assert.Equal(RefusalReason.InvalidConfChange, result.Refusal);
        Assert.Contains("removed all voters", result.Detail);
        var single = new InMemoryCluster(1, id => Replica.Config(id));
        single.Elect(1);
        var alone = single[1].ProposeConfChange(ConfChange.Of(Remove(1)));
        Assert.Equal(RefusalReason.InvalidConfChange, alone.Refusal);
        Assert.Equal(1UL, single[1].LastIndex); // nothing was appended
    }

    [Fact]
    public void Changing_more_than_one_voter_without_joint_consensus_is_refused_by_the_changer()
    {
        var tracker = new ProgressTracker(10, 0) { Config = TrackerConfig.From(ConfState.OfVoters(1, 2, 3)) };
        foreach (var id in new ulong[] { 1, 2, 3 }) tracker.Progress[id] = new Progress(1, 10, 0, false);
        var outcome = new MembershipChanger(tracker, 5).Simple([Add(4), Add(5)]);
        Assert.False(outcome.Ok);
        Assert.Contains("more than one voter", outcome.Error);
        Assert.True(new MembershipChanger(tracker, 5).Simple([Add(4), AddLearner(5)]).Ok);
    }

    [Fact]
    public void A_second_change_while_one_is_pending_is_refused_with_ConfChangePending()
    {
        var cluster = Leader1();
        cluster.Isolate(2);
        cluster.Isolate(3);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(4))).Accepted);
        var second = cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(5)));
        Assert.Equal(RefusalReason.ConfChangePending, second.Refusal);
        Assert.Contains("not applied yet", second.Detail);
        cluster.Heal();
        cluster.TickAll(2);
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(5))).Accepted);
    }

    [Fact]
    public void A_new_leader_refuses_changes_until_it_has_applied_its_whole_log()
    {
        // The old log might hold a conf change: until it is applied, no new change is accepted.
        var r = new Replica(1, [1, 2, 3], log: Terms(1, 1), hardState: new HardState(1, 0, 0));
        r.BecomeLeader(2);
        var result = r.Node.ProposeConfChange(ConfChange.Of(AddLearner(4)));
        Assert.Equal(RefusalReason.ConfChangePending, result.Refusal);
        r.AckAll(2);
        Assert.True(r.Node.ProposeConfChange(ConfChange.Of(AddLearner(4))).Accepted);
    }

    [Fact]
    public void A_change_that_would_leave_no_reachable_quorum_is_refused_with_WouldLoseQuorum()
    {
        var cluster = Leader1(checkQuorum: true);
        cluster.Isolate(3);
        // Two CheckQuorum rounds without an answer mark 3 as unreachable; 2 keeps answering.
        cluster.TickAll(2 * cluster[1].Config.ElectionTicks + 1);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        var result = cluster[1].ProposeConfChange(ConfChange.Of(Remove(2)));
        Assert.Equal(RefusalReason.WouldLoseQuorum, result.Refusal);
        Assert.Contains("reachable", result.Detail);
        // Removing the unreachable one is fine.
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Remove(3))).Accepted);
    }

    /// <summary>Regression: every CheckQuorum round cleared the activity flags, so a change proposed before the peers' next answer was refused.</summary>
    [Fact]
    public void A_learner_added_right_after_a_CheckQuorum_round_is_accepted()
    {
        var cluster = Leader1(checkQuorum: true);
        // One round ends on the leader without any answer delivered after it.
        for (var i = 0; i < cluster[1].Config.ElectionTicks; i++) cluster[1].Tick();
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        var result = cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(4)));
        Assert.True(result.Accepted, result.ToString());
    }

    /// <summary>Regression: a new leader had heard from nobody, so a change right after a leader transfer was refused.</summary>
    [Fact]
    public void A_new_leader_counts_the_voters_that_elected_it_as_reachable()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id) with { CheckQuorum = true })
        {
            Drop = m => m.Type is MessageType.AppendResponse or MessageType.HeartbeatResponse,
        };
        cluster.Elect(1);
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        var result = cluster[1].ProposeConfChange(ConfChange.Of(AddLearner(4)));
        Assert.True(result.Accepted, result.ToString());
    }

    [Fact]
    public void Replacing_the_majority_by_voters_never_heard_from_is_refused_with_WouldLoseQuorum()
    {
        var cluster = Leader1();
        var result = cluster[1].ProposeConfChange(ConfChange.Of(Add(4), Add(5), Remove(2), Remove(3)));
        Assert.Equal(RefusalReason.WouldLoseQuorum, result.Refusal);
        Assert.Contains("reachable voters: 1 2 3", result.Detail);
    }

    [Fact]
    public void Conf_change_proposed_on_a_follower_is_refused_with_a_leader_hint()
    {
        var cluster = Leader1();
        var result = cluster[2].ProposeConfChange(ConfChange.Of(Add(4)));
        Assert.Equal((RefusalReason.NotLeader, 1UL), (result.Refusal, result.LeaderHint));
    }

    [Fact]
    public void A_removed_leader_stops_accepting_proposals()
    {
        var cluster = Leader1();
        Assert.True(cluster[1].ProposeConfChange(ConfChange.Of(Remove(1))).Accepted);
        cluster.Deliver();
        cluster.TickAll(1);
        Assert.True(cluster[2].ConfState.SameAs(ConfState.OfVoters(2, 3)));
        var result = cluster[1].Propose(Bytes("x"));
        Assert.False(result.Accepted);
        Assert.Equal(RefusalReason.NotLeader, result.Refusal);
        cluster.Isolate(1);
        cluster.TickAll(50);
        var leader = cluster.Ids.Where(id => id != 1).Select(id => cluster[id]).Single(n => n.Role == StateRole.Leader);
        Assert.True(cluster.Propose(leader.Id, "y").Accepted);
    }

    [Fact]
    public void Replicas_do_not_campaign_while_a_committed_conf_change_is_unapplied()
    {
        var r = new Replica(2, [1, 2, 3]);
        var cc = new Entry(1, 1, EntryType.ConfChange, ConfChange.Of(Add(4)).Encode());
        r.Step(Append(1, 2, 1, 0, 0, 1, cc));
        var ready = r.Node.Ready(); // committed but not yet applied (not advanced)
        Assert.Single(ready.CommittedEntries);
        r.Node.Campaign();
        Assert.Equal(StateRole.Follower, r.Node.Role);
        r.Persist(ready);
        r.Node.Advance(ready);
        Assert.True(r.Node.ConfState.SameAs(ConfState.OfVoters(1, 2, 3, 4)));
        r.Node.Campaign();
        Assert.Equal(StateRole.Candidate, r.Node.Role);
    }
}
