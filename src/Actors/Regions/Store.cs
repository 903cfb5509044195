using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;
using AkkaRaft.Actors.Discovery;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One per node: maps RegionId → this node's replica (created from the layout placement serves), checks every request's
/// region, key range and epoch on arrival, hands it to the replica (writes through Raft, reads by ReadIndex on the leader)
/// and answers with a value or a typed error. Requests for another store are forwarded there. Reports its regions to
/// placement every heartbeat interval. Every log line of a region carries <c>[region N]</c>.
/// </summary>
internal sealed partial class Store : ReceiveActor, IWithTimers
{
    /// <summary>Actor name under /system.</summary>
    public const string Name = "akka-raft-store";

    private const string LayoutTimer = "layout";
    private const string HeartbeatTimer = "heartbeat";
    private readonly ulong _storeId;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _placement;
    private readonly RegionSettings _settings;
    private readonly TimeSpan _replicaTimeout;
    private readonly IActorRefProvider _provider = ((ExtendedActorSystem)Context.System).Provider;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ulong, Region> _regions = [];
    private readonly PeerDirectory _directory;
    // What this store applied and placement has not recorded yet (splits, membership changes), by description: re-sent
    // every heartbeat until placement records or rejects it. Bounded by the changes this store's replicas apply.
    private readonly Dictionary<string, object> _unreported = [];
    private readonly StoreLossTokens? _losses;
    private bool _layoutLoaded;

