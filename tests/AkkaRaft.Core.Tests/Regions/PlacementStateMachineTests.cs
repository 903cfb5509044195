using System.Collections.Immutable;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public sealed class PlacementStateMachineTests
{
    private static readonly ImmutableArray<ulong> ThreeStores = [1, 2, 3];

    private static BootstrapCommand DefaultBootstrap() =>
        new(ThreeStores, [.. KeyRange.FromSplitKeys([K("m")])]);

    private static PlacementResult Apply(PlacementStateMachine machine, PlacementCommand command) =>
        (PlacementResult)machine.Apply([new CommittedCommand(machine.AppliedIndex + 1, 1, PlacementCodec.Encode(command))])[0]!;

    [Fact]
    public void Bootstrap_creates_the_layout_with_unique_ids_and_one_voter_per_store()
    {
        var machine = new PlacementStateMachine();
        var result = Assert.IsType<PlacementResult.Bootstrapped>(Apply(machine, DefaultBootstrap()));

        Assert.False(result.AlreadyBootstrapped);
        Assert.Equal(2, result.Regions.Length);
        Assert.Equal(1UL, machine.FindByKey(K("a"))!.Region.Id);
        Assert.Equal(2UL, machine.FindByKey(K("m"))!.Region.Id);
        Assert.Equal(2UL, machine.FindByKey(K("zzz"))!.Region.Id);
        var ids = result.Regions.Select(r => r.Id).Concat(result.Regions.SelectMany(r => r.Peers.Select(p => p.PeerId))).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(0UL, ids);
        Assert.All(result.Regions, r => Assert.Equal(ThreeStores, r.Peers.Select(p => p.StoreId)));
        Assert.Equal(ids.Max() + 1, machine.NextId);
    }

    [Fact]
    public void A_second_bootstrap_is_a_no_op_even_with_another_layout()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, DefaultBootstrap());
        var nextId = machine.NextId;
        var before = machine.Regions;

        var again = Assert.IsType<PlacementResult.Bootstrapped>(Apply(machine, new BootstrapCommand([1], [new KeyRange([], [])])));

        Assert.True(again.AlreadyBootstrapped);
        Assert.Equal(before, machine.Regions);
        Assert.Equal(nextId, machine.NextId);
        Assert.Equal(1UL, machine.BootstrappedAtIndex);
    }

    [Fact]
    public void Bootstrap_with_a_gapped_layout_is_rejected_naming_the_regions_and_leaves_state_empty()
    {
        var machine = new PlacementStateMachine();
        var rejected = Assert.IsType<PlacementResult.Rejected>(Apply(machine,
            new BootstrapCommand(ThreeStores, [new KeyRange([], K("c")), new KeyRange(K("f"), [])])));

        Assert.Contains("gap", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("between regions 1", rejected.Reason, StringComparison.Ordinal);
        Assert.False(machine.IsBootstrapped);
        Assert.Null(machine.FindByKey(K("a")));
    }

    [Fact]
    public void Id_allocation_never_hands_out_an_id_twice()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, DefaultBootstrap());
        var first = Assert.IsType<PlacementResult.IdsAllocated>(Apply(machine, new AllocateIdsCommand(3)));
        var second = Assert.IsType<PlacementResult.IdsAllocated>(Apply(machine, new AllocateIdsCommand(2)));

        Assert.Equal(first.First + 3, second.First);
        Assert.True(first.First > machine.Regions.SelectMany(r => r.Region.Peers).Max(p => p.PeerId));
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new AllocateIdsCommand(0)));
    }

    [Fact]
    public void Heartbeats_record_leader_size_and_health_and_a_deposed_leader_cannot_override_a_newer_term()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, DefaultBootstrap());
        var left = machine.FindByKey(K("a"))!.Region;

        Apply(machine, new StoreHeartbeatCommand(2, [new RegionHeartbeat(left.Id, left.Epoch, true, 5, 1234, [3])]));
        var recorded = machine.FindById(left.Id)!;
        Assert.Equal(2UL, recorded.LeaderStore);
        Assert.Equal(1234, recorded.ApproximateSizeBytes);
        Assert.Equal(new ulong[] { 3 }, recorded.DownPeerStores.ToArray());
        Assert.Equal(1, machine.Stores[2].HeartbeatCount);

        // Store 1 still believes it leads, but in term 4: ignored.
        var stale = Assert.IsType<PlacementResult.HeartbeatRecorded>(Apply(machine,
            new StoreHeartbeatCommand(1, [new RegionHeartbeat(left.Id, left.Epoch, true, 4, 99, [])])));
        Assert.Equal(0, stale.RegionsUpdated);
        Assert.Equal(2UL, machine.FindById(left.Id)!.LeaderStore);

        // A heartbeat with a stale epoch is ignored too.
        Apply(machine, new StoreHeartbeatCommand(3, [new RegionHeartbeat(left.Id, new RegionEpoch(0, 0), true, 9, 1, [])]));
        Assert.Equal(2UL, machine.FindById(left.Id)!.LeaderStore);
    }

    [Fact]
    public void Heartbeat_before_bootstrap_is_rejected()
    {
        var machine = new PlacementStateMachine();
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new StoreHeartbeatCommand(1, [])));
    }

    [Fact]
    public void Snapshot_round_trip_restores_every_store_region_and_the_allocator()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, DefaultBootstrap());
        var right = machine.FindByKey(K("x"))!.Region;
        Apply(machine, new StoreHeartbeatCommand(3, [new RegionHeartbeat(right.Id, right.Epoch, true, 2, 777, [])]));
        Apply(machine, new AllocateIdsCommand(10));

        var restored = new PlacementStateMachine();
        restored.Restore(machine.TakeSnapshot(), machine.AppliedIndex);

        Assert.Equal(machine.Regions, restored.Regions);
        Assert.Equal(machine.NextId, restored.NextId);
        Assert.Equal(machine.AppliedIndex, restored.AppliedIndex);
        Assert.Equal(machine.BootstrappedAtIndex, restored.BootstrappedAtIndex);
        Assert.Equal(machine.Stores.Values.OrderBy(s => s.StoreId), restored.Stores.Values.OrderBy(s => s.StoreId));
        Assert.True(Assert.IsType<PlacementResult.Bootstrapped>(Apply(restored, DefaultBootstrap())).AlreadyBootstrapped);
    }

    [Fact]
    public void Garbage_snapshot_bytes_fail_with_a_clear_error_and_leave_state_untouched()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, DefaultBootstrap());
        var snapshot = machine.TakeSnapshot();
        var corrupt = (byte[])snapshot.Clone();
        corrupt[10] ^= 0xff;

        var checksum = Assert.Throws<PlacementCodecException>(() => machine.Restore(corrupt, machine.AppliedIndex));
        Assert.Contains("checksum", checksum.Message, StringComparison.Ordinal);
        var header = Assert.Throws<PlacementCodecException>(() => machine.Restore([1, 2, 3], 1));
        Assert.Contains("APLS", header.Message, StringComparison.Ordinal);
        Assert.Equal(2, machine.Regions.Count);
    }

    [Fact]
    public void Garbage_command_bytes_are_rejected_on_apply_the_same_way_on_every_replica()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = PlacementCodec.FormatVersion;
            var machine = new PlacementStateMachine();
            var result = machine.Apply([new CommittedCommand(1, 1, bytes)])[0];
            Assert.True(result is PlacementResult.Rejected or PlacementResult.IdsAllocated or PlacementResult.Bootstrapped, $"input {Convert.ToHexString(bytes)} gave {result}");
        }
        Assert.Throws<PlacementCodecException>(() => PlacementCodec.Decode([PlacementCodec.FormatVersion, 9]));
        Assert.Contains("format version", Assert.Throws<PlacementCodecException>(() => PlacementCodec.Decode([7, 1])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Commands_round_trip_through_the_codec()
    {
        PlacementCommand[] commands =
        [
            DefaultBootstrap(),
            new StoreHeartbeatCommand(2, [new RegionHeartbeat(7, new RegionEpoch(2, 3), true, 11, -1, [1, 3]), new RegionHeartbeat(8, RegionEpoch.Initial, false, 0, 0, [])]),
            new AllocateIdsCommand(5),
        ];
        foreach (var command in commands) Assert.Equal(command, PlacementCodec.Decode(PlacementCodec.Encode(command)));
    }
}
