using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using Xunit;

namespace AkkaRaft.Actors.Tests.Placement;

/// <summary>The move operator's state machine driven step by step against <see cref="FakeRegionCluster"/>, through faults.</summary>
public sealed class MoveOperatorMachineTests
{
    private const ulong Learner = 100; // the first id the fake placement hands out
    private static readonly MoveBudgets Budgets = new(CatchUpDistance: 10, DestroyAttempts: 5, LeaderSearchRounds: 5, ChangeAttempts: 4);

    private static MoveOperatorMachine Move(ulong from = 1, ulong to = 4, MoveBudgets? budgets = null) =>
        new(1, new PlannedOperator(OperatorKind.Manual, FakeRegionCluster.RegionId, from, to), budgets ?? Budgets);

    private static string Voters(Region region) =>
        string.Join(",", region.Peers.Where(p => p.Role == PeerRole.Voter).Select(p => p.StoreId).Order());

    private static IEnumerable<ConfChange> Changes(FakeRegionCluster cluster) =>
        cluster.Requests.OfType<ChangeRegionPeers>().Select(c => ConfChange.Decode(c.Change));

    private static bool RemovesLearner(ConfChange change) =>
        change.Changes.Count == 1 && change.Changes[0] is { Type: ConfChangeType.RemoveNode, NodeId: Learner };