    /// <summary>
    /// Props for the store of node <paramref name="storeId"/> (store id = node id); <paramref name="clock"/> is the node's clock
    /// (default: the system's); <paramref name="losses"/> is signalled when another store's node is lost (the routers of this node wait on it).
    /// </summary>
    public static Props Props(ulong storeId, IActorRef coordinator, IActorRef placement, RegionSettings settings, TimeProvider? clock = null, StoreLossTokens? losses = null) =>
        Akka.Actor.Props.Create(() => new Store(storeId, coordinator, placement, settings, clock, losses));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the store.</summary>
    public Store(ulong storeId, IActorRef coordinator, IActorRef placement, RegionSettings settings, TimeProvider? clock = null, StoreLossTokens? losses = null)
    {
        _losses = losses;
        _storeId = storeId;
        _coordinator = coordinator;
        _placement = placement;
        _settings = settings;
        _clock = clock ?? TimeProvider.System;
        _startTimestamp = _clock.GetTimestamp();
        // An offset not measured again within a few probes belongs to a silent store: it stops counting.
        _expiryClock = new ExpiryClock((long)settings.MaxClockOffset.TotalMilliseconds, (long)(settings.ClockProbeInterval * 5).TotalMilliseconds);
        // Admin requests to the replica (splits, membership, heartbeat probes) end before a router's attempt would.
        _replicaTimeout = settings.AttemptTimeout * 0.8;
        _directory = new PeerDirectory(Context, storeId, Name, id => new StoreHello(id), clock: _clock);

        Receive<StoreRequest>(OnRequest);
        Receive<LoadLayout>(_ => RequestLayout());
        Receive<LayoutAnswer>(OnLayout);
        ReceiveMembershipMessages();
        Receive<GroupCreated>(created =>
        {
            if (!created.Tombstoned)
            {
                _log.Info("[region {0}] replica {1} running on store {2}", created.GroupId, created.PeerId, _storeId);
                return;
            }
            // The replica was destroyed before (it moved away): placement's layout was stale; never host it again.
            _tombstones[created.GroupId] = Math.Max(_tombstones.GetValueOrDefault(created.GroupId), created.PeerId);
            if (_regions.TryGetValue(created.GroupId, out var region) && region.Peers.Any(p => p.StoreId == _storeId && p.PeerId <= created.PeerId))
                _regions.Remove(created.GroupId);
        });
        Receive<HeartbeatTick>(_ =>
        {
            CollectStats(null);
            RetryPlacementReports();
        });
        Receive<SendHeartbeatNow>(_ => CollectStats(Sender));
        Receive<StatsCollected>(OnStatsCollected);
        Receive<GetHostedRegions>(_ => Sender.Tell(new HostedRegions(_storeId, [.. _regions.Values.OrderBy(r => r.Id)])));
        Receive<PlacementReported>(OnPlacementReported);
        ReceiveSplitMessages();
        ReceiveExpiryMessages();
        ReceiveClockMessages();
        // Last: cluster membership, associations and other stores' hellos; a store met for the first time has its clock
        // measured at once. The transport knows of a loss first: the directory answers requests for that store Retry at once
        // (instead of a forward into the void and an unknown outcome), and the routers' requests waiting on it end.
        Receive<object>(_directory.Handles, m =>
        {
            switch (_directory.Handle(m, Sender))
            {
                case PeerChange.Introduced:
                    ProbeClocks();
                    break;
                case PeerChange.Disassociated when m is DisassociatedEvent disassociated:
                    SignalLoss(disassociated.RemoteAddress);
                    break;
                case PeerChange.Unreachable when m is ClusterEvent.UnreachableMember unreachable:
                    SignalLoss(unreachable.Member.Address);
                    break;
            }
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(LayoutTimer, LoadLayout.Instance, TimeSpan.Zero, _settings.PlacementStatusInterval);
        Timers.StartPeriodicTimer(HeartbeatTimer, HeartbeatTick.Instance, _settings.HeartbeatInterval);
        StartSplitChecks();
        StartExpirySweeps();
        StartClockProbes();
        _directory.Start();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _directory.Stop();
    }

    private void SignalLoss(Address address)
    {
        if (_losses is null) return;
        foreach (var node in _directory.NodesAt(address)) _losses.Lost(node);
    }

    // ---- Layout: which replicas this store hosts ----

    private void RequestLayout()
    {
        _placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), _settings.AttemptTimeout)
            .ContinueWith(t => new LayoutAnswer(t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnLayout(LayoutAnswer answer)
    {
        if (answer.Reply is not { Status: PlacementLookupStatus.Ok } reply)
        {
            _log.Debug("store {0}: layout not available yet ({1})", _storeId, answer.Reply?.Detail ?? "no answer");
            return;
        }
        foreach (var region in reply.Regions.Select(d => d.ToRegion()))
        {
            var mine = region.Peers.FirstOrDefault(p => p.StoreId == _storeId);
            if (mine.PeerId == 0)
            {
                DestroyIfMovedAway(region);
                continue;
            }
            if (_tombstones.GetValueOrDefault(region.Id) >= mine.PeerId) continue;
            if (_regions.TryGetValue(region.Id, out var known))
            {
                if (region.Epoch.IsNewerThan(known.Epoch)) _regions[region.Id] = region;
                continue;
            }
            _regions[region.Id] = region;
            var initial = region;
            // Only the initial layout's replicas start with (empty) data; any other is filled by the leader's snapshot.
            var initialized = region.Epoch == RegionEpoch.Initial;
            _coordinator.Tell(ReplicaOf(region, mine.PeerId, () => initialized ? KvStateMachine.NewRegion(initial) : new KvStateMachine(initial), Self, _storeId));
            _log.Info("[region {0}] creating replica {1} for {2} with peers {3}", region.Id, mine.PeerId, region.RangeText, string.Join(", ", region.Peers));
        }
        if (!_layoutLoaded)
        {
            _layoutLoaded = true;
            // Once known, the layout changes only through this store's own regions; refresh it at heartbeat pace.
            Timers.StartPeriodicTimer(LayoutTimer, LoadLayout.Instance, _settings.HeartbeatInterval);
        }
    }

    // ---- Requests ----

    /// <summary>
    /// A router's request: checked on arrival (region, epoch, keys) and handed to this store's replica with a
    /// <see cref="StoreReplyRoute"/> as sender, so the replica's answer goes straight to the router's inbox; or forwarded to
    /// the store it names. A write is checked from its header and keys alone (the state machine's decode on apply is its one
    /// decode); a read is decoded here, its one decode, and judged on the leader.
    /// </summary>
    private void OnRequest(StoreRequest request)
    {
        if (request.TargetStore != _storeId)
        {
            // Not sending to a node the failure detector gave up on keeps the answer certain: not applied, retry elsewhere.
            if (_directory.IsUnreachable(request.TargetStore)) Answer(request, StoreReply.Of(StoreReplyKind.Retry, $"store {request.TargetStore} is unreachable from store {_storeId}"));
            else if (_directory.Find(request.TargetStore) is { } target) target.Forward(request);
            else Answer(request, StoreReply.Of(StoreReplyKind.Retry, $"store {request.TargetStore} is not known to store {_storeId} yet"));
            return;
        }
        if (!_regions.TryGetValue(request.RegionId, out var region))
        {
            _log.Warning("[region {0}] request rejected: store {1} hosts no replica of region {0}", request.RegionId, _storeId);
            Answer(request, StoreReply.Of(StoreReplyKind.RegionNotFound, $"store {_storeId} hosts no replica of region {request.RegionId}"));
            return;
        }
        if (request.Command is null)
        {
            CountKeys(request, region);
            return;
        }
        try
        {
            var header = KvCommandCodec.ReadHeader(request.Command);
            if (header.IsWrite) ProposeWrite(request, request.Command, header, region);
            else Read(request, KvCommandCodec.Decode(request.Command), region);
        }
        catch (KvCodecException e)
        {
            Answer(request, StoreReply.Of(StoreReplyKind.InvalidRequest, e.Message));
        }
    }

    /// <summary>
    /// A write, checked from its header and keys, stamped with this store's time (only a leader's proposal enters the log,
    /// so the stamp is the leader's) by splicing the stamp in: the command is not decoded again.
    /// </summary>
    private void ProposeWrite(StoreRequest request, byte[] command, KvCommandHeader header, Region region)
    {
        if (header.RegionId != region.Id || header.Epoch.Version != region.Epoch.Version || KvCommandCodec.FirstKeyOutside(command, region) is not null)
        {
            // Rejections are rare: the whole command is decoded only to say what was wrong.
            Answer(request, Check(KvCommandCodec.Decode(command), region) ?? StoreReply.Of(StoreReplyKind.InvalidRequest, $"[region {region.Id}] rejected"));
            return;
        }
        var stamped = KvCommandCodec.WithStamp(command, header, ExpiryNowMs());
        _coordinator.Tell(new Propose(region.Id, stamped), RouteOf(request, region, isWrite: true));
    }

    private void Read(StoreRequest request, KvCommand command, Region region)
    {
        if (Check(command, region) is { } rejection)
        {
            Answer(request, rejection);
            return;
        }
        // Invariant: a command whose header is a read's (GET, EXISTS) decodes to a read.
        if (command is not KvReadCommand read)
            throw new InvalidOperationException($"[region {region.Id}] {command.GetType().Name} has a read's header but is not a read");
        var now = ExpiryNowMs();
        _coordinator.Tell(new ReadRequest(region.Id, sm => ((KvStateMachine)sm).Read(read, now)), RouteOf(request, region, isWrite: false));
    }

    /// <summary>The arrival check: the same rules the state machine applies, answered before anything is proposed.</summary>
    private StoreReply? Check(KvCommand command, Region region)
    {
        if (command.RegionId != region.Id || command.Epoch.Version != region.Epoch.Version)
        {
            _log.Warning("[region {0}] rejected {1}: epoch does not match, current is {2}", region.Id, command, region);
            return new StoreReply(StoreReplyKind.EpochNotMatch, null, 0, 0, CurrentRegionsFor(region, command.Keys), $"{command} does not match the current {region}");
        }
        foreach (var key in command.Keys)
        {
            if (region.Contains(key)) continue;
            _log.Warning("[region {0}] rejected {1}: key {2} is not in {3}", region.Id, command, KeyText.Quote(key), region.RangeText);
            return new StoreReply(StoreReplyKind.KeyNotInRegion, null, 0, 0, CurrentRegionsFor(region, command.Keys), $"key {KeyText.Quote(key)} is not in {region}");
        }
        return null;
    }

    private void CountKeys(StoreRequest request, Region region)
    {
        if (request.RegionId != region.Id || request.Version != region.Epoch.Version)
        {
            Answer(request, new StoreReply(StoreReplyKind.EpochNotMatch, null, 0, 0, [RegionDescriptor.From(region)], $"count at v{request.ConfVersion}/{request.Version} does not match the current {region}"));
            return;
        }
        var now = ExpiryNowMs();
        _coordinator.Tell(new ReadRequest(region.Id, sm => new KvResult.IntegerResult(((KvStateMachine)sm).CountLiveKeys(now))), RouteOf(request, region, isWrite: false));
    }

    /// <summary>Where the replica's answer goes: through a route straight to the requester (the router's inbox).</summary>
    private StoreReplyRoute RouteOf(StoreRequest request, Region region, bool isWrite) =>
        new(_provider, Sender, request.RequestId, region, _storeId, isWrite);

    private void Answer(StoreRequest request, StoreReply reply) => Sender.Tell(reply with { RequestId = request.RequestId });

    // ---- Heartbeats ----

    private void CollectStats(IActorRef? requester)
    {
        var down = _directory.UnreachableNodes().ToHashSet();
        var regions = _regions.Values.ToList();
        var coordinator = _coordinator;
        var timeout = _replicaTimeout;
        Task.WhenAll(regions.Select(r => StoreReplies.CollectAsync(coordinator, r, down, timeout)))
            .ContinueWith(t => new StatsCollected(t.IsCompletedSuccessfully ? [.. t.Result.OfType<RegionHeartbeat>()] : [], requester), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnStatsCollected(StatsCollected stats)
    {
        // Bounded messages and placement entries however many regions the store holds; a store with none still reports.
        List<ImmutableArray<RegionHeartbeat>> batches = stats.Regions.IsEmpty
            ? [stats.Regions]
            : [.. stats.Regions.Chunk(_settings.HeartbeatBatchRegions).Select(ImmutableArray.Create)];
        foreach (var batch in batches)
            _placement.Tell(new StoreHeartbeatReport(_storeId, PlacementCodec.Encode(new StoreHeartbeatCommand(_storeId, batch))));
        foreach (var region in stats.Regions.Where(r => r.IsLeader))
            _log.Debug("[region {0}] heartbeat: leader on store {1}, term {2}, ~{3} bytes", region.RegionId, _storeId, region.Term, region.ApproximateSizeBytes);
        stats.Requester?.Tell(new HeartbeatSent(_storeId, stats.Regions.Length));
    }

    // ---- Reports to placement ----

    private void ReportToPlacement(string what, object report)
    {
        _unreported[what] = report;
        SendReport(what, report);
    }

    private void RetryPlacementReports()
    {
        foreach (var (what, report) in _unreported) SendReport(what, report);
    }

    private void SendReport(string what, object report) =>
        _placement.Ask<PlacementSplitReply>(report, _settings.AttemptTimeout)
            .ContinueWith(t => new PlacementReported(what, t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default)
            .PipeTo(Self);

    private void OnPlacementReported(PlacementReported reported)
    {
        if (reported.Reply is not { Status: PlacementSplitStatus.Recorded or PlacementSplitStatus.Rejected } reply) return; // retried with the next heartbeat
        if (_unreported.Remove(reported.What)) _log.Debug("{0} reported to placement: {1} ({2})", reported.What, reply.Status, reply.Detail);
    }

    private sealed record LoadLayout : INoSerializationVerificationNeeded
    {
        public static LoadLayout Instance { get; } = new();
    }

    private sealed record HeartbeatTick : INoSerializationVerificationNeeded
    {
        public static HeartbeatTick Instance { get; } = new();
    }

    private sealed record PlacementReported(string What, PlacementSplitReply? Reply) : INoSerializationVerificationNeeded;

    private sealed record LayoutAnswer(PlacementLookupReply? Reply) : INoSerializationVerificationNeeded;

    private sealed record StatsCollected(ImmutableArray<RegionHeartbeat> Regions, IActorRef? Requester) : INoSerializationVerificationNeeded;
}
