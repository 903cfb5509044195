using Akka.Actor;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

// ---- Wire shapes (cross nodes through the allow-list Hyperion serializer) ----

/// <summary>A region as it travels between nodes: range, epoch, peers, and placement's leader and size.</summary>
public sealed record RegionDescriptor(
    ulong Id, byte[] StartKey, byte[] EndKey, ulong ConfVersion, ulong Version,
    ulong[] PeerStores, ulong[] PeerIds, byte[] PeerRoles, ulong LeaderStore, long ApproximateSizeBytes)
{
    /// <summary>Describes <paramref name="region"/> with an optional leader store and size.</summary>
    public static RegionDescriptor From(Region region, ulong leaderStore = 0, long approximateSizeBytes = 0) => new(
        region.Id, region.StartKey, region.EndKey, region.Epoch.ConfVersion, region.Epoch.Version,
        [.. region.Peers.Select(p => p.StoreId)], [.. region.Peers.Select(p => p.PeerId)], [.. region.Peers.Select(p => (byte)p.Role)],
        leaderStore, approximateSizeBytes);

    /// <summary>Describes placement's view of a region.</summary>
    public static RegionDescriptor From(PlacementRegion region) => From(region.Region, region.LeaderStore, region.ApproximateSizeBytes);

    /// <summary>The region; throws <see cref="ArgumentException"/> when the peer arrays disagree in length.</summary>
    public Region ToRegion()
    {
        if (PeerStores.Length != PeerIds.Length || PeerIds.Length != PeerRoles.Length)
            throw new ArgumentException($"region {Id}: peer arrays of different lengths");
        return new Region(Id, StartKey, EndKey, new RegionEpoch(ConfVersion, Version),
            PeerStores.Select((store, i) => new RegionPeer(store, PeerIds[i], PeerRoles[i] <= (byte)PeerRole.Demoting ? (PeerRole)PeerRoles[i] : throw new ArgumentException($"region {Id}: unknown peer role {PeerRoles[i]}"))));
    }
}

/// <summary>What a <see cref="PlacementLookup"/> asks for.</summary>
public enum PlacementLookupKind : byte
{
    /// <summary>The region holding <see cref="PlacementLookup.Key"/>.</summary>
    ByKey,
    /// <summary>The region with id <see cref="PlacementLookup.RegionId"/>.</summary>
    ById,
    /// <summary>Every region.</summary>
    All,
}

