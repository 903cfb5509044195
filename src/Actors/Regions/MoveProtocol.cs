using AkkaRaft.Actors.Serialization;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

// ---- Store-addressed steps of a move operator (cross nodes through the allow-list Hyperion serializer) ----

/// <summary>A message for one store: any store receiving it forwards it to <see cref="TargetStore"/>.</summary>
internal interface IStoreAddressed
{
    /// <summary>The store that must handle the message.</summary>
    ulong TargetStore { get; }
}

/// <summary>
/// Creates an empty, uninitialized replica <paramref name="PeerId"/> of <paramref name="Region"/> on the target store: it
/// cannot vote or campaign and waits for the leader's snapshot. Answered with <see cref="RegionReplicaReply"/>.
/// </summary>
internal sealed record AddRegionReplica(ulong TargetStore, RegionDescriptor Region, ulong PeerId) : IRaftRemoteMessage, IStoreAddressed;

/// <summary>
/// Destroys replica <paramref name="PeerId"/> of region <paramref name="RegionId"/> on the target store once it is no longer a
/// voter: journal and snapshots deleted, a tombstone kept. Answered with <see cref="RegionReplicaReply"/>.
/// </summary>
internal sealed record DestroyRegionReplica(ulong TargetStore, ulong RegionId, ulong PeerId) : IRaftRemoteMessage, IStoreAddressed
{
    /// <summary>
    /// The region without this replica (after the change that removed it): a replica that was a voter is destroyed only
    /// once every voter of it applied a configuration without the replica (<see cref="Store"/> checks).
    /// </summary>
    public RegionDescriptor? After { get; init; }
}

/// <summary>Answer to <see cref="AddRegionReplica"/> and <see cref="DestroyRegionReplica"/>.</summary>
internal sealed record RegionReplicaReply(bool Ok, string Detail) : IRaftRemoteMessage;

/// <summary>
/// Proposes an encoded <see cref="Core.Raft.ConfChange"/> in region <paramref name="RegionId"/> through the target store's
/// replica, when the region's epoch is exactly (<paramref name="ConfVersion"/>, <paramref name="Version"/>) — a stale step is
/// dropped and its operator re-plans. <paramref name="PeerIds"/>/<paramref name="PeerStores"/> say where added peers live.
/// Answered with <see cref="ChangeRegionPeersReply"/> once the change is applied (or refused).
/// </summary>
internal sealed record ChangeRegionPeers(ulong TargetStore, ulong RegionId, ulong ConfVersion, ulong Version, byte[] Change, ulong[] PeerIds, ulong[] PeerStores)
    : IRaftRemoteMessage, IStoreAddressed;

/// <summary>Outcome of a <see cref="ChangeRegionPeers"/>.</summary>
internal enum ChangePeersStatus : byte
{
    /// <summary>Applied; <see cref="ChangeRegionPeersReply.Region"/> is the region after it.</summary>
    Ok,
    /// <summary>The region's epoch moved on: the step is stale.</summary>
    EpochNotMatch,
    /// <summary>The target store's replica does not lead; see <see cref="ChangeRegionPeersReply.LeaderStore"/>.</summary>
    NotLeader,
    /// <summary>Raft refused the change (e.g. another change pending, or it would lose quorum).</summary>
    Refused,
    /// <summary>No answer in time or no such replica: the outcome may be unknown, look again.</summary>
    Retry,
}

/// <summary>Answer to <see cref="ChangeRegionPeers"/>.</summary>
internal sealed record ChangeRegionPeersReply(ChangePeersStatus Status, RegionDescriptor? Region, ulong LeaderStore, string Detail) : IRaftRemoteMessage;

/// <summary>Asks the target store about its replica of a region (and, on the leader, every peer's match index).</summary>
internal sealed record GetRegionProgress(ulong TargetStore, ulong RegionId) : IRaftRemoteMessage, IStoreAddressed;

