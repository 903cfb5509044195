using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>A command for the placement (PD) state machine, replicated through Raft group 0.</summary>
internal abstract record PlacementCommand;

/// <summary>
/// Creates the initial layout once: one region per range, one voter per store, ids from the allocator.
/// A no-op (answered with the current regions) when the cluster is already bootstrapped.
/// </summary>
internal sealed record BootstrapCommand(ImmutableArray<ulong> StoreIds, ImmutableArray<KeyRange> Ranges) : PlacementCommand
{
    /// <summary>Content equality.</summary>
    public bool Equals(BootstrapCommand? other) =>
        other is not null && StoreIds.SequenceEqual(other.StoreIds) && Ranges.SequenceEqual(other.Ranges);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StoreIds.Length, Ranges.Length);
}

/// <summary>A store's periodic report: every region it hosts, as its replica there sees it.</summary>
internal sealed record StoreHeartbeatCommand(ulong StoreId, ImmutableArray<RegionHeartbeat> Regions) : PlacementCommand
{
    /// <summary>Content equality.</summary>
    public bool Equals(StoreHeartbeatCommand? other) =>
        other is not null && StoreId == other.StoreId && Regions.SequenceEqual(other.Regions);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StoreId, Regions.Length);
}

/// <summary>Reserves <see cref="Count"/> consecutive ids (regions and peers share one sequence).</summary>
internal sealed record AllocateIdsCommand(int Count) : PlacementCommand;

/// <summary>
/// A split applied by a region: <see cref="Left"/> is the parent shrunk to [start, split key) with its version bumped,
/// <see cref="Right"/> the new region [split key, end). Recorded atomically; a report older than the metadata already
/// recorded for the range (epoch version comparison) is rejected, a repeated one is a no-op.
/// </summary>
internal sealed record ReportSplitCommand(Region Left, Region Right) : PlacementCommand;

/// <summary>
/// A membership change applied by a region: <see cref="Region"/> carries its new peers and conf version. Recorded when it is
/// newer in conf version at the same version and range; a report of what placement already holds is a no-op; one whose
/// version is ahead of placement's (a split not reported yet) is answered <see cref="PlacementResult.Pending"/>.
/// </summary>
internal sealed record ReportRegionCommand(Region Region) : PlacementCommand;

/// <summary>An operator's decision about a store: draining it (<see cref="StoreState.Removing"/>) or retiring it.</summary>
internal sealed record SetStoreStateCommand(ulong StoreId, StoreState State) : PlacementCommand;

/// <summary>A store's life cycle as placement records it.</summary>
internal enum StoreState : byte
{
    /// <summary>Serving; may receive replicas.</summary>
    Up = 0,
    /// <summary>Being decommissioned: its replicas move away, it receives none.</summary>
    Removing = 1,
    /// <summary>Decommissioned: holds no replica and never receives one again.</summary>
    Removed = 2,
}

/// <summary>
/// One region in a store heartbeat: the replica's epoch, whether it leads (and in which term), the region's
/// approximate size (meaningful from the leader) and the stores whose peers the leader considers down.
/// </summary>
internal sealed record RegionHeartbeat(ulong RegionId, RegionEpoch Epoch, bool IsLeader, ulong Term, long ApproximateSizeBytes, ImmutableArray<ulong> DownPeerStores)
{
    /// <summary>Content equality.</summary>
    public bool Equals(RegionHeartbeat? other) =>
        other is not null && RegionId == other.RegionId && Epoch == other.Epoch && IsLeader == other.IsLeader && Term == other.Term
        && ApproximateSizeBytes == other.ApproximateSizeBytes && DownPeerStores.SequenceEqual(other.DownPeerStores);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RegionId, Epoch, IsLeader, Term, ApproximateSizeBytes);
}

/// <summary>Placement's view of a region: the region plus what heartbeats said about it.</summary>
internal sealed record PlacementRegion(Region Region, ulong LeaderStore, ulong LeaderTerm, long ApproximateSizeBytes, ImmutableArray<ulong> DownPeerStores)
{
    /// <summary>Content equality.</summary>
    public bool Equals(PlacementRegion? other) =>
        other is not null && Region == other.Region && LeaderStore == other.LeaderStore && LeaderTerm == other.LeaderTerm
        && ApproximateSizeBytes == other.ApproximateSizeBytes && DownPeerStores.SequenceEqual(other.DownPeerStores);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Region, LeaderStore, LeaderTerm, ApproximateSizeBytes);
}

/// <summary>A store known to placement; <see cref="LastHeartbeatIndex"/> is the Raft index of its last heartbeat (0 = none).</summary>
internal sealed record PlacementStore(ulong StoreId, ulong LastHeartbeatIndex, int HeartbeatCount, StoreState State = StoreState.Up);

/// <summary>The answer of the placement state machine to a command (a value, never an exception).</summary>
internal abstract record PlacementResult
{
    private PlacementResult()
    {
    }

    /// <summary>The layout after a bootstrap; <see cref="AlreadyBootstrapped"/> says the command was a no-op.</summary>
    public sealed record Bootstrapped(ImmutableArray<Region> Regions, bool AlreadyBootstrapped) : PlacementResult;

    /// <summary>A heartbeat was recorded; <see cref="RegionsUpdated"/> regions changed leader, size or health.</summary>
    public sealed record HeartbeatRecorded(int RegionsUpdated) : PlacementResult;

    /// <summary>Ids [<see cref="First"/>, First + Count) are reserved for the proposer.</summary>
    public sealed record IdsAllocated(ulong First, int Count) : PlacementResult;

    /// <summary>A split was recorded; <see cref="AlreadyRecorded"/> says placement knew it already (a repeated report).</summary>
    public sealed record SplitRecorded(Region Left, Region Right, bool AlreadyRecorded) : PlacementResult;

    /// <summary>A region's membership change was recorded; <see cref="AlreadyRecorded"/> says placement knew it already.</summary>
    public sealed record RegionRecorded(Region Region, bool AlreadyRecorded) : PlacementResult;

    /// <summary>A store's state was set.</summary>
    public sealed record StoreStateSet(PlacementStore Store) : PlacementResult;

    /// <summary>Not applied yet for a reason that passes (e.g. a split not reported yet): retry later.</summary>
    public sealed record Pending(string Reason) : PlacementResult;

    /// <summary>The command was not applied; <see cref="Reason"/> says why.</summary>
    public sealed record Rejected(string Reason) : PlacementResult;
}