/// <summary>
/// A linearizable region lookup, served by the placement leader; answered with <see cref="PlacementLookupReply"/>. Like every
/// message to placement, <c>Hops</c> counts the placement services that passed it on (at most two: see PlacementService).
/// </summary>
public sealed record PlacementLookup(PlacementLookupKind Kind, byte[] Key, ulong RegionId, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Outcome of a <see cref="PlacementLookup"/>.</summary>
public enum PlacementLookupStatus : byte
{
    /// <summary>Regions found (for All: every region).</summary>
    Ok,
    /// <summary>No such region.</summary>
    NotFound,
    /// <summary>The layout is not bootstrapped yet: retry.</summary>
    NotBootstrapped,
    /// <summary>The asked replica does not lead group 0; <see cref="PlacementLookupReply.LeaderNode"/> may say who does.</summary>
    NotLeader,
    /// <summary>No placement leader answered: retry.</summary>
    Unavailable,
}

/// <summary>Answer to a <see cref="PlacementLookup"/>; <see cref="NextId"/> and <see cref="BootstrappedAtIndex"/> describe the allocator.</summary>
public sealed record PlacementLookupReply(
    PlacementLookupStatus Status, RegionDescriptor[] Regions, ulong LeaderNode, ulong NextId, ulong BootstrappedAtIndex, string Detail) : IRaftRemoteMessage
{
    /// <summary>For <see cref="PlacementLookupKind.All"/>: every known store.</summary>
    public StoreDescriptor[] Stores { get; init; } = [];
}

/// <summary>A store as placement records it: state, and the Raft index and count of its heartbeats (they change while it is alive).</summary>
public sealed record StoreDescriptor(ulong StoreId, StoreState State, ulong LastHeartbeatIndex, int HeartbeatCount) : IRaftRemoteMessage;

/// <summary>A store's heartbeat: an encoded <see cref="StoreHeartbeatCommand"/>, proposed by the placement leader.</summary>
public sealed record StoreHeartbeatReport(ulong StoreId, byte[] Command, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Asks the placement leader for <see cref="Count"/> fresh ids (regions and peers share one sequence); answered with <see cref="PlacementIdsReply"/>.</summary>
public sealed record PlacementAllocateIds(int Count, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Ids [<see cref="First"/>, First + Count) when <see cref="Ok"/>; otherwise <see cref="Detail"/> says why (retry).</summary>
public sealed record PlacementIdsReply(bool Ok, ulong First, int Count, string Detail) : IRaftRemoteMessage;

/// <summary>Reports an applied split to placement: an encoded <see cref="ReportSplitCommand"/>; answered with <see cref="PlacementSplitReply"/>.</summary>
public sealed record PlacementReportSplit(byte[] Command, int Hops = 0) : IRaftRemoteMessage;

/// <summary>
/// Any other placement update (an encoded <see cref="ReportRegionCommand"/> or <see cref="SetStoreStateCommand"/>), proposed by
/// the placement leader; answered with <see cref="PlacementSplitReply"/> (Recorded, Rejected, or Unavailable: retry).
/// </summary>
public sealed record PlacementUpdate(byte[] Command, int Hops = 0) : IRaftRemoteMessage;

/// <summary>Outcome of a split report or another placement update.</summary>
public enum PlacementSplitStatus : byte
{
    /// <summary>Both halves are recorded (now or before).</summary>
    Recorded,
    /// <summary>Placement holds newer metadata for the range: the report is obsolete, do not retry.</summary>
    Rejected,
    /// <summary>No placement leader took the report: retry.</summary>
    Unavailable,
}

/// <summary>Answer to a <see cref="PlacementReportSplit"/>.</summary>
public sealed record PlacementSplitReply(PlacementSplitStatus Status, string Detail) : IRaftRemoteMessage;

/// <summary>
/// Manual split of region <see cref="RegionId"/> at <see cref="Key"/> (null: a key near the middle of its data), sent to any
/// store; the store whose replica leads the region proposes it. Answered with <see cref="SplitRegionReply"/>.
/// </summary>
public sealed record SplitRegion(ulong RegionId, byte[]? Key, bool Forwarded = false) : IRaftRemoteMessage;

/// <summary>Outcome of a <see cref="SplitRegion"/>.</summary>
public enum SplitRegionStatus : byte
{
    /// <summary>Split applied: <see cref="SplitRegionReply.Regions"/> holds the left and the right region.</summary>
    Ok,
    /// <summary>No store hosts the region.</summary>
    UnknownRegion,
    /// <summary>The key lies outside the region, or at its start (the left half would be empty).</summary>
    InvalidKey,
    /// <summary>The region holds fewer than two keys, so no key splits it into two non-empty halves.</summary>
    NothingToSplit,
    /// <summary>The region changed meanwhile (another split won): look it up again.</summary>
    EpochNotMatch,
    /// <summary>No leader, placement unavailable, a split of the region already in progress, or no answer in time: retry.</summary>
    Retry,
}

/// <summary>Answer to a <see cref="SplitRegion"/>; <see cref="Detail"/> explains errors in words.</summary>
public sealed record SplitRegionReply(SplitRegionStatus Status, RegionDescriptor[] Regions, string Detail) : IRaftRemoteMessage
{
    /// <summary>True when the split was applied.</summary>
    public bool IsOk => Status == SplitRegionStatus.Ok;
}

/// <summary>Introduces a node's placement service to another's.</summary>
public sealed record PlacementHello(ulong NodeId) : IRaftRemoteMessage, Discovery.IPeerHello;

/// <summary>Introduces a node's store to another's.</summary>
public sealed record StoreHello(ulong NodeId) : IRaftRemoteMessage, Discovery.IPeerHello;

/// <summary>A store asks another for its wall clock; answered with <see cref="ClockEcho"/>, which carries the probe's fields back.</summary>
public sealed record ClockProbe(ulong FromStore, long SentWallMs, long SentMonotonicMs) : IRaftRemoteMessage;

/// <summary>Answer to a <see cref="ClockProbe"/>: its fields, and the answering store's wall clock when it answered.</summary>
public sealed record ClockEcho(ulong FromStore, long SentWallMs, long SentMonotonicMs, long PeerWallMs) : IRaftRemoteMessage;

/// <summary>
/// The one request of the client data path: a KV command for one region, sent by a router to its node's store with the
/// router's inbox as sender, and forwarded to <see cref="TargetStore"/> (at most one hop to another node). <see cref="Command"/>
/// is a <see cref="Core.Kv.KvCommandCodec"/>-encoded command, encoded once by the router (stamped with region id and epoch;
/// a write's time is stamped by the store that proposes it); null means "count the region's keys" at epoch
/// (<see cref="ConfVersion"/>, <see cref="Version"/>). Whoever answers (the store, or the region's replica on that store)
/// sends one <see cref="StoreReply"/> carrying <see cref="RequestId"/> straight to the sender.
/// </summary>
/// <remarks>Crosses nodes through <see cref="StoreWireSerializer"/> (binary), not Hyperion.</remarks>
public sealed record StoreRequest(ulong TargetStore, ulong RegionId, byte[]? Command, ulong ConfVersion, ulong Version)
{
    /// <summary>The router's id for this request, echoed in the reply (0: the sender does not correlate, e.g. an Ask).</summary>
    public long RequestId { get; init; }
}

/// <summary>
/// Outcome of a <see cref="StoreRequest"/>: a result, or a typed error the router acts on. The one error enumeration of the
/// region path: replica failures (<see cref="Runtime.RaftFailure"/>) and state machine results map into it, and it maps
/// to the caller's <see cref="Kv.KvErrorCode"/>, in one place (<see cref="StoreReplies"/>).
/// </summary>
public enum StoreReplyKind : byte
{
    /// <summary>OK.</summary>
    Ok,
    /// <summary>A value (<see cref="StoreReply.Value"/>, null = nil).</summary>
    Value,
    /// <summary>An integer (<see cref="StoreReply.Number"/>).</summary>
    Integer,
    /// <summary>The stored value is not an integer.</summary>
    NotAnInteger,
    /// <summary>The increment would overflow.</summary>
    Overflow,
    /// <summary>The request is malformed.</summary>
    InvalidRequest,
    /// <summary>The request or value is too large.</summary>
    TooLarge,
    /// <summary>This store's replica does not lead; <see cref="StoreReply.LeaderStore"/> hints who does (0 = unknown).</summary>
    NotLeader,
    /// <summary>The store hosts no replica of the region.</summary>
    RegionNotFound,
    /// <summary>A key lies outside the region; <see cref="StoreReply.Regions"/> holds the region as the store knows it.</summary>
    KeyNotInRegion,
    /// <summary>The request's epoch is not the region's; <see cref="StoreReply.Regions"/> holds the current region.</summary>
    EpochNotMatch,
    /// <summary>Too many requests waiting (on the replica, or in the router itself): back off. Certainly not applied.</summary>
    ServerIsBusy,
    /// <summary>Definitely not applied (no leader, entry dropped, store unknown): safe to retry.</summary>
    Retry,
    /// <summary>A write may or may not have been applied (no answer in time, or the replica failed after accepting it): never retried.</summary>
    OutcomeUnknown,
    /// <summary>A Redis reply tree (array, status, Redis error, ...) encoded by <see cref="Core.Kv.Redis.RedisReplyCodec"/> in <see cref="StoreReply.Value"/>: a final answer.</summary>
    Reply,
}

/// <summary>The one reply of the client data path: answer to the <see cref="StoreRequest"/> numbered <see cref="RequestId"/>.</summary>
/// <remarks>Crosses nodes through <see cref="StoreWireSerializer"/> (binary), not Hyperion.</remarks>
public sealed record StoreReply(StoreReplyKind Kind, byte[]? Value, long Number, ulong LeaderStore, RegionDescriptor[] Regions, string Detail)
    : Client.ICorrelatedReply
{
    /// <summary>The <see cref="StoreRequest.RequestId"/> answered.</summary>
    public long RequestId { get; init; }

    /// <summary>A reply with only a kind and a message.</summary>
    public static StoreReply Of(StoreReplyKind kind, string detail, ulong leaderStore = 0) => new(kind, null, 0, leaderStore, [], detail);

    /// <summary>True for errors that say the router's view (region, epoch, leader) is outdated or the store is overloaded: certainly not applied, retried.</summary>
    public bool IsRoutingError => StoreReplies.IsRoutingError(Kind);
}

// ---- Local messages ----

/// <summary>Asks a store which regions it hosts; answered with <see cref="HostedRegions"/>.</summary>
public sealed record GetHostedRegions : INoSerializationVerificationNeeded
{
    /// <summary>The instance.</summary>
    public static GetHostedRegions Instance { get; } = new();
}

/// <summary>The regions a store hosts, as it knows them.</summary>
public sealed record HostedRegions(ulong StoreId, IReadOnlyList<Region> Regions) : INoSerializationVerificationNeeded;

/// <summary>Asks a store to send its heartbeat now (tests, operators); the store answers with <see cref="HeartbeatSent"/>.</summary>
public sealed record SendHeartbeatNow : INoSerializationVerificationNeeded
{
    /// <summary>The instance.</summary>
    public static SendHeartbeatNow Instance { get; } = new();
}

/// <summary>A heartbeat with <see cref="RegionCount"/> regions went to placement.</summary>
public sealed record HeartbeatSent(ulong StoreId, int RegionCount) : INoSerializationVerificationNeeded;

/// <summary>Asks a store about its expiry clock; answered with <see cref="ClockStatus"/>.</summary>
public sealed record GetClockStatus : INoSerializationVerificationNeeded
{
    /// <summary>The instance.</summary>
    public static GetClockStatus Instance { get; } = new();
}

/// <summary>A store's expiry clock: the correction added to its wall clock (0 = agrees with the cluster) and its time now.</summary>
public sealed record ClockStatus(ulong StoreId, long CorrectionMs, long NowMs) : INoSerializationVerificationNeeded;
