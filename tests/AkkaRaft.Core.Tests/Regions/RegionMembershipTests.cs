using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

/// <summary>A move's membership steps as the KV state machine and placement record them.</summary>
public sealed class RegionMembershipTests
{
    private static readonly Dictionary<ulong, ulong> LearnerOnStore4 = new() { [99] = 4 };

    private static KvResult.MembershipChanged Change(KvStateMachine machine, ulong index, ConfChange change) =>
        Assert.IsType<KvResult.MembershipChanged>(machine.ApplyMembership(index, change, LearnerOnStore4));

    [Fact]
    public void A_move_adds_a_learner_promotes_it_in_a_joint_change_and_drops_the_demoted_voter_on_leave_bumping_conf_version_each_step()
    {
        var machine = KvStateMachine.NewRegion(R(1, "", "m"));
        var source = machine.Region.Peers[0];

        var learner = Change(machine, 6, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 99)));
        Assert.Contains(new RegionPeer(4, 99, PeerRole.Learner), learner.Region.Peers);
        Assert.Equal(new RegionEpoch(2, 1), learner.Region.Epoch);
        Assert.False(learner.InTransition);

        var joint = Change(machine, 7, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddNode, 99), new ConfChangeSingle(ConfChangeType.RemoveNode, source.PeerId)));
        Assert.Contains(new RegionPeer(4, 99, PeerRole.Voter), joint.Region.Peers);
        Assert.Contains(source with { Role = PeerRole.Demoting }, joint.Region.Peers);
        Assert.True(joint.InTransition);

        var left = Change(machine, 8, ConfChange.LeaveJoint);
        Assert.DoesNotContain(left.Region.Peers, p => p.PeerId == source.PeerId);
        Assert.Equal(3, left.Region.Peers.Length);
        Assert.All(left.Region.Peers, p => Assert.Equal(PeerRole.Voter, p.Role));
        Assert.Equal(new RegionEpoch(4, 1), left.Region.Epoch);
        Assert.False(left.InTransition);
        Assert.Equal(8UL, machine.AppliedIndex);
    }

    [Fact]
    public void Membership_survives_a_snapshot_and_data_writes_stamped_before_the_change_still_apply()
    {
        var machine = KvStateMachine.NewRegion(R(1, "", "m"));
        Change(machine, 6, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 99)));
        // A write routed with the old conf version: membership does not move keys, so it applies.
        var set = machine.Apply([new CommittedCommand(7, 6, KvCommandCodec.Encode(new SetCommand(1, new RegionEpoch(1, 1), 0, K("a"), K("1"), null, SetCondition.None, false)))]);
        Assert.IsType<KvResult.OkResult>(set[0]);

        var copy = new KvStateMachine(R(1, "", "m"));
        copy.Restore(machine.TakeSnapshot(), 7);
        Assert.Equal(machine.Region, copy.Region);
        Assert.Contains(copy.Region.Peers, p => p.PeerId == 99 && p.Role == PeerRole.Learner);
    }

    [Fact]
    public void A_split_waits_while_a_learner_is_in_the_region()
    {
        var machine = KvStateMachine.NewRegion(R(1, "", "m"));
        machine.Apply([new CommittedCommand(6, 6, KvCommandCodec.Encode(new SetCommand(1, new RegionEpoch(1, 1), 0, K("a"), K("1"), null, SetCondition.None, false)))]);
        machine.Apply([new CommittedCommand(7, 6, KvCommandCodec.Encode(new SetCommand(1, new RegionEpoch(1, 1), 0, K("c"), K("1"), null, SetCondition.None, false)))]);
        Change(machine, 8, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 99)));

        var split = machine.Apply([new CommittedCommand(9, 6, KvCommandCodec.Encode(new SplitCommand(1, machine.Region.Epoch, 0, K("b"), 50, [51, 52, 53, 54])))]);

        Assert.IsType<KvResult.EpochNotMatch>(split[0]);
        Assert.Equal(K("m"), machine.Region.EndKey);
    }

    [Fact]
    public void Placement_records_a_newer_membership_ignores_an_older_one_and_defers_one_ahead_of_a_split_report()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, new BootstrapCommand([1, 2, 3], [.. KeyRange.FromSplitKeys([K("m")])]));
        var region = machine.FindById(1)!.Region;
        var moved = region.WithPeers([.. region.Peers.Skip(1), new RegionPeer(4, 99, PeerRole.Voter)]).WithEpoch(new RegionEpoch(4, 1));

        Assert.False(Assert.IsType<PlacementResult.RegionRecorded>(Apply(machine, new ReportRegionCommand(moved))).AlreadyRecorded);
        Assert.True(Assert.IsType<PlacementResult.RegionRecorded>(Apply(machine, new ReportRegionCommand(moved))).AlreadyRecorded);
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new ReportRegionCommand(region.WithEpoch(new RegionEpoch(2, 1)))));
        Assert.IsType<PlacementResult.Pending>(Apply(machine, new ReportRegionCommand(moved.WithEpoch(new RegionEpoch(5, 2)))));
        Assert.Equal(moved, machine.FindById(1)!.Region);
    }

    [Fact]
    public void A_store_is_marked_removed_only_once_it_holds_no_replica_and_never_comes_back()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, new BootstrapCommand([1, 2, 3], [.. KeyRange.FromSplitKeys([K("m")])]));

        Assert.IsType<PlacementResult.StoreStateSet>(Apply(machine, new SetStoreStateCommand(3, StoreState.Removing)));
        Assert.Contains("still holds replicas", Assert.IsType<PlacementResult.Rejected>(Apply(machine, new SetStoreStateCommand(3, StoreState.Removed))).Reason, StringComparison.Ordinal);
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new SetStoreStateCommand(9, StoreState.Removing)));

        var copy = new PlacementStateMachine();
        copy.Restore(machine.TakeSnapshot(), machine.AppliedIndex);
        Assert.Equal(StoreState.Removing, copy.Stores[3].State);
        Assert.Equal(new SetStoreStateCommand(3, StoreState.Removing), PlacementCodec.Decode(PlacementCodec.Encode(new SetStoreStateCommand(3, StoreState.Removing))));
    }

    private static PlacementResult Apply(PlacementStateMachine machine, PlacementCommand command) =>
        (PlacementResult)machine.Apply([new CommittedCommand(machine.AppliedIndex + 1, 1, PlacementCodec.Encode(command))])[0]!;
}