/// <summary>
/// Answer to <see cref="GetRegionProgress"/>: whether the store hosts the region, whether its replica leads, the leader's
/// store (this store when it leads; 0 when unknown), the region as the store knows it, Raft positions, and on the leader each peer's match index.
/// </summary>
internal sealed record RegionProgressReply(
    bool Hosted, bool IsLeader, ulong LeaderStore, RegionDescriptor? Region, ulong Term, ulong Committed, ulong LastIndex,
    ulong[] PeerIds, ulong[] Matched, bool Joint, string Detail) : IRaftRemoteMessage
{
    /// <summary>The voters of the replica's own applied configuration (both halves while joint).</summary>
    public ulong[] Voters { get; init; } = [];

    /// <summary>On the leader: bytes of the region's newest snapshot transfer acknowledged by the receiver.</summary>
    public long SnapshotAcknowledged { get; init; }

    /// <summary>On the leader: size of the region's newest snapshot transfer (0: none).</summary>
    public long SnapshotTotal { get; init; }

    /// <summary>On the leader: the store receiving the region's newest snapshot transfer.</summary>
    public ulong SnapshotToStore { get; init; }

    /// <summary>The match index the leader holds for <paramref name="peerId"/> (0 when unknown).</summary>
    public ulong MatchOf(ulong peerId)
    {
        var at = Array.IndexOf(PeerIds, peerId);
        return at < 0 || at >= Matched.Length ? 0 : Matched[at];
    }
}

/// <summary>Asks the target store's replica (the leader) to hand leadership of a region to the replica on <paramref name="ToStore"/>.</summary>
internal sealed record TransferRegionLeader(ulong TargetStore, ulong RegionId, ulong ToStore) : IRaftRemoteMessage, IStoreAddressed;

/// <summary>Answer to <see cref="TransferRegionLeader"/>.</summary>
internal sealed record TransferRegionLeaderReply(bool Ok, string Detail) : IRaftRemoteMessage;

// ---- Operator requests (to any node's scheduler; handled by the placement leader's) ----

/// <summary>Moves region <paramref name="RegionId"/>'s replica from <paramref name="FromStore"/> to <paramref name="ToStore"/>; answered with <see cref="OperatorReply"/>.</summary>
internal sealed record MoveRegion(ulong RegionId, ulong FromStore, ulong ToStore, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Decommissions a store: every replica moves away, then placement marks it removed. Answered with <see cref="OperatorReply"/>.</summary>
internal sealed record RemoveStore(ulong StoreId, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Answer to <see cref="MoveRegion"/> and <see cref="RemoveStore"/>: accepted (with the operator id, 0 for a store) or why not.</summary>
internal sealed record OperatorReply(OperatorReplyStatus Status, long OperatorId, string Detail) : IRaftRemoteMessage
{
    /// <summary>True when the request was accepted.</summary>
    public bool Accepted => Status == OperatorReplyStatus.Accepted;

    /// <summary>True when no scheduler could decide yet (none active, or no layout): asking again soon may succeed.</summary>
    public bool NotReady => Status is OperatorReplyStatus.NotActive or OperatorReplyStatus.NoLayout;
}

/// <summary>Asks for running and recent operators and the stores' view; answered with <see cref="OperatorsReply"/>.</summary>
/// <remarks><paramref name="Local"/>: this node's scheduler answers with its own operators even when another one is active
/// (operators started before a placement leader change run on, and are remembered, where they started).</remarks>
internal sealed record GetOperators(int Hops = 0, bool Local = false) : IRaftRemoteMessage;

/// <summary>One operator as the scheduler sees it. Times are Unix milliseconds; Match/LastIndex show a learner catching up.</summary>
internal sealed record OperatorView(
    long Id, OperatorKind Kind, ulong RegionId, ulong FromStore, ulong ToStore, OperatorStep Step, OperatorState State, string Detail,
    long StartedAtMs, long FinishedAtMs, ulong LearnerMatch, ulong LeaderLastIndex, long SnapshotBytesSent, long SnapshotBytesTotal) : IRaftRemoteMessage;

/// <summary>A store as the scheduler sees it: state, liveness and how many replicas and leaders it holds.</summary>
internal sealed record StoreView(ulong StoreId, StoreState State, bool Down, long SilentForMs, int Replicas, int Leaders) : IRaftRemoteMessage;

/// <summary>Answer to <see cref="GetOperators"/>; <see cref="SchedulerNode"/> is the node whose scheduler answered (0: none active).</summary>
internal sealed record OperatorsReply(OperatorView[] Running, OperatorView[] Recent, StoreView[] Stores, ulong SchedulerNode, string Detail) : IRaftRemoteMessage;

/// <summary>Introduces a node's scheduler to another's.</summary>
internal sealed record SchedulerHello(ulong NodeId) : IRaftRemoteMessage, Discovery.IPeerHello;