    [Fact]
    public void A_move_adds_a_learner_catches_it_up_promotes_it_in_one_joint_change_and_destroys_the_source()
    {
        var cluster = new FakeRegionCluster(leader: 2);
        var steps = new List<OperatorStep>();

        var outcome = cluster.Drive(Move(), steps: steps);

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.DoesNotContain("drops its replica", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal([OperatorStep.Planned, OperatorStep.AddReplica, OperatorStep.AddLearner, OperatorStep.CatchUp, OperatorStep.JointChange,
            OperatorStep.LeaveJoint, OperatorStep.RemoveSource], steps);
        Assert.Equal("2,3,4", Voters(cluster.Region));
        Assert.Equal(3, cluster.Region.Peers.Length);
        Assert.False(cluster.Hosted.ContainsKey(1));
        Assert.Equal(Learner, cluster.Hosted[4]);
        Assert.Equal(new RegionEpoch(8, 3), cluster.Region.Epoch); // learner, joint, leave: three conf versions, range untouched
    }

    /// <summary>Regression: a target that restarted before its empty learner replica was durable came back without it, and the move waited in catch-up until its timeout.</summary>
    [Fact]
    public void A_target_store_that_lost_its_learner_replica_in_a_restart_gets_it_again_and_the_move_finishes()
    {
        var cluster = new FakeRegionCluster(leader: 2);
        var restarted = false;

        var outcome = cluster.Drive(Move(), cancelWhen: (machine, _) =>
        {
            if (!restarted && machine.Progress.Step == OperatorStep.CatchUp)
            {
                restarted = true;
                cluster.Hosted.Remove(4); // store 4 restarts: the learner is in the configuration, its replica is gone
            }
            return false;
        });

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.True(cluster.Requests.OfType<AddRegionReplica>().Count() >= 2, "the learner's replica was not asked for again");
        Assert.Equal("2,3,4", Voters(cluster.Region));
        Assert.Equal(Learner, cluster.Hosted[4]);
    }

    [Fact]
    public void A_leader_on_the_source_store_hands_leadership_over_before_the_joint_change()
    {
        var cluster = new FakeRegionCluster(leader: 1);
        var steps = new List<OperatorStep>();

        var outcome = cluster.Drive(Move(from: 1), steps: steps);

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.True(steps.IndexOf(OperatorStep.TransferLeader) is > 0 and var transfer && transfer < steps.IndexOf(OperatorStep.JointChange), string.Join(" → ", steps));
        var joint = cluster.Requests.OfType<ChangeRegionPeers>().Single(c => ConfChange.Decode(c.Change).Changes.Count == 2);
        Assert.NotEqual(1UL, joint.TargetStore);
        Assert.Equal("2,3,4", Voters(cluster.Region));
    }

    [Fact]
    public void Lost_answers_are_asked_again_and_a_change_whose_answer_was_lost_is_not_applied_twice()
    {
        var cluster = new FakeRegionCluster();
        var asked = 0;
        cluster.Intercept = request =>
        {
            // Every third request is lost; a lost change was applied all the same (its outcome is unknown to the operator).
            if (++asked % 3 != 0) return null;
            if (request is ChangeRegionPeers change && change.TargetStore == cluster.Leader && change.ConfVersion == cluster.Region.Epoch.ConfVersion)
                cluster.Apply(ConfChange.Decode(change.Change), change.PeerIds.Zip(change.PeerStores).ToDictionary(p => p.Item1, p => p.Item2));
            return FakeRegionCluster.Lost;
        };

        var outcome = cluster.Drive(Move());

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.Equal("2,3,4", Voters(cluster.Region));
        Assert.Equal(3, cluster.Region.Peers.Length);
        Assert.Equal(new RegionEpoch(8, 3), cluster.Region.Epoch);
    }

    [Fact]
    public void A_not_leader_answer_sends_the_operator_looking_for_the_new_leader()
    {
        var cluster = new FakeRegionCluster(leader: 2);
        var moved = false;
        cluster.Intercept = request =>
        {
            if (moved || request is not ChangeRegionPeers) return null;
            moved = true;
            cluster.Leader = 3; // leadership moved between the operator's look and its proposal
            return null;
        };

        var outcome = cluster.Drive(Move());

        Assert.Equal(OperatorState.Done, outcome.State);
        var changes = cluster.Requests.OfType<ChangeRegionPeers>().ToList();
        Assert.Equal(2UL, changes[0].TargetStore);
        Assert.All(changes.Skip(1), c => Assert.Equal(3UL, c.TargetStore));
    }

    [Fact]
    public void A_split_before_the_learner_joins_makes_the_move_stale_and_its_empty_replica_is_destroyed()
    {
        var cluster = new FakeRegionCluster();
        cluster.Intercept = request =>
        {
            if (request is AddRegionReplica) cluster.Region = cluster.Region.WithEpoch(new RegionEpoch(cluster.Region.Epoch.ConfVersion, cluster.Region.Epoch.Version + 1));
            return null;
        };
        var steps = new List<OperatorStep>();

        var outcome = cluster.Drive(Move(), steps: steps);

        Assert.Equal((OperatorState.Failed, true), (outcome.State, outcome.Stale));
        Assert.StartsWith("stale, re-planned next round:", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(OperatorStep.RollBack, steps[^1]);
        Assert.Empty(cluster.Requests.OfType<ChangeRegionPeers>());
        Assert.Equal("1,2,3", Voters(cluster.Region));
        Assert.False(cluster.Hosted.ContainsKey(4));
    }

    [Fact]
    public void A_stale_epoch_answer_to_the_joint_change_ends_the_move_as_stale_with_the_learner_removed()
    {
        var cluster = new FakeRegionCluster();
        cluster.Intercept = request => request is ChangeRegionPeers change && ConfChange.Decode(change.Change).Changes.Count == 2
            ? new ChangeRegionPeersReply(ChangePeersStatus.EpochNotMatch, RegionDescriptor.From(cluster.Region), 0, "stale")
            : null;

        var outcome = cluster.Drive(Move());

        Assert.Equal((OperatorState.Failed, true), (outcome.State, outcome.Stale));
        Assert.DoesNotContain(cluster.Region.Peers, p => p.PeerId == Learner);
        Assert.False(cluster.Hosted.ContainsKey(4));
    }

    [Fact]
    public void A_target_that_goes_down_during_catch_up_is_cancelled_and_its_learner_removed()
    {
        var cluster = new FakeRegionCluster();
        var waits = 0;
        cluster.Intercept = request =>
        {
            if (request is ChangeRegionPeers && cluster.Region.Peers.Any(p => p.PeerId == Learner)) return null;
            if (request is GetRegionProgress && cluster.Region.Peers.Any(p => p.PeerId == Learner)) cluster.Down.Add(4);
            return null;
        };

        // The scheduler's stall check: a learner that does not get closer for a while is given up on.
        var outcome = cluster.Drive(Move(), cancelWhen: (m, action) => m.Progress.Step == OperatorStep.CatchUp && action is OperatorAction.Wait && ++waits > 5);

        Assert.Equal(OperatorState.Cancelled, outcome.State);
        Assert.Equal("1,2,3", Voters(cluster.Region));
        Assert.DoesNotContain(cluster.Region.Peers, p => p.PeerId == Learner);
        Assert.Contains(Changes(cluster), RemovesLearner);
    }

    [Fact]
    public void A_cancel_whose_joint_change_went_through_unseen_never_removes_the_promoted_voter()
    {
        var cluster = new FakeRegionCluster();
        // The joint change is applied, its answer lost; the scheduler cancels before the operator looked again.
        cluster.Intercept = request =>
        {
            if (request is not ChangeRegionPeers change || ConfChange.Decode(change.Change).Changes.Count != 2) return null;
            cluster.Apply(ConfChange.Decode(change.Change), new Dictionary<ulong, ulong> { [Learner] = 4 });
            return FakeRegionCluster.Lost;
        };

        var outcome = cluster.Drive(Move(), cancelWhen: (m, action) => m.Progress.Step == OperatorStep.JointChange && action is OperatorAction.Wait);

        Assert.Equal(OperatorState.Cancelled, outcome.State);
        Assert.DoesNotContain(Changes(cluster), RemovesLearner);
        Assert.Contains(cluster.Region.Peers, p => p.PeerId == Learner && p.Role == PeerRole.Voter);
        Assert.Equal(Learner, cluster.Hosted[4]);
    }

    [Fact]
    public void A_promotion_landing_between_the_rollbacks_look_and_its_removal_makes_the_removal_stale_and_leaves_the_voter()
    {
        var cluster = new FakeRegionCluster();
        ChangeRegionPeers? inFlight = null;
        var cancelled = false;
        var looksAfterCancel = 0;
        cluster.Intercept = request =>
        {
            if (request is ChangeRegionPeers joint && ConfChange.Decode(joint.Change).Changes.Count == 2)
            {
                inFlight = joint; // still on its way through the log: no answer yet
                return FakeRegionCluster.Lost;
            }
            // The rollback looks at the leader (learner still a learner), then looks again to stamp its removal: the promotion commits in between.
            if (cancelled && inFlight is { } pending && request is GetRegionProgress { TargetStore: var store } && store == cluster.Leader && ++looksAfterCancel == 2)
            {
                cluster.Apply(ConfChange.Decode(pending.Change), new Dictionary<ulong, ulong> { [Learner] = 4 });
                inFlight = null;
            }
            return null;
        };

        var outcome = cluster.Drive(Move(), cancelWhen: (m, action) => cancelled = m.Progress.Step == OperatorStep.JointChange && action is OperatorAction.Wait);

        Assert.Equal(OperatorState.Cancelled, outcome.State);
        Assert.Equal(2, looksAfterCancel);
        Assert.Contains(cluster.Region.Peers, p => p.PeerId == Learner && p.Role == PeerRole.Voter);
        Assert.DoesNotContain(Changes(cluster), RemovesLearner);
        Assert.Equal(Learner, cluster.Hosted[4]);
    }

    [Fact]
    public void The_source_replica_is_asked_for_again_until_its_removal_settles()
    {
        var cluster = new FakeRegionCluster { SettleAfterPolls = 3 };

        var outcome = cluster.Drive(Move());

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.DoesNotContain("drops its replica", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(4, cluster.Requests.OfType<DestroyRegionReplica>().Count(d => d.TargetStore == 1));
        Assert.False(cluster.Hosted.ContainsKey(1));
    }

    [Fact]
    public void A_source_whose_removal_never_settles_in_time_is_left_for_its_store_to_drop_and_the_move_is_done()
    {
        var cluster = new FakeRegionCluster { SettleAfterPolls = 1000 };

        var outcome = cluster.Drive(Move());

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.Contains("store 1 drops its replica once every voter applied its removal", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(Budgets.DestroyAttempts, cluster.Requests.OfType<DestroyRegionReplica>().Count());
        Assert.All(cluster.Requests.OfType<DestroyRegionReplica>(), d => Assert.NotNull(d.After));
    }

    [Fact]
    public void Placement_going_silent_after_the_id_is_allocated_does_not_stop_the_move_nor_its_rollback()
    {
        var cluster = new FakeRegionCluster();
        cluster.Intercept = request =>
        {
            if (request is AddRegionReplica) cluster.PlacementAnswers = false; // placement's leader moves away for the rest of the move
            return null;
        };

        Assert.Equal(OperatorState.Done, cluster.Drive(Move()).State);
        var lookups = cluster.Requests.Count(r => r is PlacementLookup or PlacementAllocateIds);
        Assert.Equal(2, lookups);
    }

    [Fact]
    public void Placement_not_answering_the_lookup_is_asked_again_until_it_does()
    {
        var cluster = new FakeRegionCluster();
        var lost = 0;
        cluster.Intercept = request => request is PlacementLookup && ++lost <= 3 ? FakeRegionCluster.Lost : null;

        Assert.Equal(OperatorState.Done, cluster.Drive(Move()).State);
        Assert.Equal(4, cluster.Requests.OfType<PlacementLookup>().Count());
    }

    [Fact]
    public void A_region_without_a_leader_fails_the_move_and_a_learner_added_before_is_destroyed_as_far_as_it_can()
    {
        var cluster = new FakeRegionCluster();
        cluster.Intercept = request => request is GetRegionProgress && cluster.Requests.OfType<AddRegionReplica>().Any() ? FakeRegionCluster.Lost : null;

        var outcome = cluster.Drive(Move());

        Assert.Equal(OperatorState.Failed, outcome.State);
        Assert.Contains("no leader found", outcome.Detail, StringComparison.Ordinal);
        Assert.Empty(cluster.Requests.OfType<ChangeRegionPeers>());
    }

    [Fact]
    public void A_move_of_a_region_changing_membership_already_is_stale_and_touches_nothing()
    {
        var cluster = new FakeRegionCluster();
        cluster.Apply(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 90)), new Dictionary<ulong, ulong> { [90] = 4 });

        var outcome = cluster.Drive(Move(to: 4));

        Assert.Equal(OperatorState.Failed, outcome.State);
        Assert.Contains("already holds a replica", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal([typeof(PlacementLookup)], cluster.Requests.Select(r => r.GetType()));
    }

    [Fact]
    public void A_cleanup_removes_the_orphan_learner_and_destroys_its_replica()
    {
        var cluster = new FakeRegionCluster();
        cluster.Apply(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 90)), new Dictionary<ulong, ulong> { [90] = 4 });
        cluster.Hosted[4] = 90;
        var cleanup = new MoveOperatorMachine(2, new PlannedOperator(OperatorKind.Cleanup, FakeRegionCluster.RegionId, 4, 0, LearnerPeer: 90), Budgets);

        var outcome = cluster.Drive(cleanup);

        Assert.Equal(OperatorState.Done, outcome.State);
        Assert.Equal(OperatorStep.RemoveLearner, cleanup.Progress.Step);
        Assert.DoesNotContain(cluster.Region.Peers, p => p.PeerId == 90);
        Assert.False(cluster.Hosted.ContainsKey(4));
    }

    [Fact]
    public void A_cleanup_of_a_learner_promoted_meanwhile_leaves_the_voter_in_place()
    {
        var cluster = new FakeRegionCluster();
        cluster.Region = cluster.Region.WithPeers(cluster.Region.Peers.Append(new RegionPeer(4, 90, PeerRole.Voter)));
        cluster.Hosted[4] = 90;
        var cleanup = new MoveOperatorMachine(2, new PlannedOperator(OperatorKind.Cleanup, FakeRegionCluster.RegionId, 4, 0, LearnerPeer: 90), Budgets);

        var outcome = cluster.Drive(cleanup);

        Assert.Equal((OperatorState.Failed, true), (outcome.State, outcome.Stale));
        Assert.Contains("left in place", outcome.Detail, StringComparison.Ordinal);
        Assert.Empty(cluster.Requests.OfType<ChangeRegionPeers>());
        Assert.Empty(cluster.Requests.OfType<DestroyRegionReplica>());
    }

    [Fact]
    public void An_answer_while_waiting_or_a_second_cancel_is_an_illegal_transition()
    {
        var machine = Move();
        machine.Start();
        Assert.Throws<InvalidOperationException>(() => machine.OnWaited());

        var cancelled = Move();
        cancelled.Start();
        Assert.Equal(OperatorState.Cancelled, Assert.IsType<OperatorAction.Finish>(cancelled.Cancel("test")).Outcome.State);
        Assert.Throws<InvalidOperationException>(() => cancelled.Cancel("again"));
        Assert.Throws<InvalidOperationException>(() => cancelled.OnReply(new object()));
    }
}
