using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One per node; active only on the node whose replica leads placement (group 0). Every interval it reads stores and
/// regions from placement and starts operators, one per region and at most <c>max-operators</c> at once: replica repair
/// (a store silent for <c>store-down-after</c>, or being removed, has its replicas rebuilt elsewhere), replica balance
/// (counts per store within the tolerance) and leader balance (a leader transfer). Manual moves and store removal come
/// in as <see cref="MoveRegion"/> and <see cref="RemoveStore"/> to any node's scheduler, which forwards to the active one.
/// </summary>
/// <remarks>
/// Operators live in the memory of the scheduler that started them: when placement's leadership moves they run on (or
/// stall and are cancelled after <c>operator-timeout</c>), and the new leader's scheduler plans from placement's metadata;
/// a learner no operator of it owns is removed after a grace period. Store liveness clocks restart with a new leader, so
/// a store is declared down only after a full <c>store-down-after</c> seen by that leader.
/// </remarks>
public sealed class Scheduler : ReceiveActor, IWithTimers
{
    /// <summary>Actor name under /system.</summary>
    public const string Name = "akka-raft-scheduler";

    private const int MaxHops = 2;
    private readonly ulong _nodeId;
    private readonly ulong[] _placementNodes;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _store;
    private readonly IActorRef _placement;
    private readonly RegionSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ServiceDirectory _directory = new();
    private readonly Dictionary<ulong, Running> _running = [];
    private readonly LinkedList<OperatorView> _recent = new();
    private readonly Dictionary<ulong, (int Count, DateTimeOffset ChangedAt)> _heartbeats = [];
    // Region → when it was first seen with a learner that no operator of this scheduler owns.
    private readonly Dictionary<ulong, DateTimeOffset> _orphanLearnerSince = [];
    private PlacementLookupReply? _layout;
    private bool _active;
    private ulong _leaderNode;
    // Operator ids are unique across schedulers (node id × 1,000,000 + sequence): operators outlive placement leader changes.
    private long _nextOperatorId;
    private int _rotation;

    /// <summary>Props for node <paramref name="nodeId"/>'s scheduler.</summary>
    public static Props Props(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, IActorRef store, IActorRef placement, RegionSettings settings) =>
        Akka.Actor.Props.Create(() => new Scheduler(nodeId, placementNodes, coordinator, store, placement, settings));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the scheduler.</summary>
    public Scheduler(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, IActorRef store, IActorRef placement, RegionSettings settings)
    {
        _nodeId = nodeId;
        _placementNodes = [.. placementNodes.Order()];
        _coordinator = coordinator;
        _store = store;
        _placement = placement;
        _settings = settings;
        _nextOperatorId = (long)nodeId * 1_000_000 + 1;

        Receive<ScheduleTick>(_ =>
        {
            CancelStalledOperators(DateTimeOffset.UtcNow);
            _coordinator.Tell(new GetGroupStatus(PlacementStateMachine.PlacementGroupId));
        });
        Receive<GroupStatus>(OnPlacementStatus);
        Receive<ProposeFailed>(_ => SetActive(false, 0));
        Receive<LayoutRead>(OnLayout);
        Receive<MoveRegion>(OnMoveRegion);
        Receive<RemoveStore>(OnRemoveStore);
        Receive<GetOperators>(OnGetOperators);
        Receive<OperatorStep>(OnStep);
        Receive<OperatorFinished>(OnFinished);
        Receive<SchedulerHello>(hello =>
        {
            if (hello.NodeId != _nodeId && _directory.Register(hello.NodeId, Sender)) Sender.Tell(new SchedulerHello(_nodeId));
        });
        Receive<ClusterEvent.MemberUp>(up => SayHello(up.Member.Address));
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up)) SayHello(member.Address);
        });
    }

    private static bool IsClustered => ((ExtendedActorSystem)Context.System).Provider is IClusterActorRefProvider;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("schedule", ScheduleTick.Instance, _settings.ScheduleInterval);
        if (IsClustered)
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (IsClustered) Cluster.Get(Context.System).Unsubscribe(Self);
        foreach (var running in _running.Values) running.Cancel.Cancel();
    }

    // ---- Leadership ----

    private void OnPlacementStatus(GroupStatus status)
    {
        SetActive(status.Role == StateRole.Leader, status.Leader);
        if (!_active) return;
        _placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), _settings.AttemptTimeout)
            .ContinueWith(t => new LayoutRead(t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void SetActive(bool active, ulong leaderNode)
    {
        _leaderNode = leaderNode;
        if (active == _active) return;
        _active = active;
        _log.Info("[scheduler] node {0} {1} scheduling", _nodeId, active ? "starts" : "stops");
        if (active) return;
        // Running operators go on (every step is epoch-checked, and a deposed node's operator stalls and is cancelled by the
        // operator timeout); a brief leadership flap must not undo half a move. No new ones start here.
        _heartbeats.Clear();
        _orphanLearnerSince.Clear();
    }

    // ---- Planning ----

    private void OnLayout(LayoutRead read)
    {
        if (!_active || read.Reply is not { Status: PlacementLookupStatus.Ok } layout) return;
        _layout = layout;
        var now = DateTimeOffset.UtcNow;
        foreach (var store in layout.Stores)
        {
            if (!_heartbeats.TryGetValue(store.StoreId, out var seen) || seen.Count != store.HeartbeatCount)
                _heartbeats[store.StoreId] = (store.HeartbeatCount, now);
        }
        var regions = layout.Regions.Select(d => (Region: d.ToRegion(), Leader: d.LeaderStore)).ToList();
        FinishRemovedStores(layout, regions);
        RemoveOrphanLearners(regions);
        PlanRepairs(layout, regions);
        if (_settings.Balance)
        {
            PlanReplicaBalance(layout, regions);
            PlanLeaderBalance(layout, regions);
        }
    }

    private bool IsDown(ulong storeId) =>
        _heartbeats.TryGetValue(storeId, out var seen) && DateTimeOffset.UtcNow - seen.ChangedAt > _settings.StoreDownAfter;

    /// <summary>Stores that may receive replicas: up in placement and heard from recently.</summary>
    private List<ulong> Healthy(PlacementLookupReply layout) =>
        [.. layout.Stores.Where(s => s.State == StoreState.Up && !IsDown(s.StoreId)).Select(s => s.StoreId)];

    private static Dictionary<ulong, int> ReplicaCounts(IEnumerable<ulong> stores, List<(Region Region, ulong Leader)> regions)
    {
        var counts = stores.ToDictionary(s => s, _ => 0);
        foreach (var (region, _) in regions)
            foreach (var peer in region.Peers)
                if (counts.ContainsKey(peer.StoreId)) counts[peer.StoreId]++;
        return counts;
    }

    private void PlanRepairs(PlacementLookupReply layout, List<(Region Region, ulong Leader)> regions)
    {
        var leaving = layout.Stores.Where(s => s.State == StoreState.Removing || IsDown(s.StoreId)).Select(s => s.StoreId).ToHashSet();
        if (leaving.Count == 0) return;
        var healthy = Healthy(layout);
        var counts = ReplicaCounts(healthy, regions);
        foreach (var (region, _) in regions)
        {
            if (!CanStartFor(region)) continue;
            var from = region.Peers.FirstOrDefault(p => leaving.Contains(p.StoreId));
            if (from.PeerId == 0) continue;
            // Never below a quorum of live voters: a region that lost its quorum cannot change membership anyway.
            var target = counts.Where(c => region.Peers.All(p => p.StoreId != c.Key)).OrderBy(c => c.Value).ThenBy(c => c.Key).Select(c => c.Key).FirstOrDefault();
            if (target == 0) continue;
            counts[target]++;
            Start("repair", region.Id, from.StoreId, target);
        }
    }

    private void PlanReplicaBalance(PlacementLookupReply layout, List<(Region Region, ulong Leader)> regions)
    {
        if (_running.Count > 0) return; // one balance move at a time, and none while repairs run
        var counts = ReplicaCounts(Healthy(layout), regions);
        if (counts.Count < 2) return;
        var (most, fewest) = (counts.MaxBy(c => (c.Value, c.Key)), counts.MinBy(c => (c.Value, c.Key)));
        if (most.Value - fewest.Value <= _settings.BalanceTolerance) return;
        var candidate = regions.Select(r => r.Region)
            .Where(r => CanStartFor(r) && r.Peers.Any(p => p.StoreId == most.Key) && r.Peers.All(p => p.StoreId != fewest.Key))
            .OrderBy(r => r.Id).FirstOrDefault();
        if (candidate is not null) Start("balance", candidate.Id, most.Key, fewest.Key);
    }

    private void PlanLeaderBalance(PlacementLookupReply layout, List<(Region Region, ulong Leader)> regions)
    {
        var healthy = Healthy(layout);
        if (healthy.Count < 2) return;
        var leaders = healthy.ToDictionary(s => s, s => regions.Count(r => r.Leader == s));
        var (most, fewest) = (leaders.MaxBy(c => (c.Value, c.Key)), leaders.MinBy(c => (c.Value, c.Key)));
        if (most.Value - fewest.Value <= _settings.BalanceTolerance) return;
        var region = regions.Where(r => r.Leader == most.Key && !_running.ContainsKey(r.Region.Id)
                && r.Region.Peers.Any(p => p.StoreId == fewest.Key && p.Role == PeerRole.Voter))
            .Select(r => r.Region).OrderBy(r => r.Id).FirstOrDefault();
        if (region is null) return;
        _log.Info("[region {0}] leader balance: store {1} leads {2}, store {3} leads {4}: moving the leader", region.Id, most.Key, most.Value, fewest.Key, fewest.Value);
        _store.Tell(new TransferRegionLeader(most.Key, region.Id, fewest.Key));
    }

    private void FinishRemovedStores(PlacementLookupReply layout, List<(Region Region, ulong Leader)> regions)
    {
        foreach (var store in layout.Stores.Where(s => s.State == StoreState.Removing))
        {
            if (regions.Any(r => r.Region.Peers.Any(p => p.StoreId == store.StoreId))) continue;
            _log.Info("[scheduler] store {0} holds no replica any more: marking it removed", store.StoreId);
            _placement.Tell(new PlacementUpdate(PlacementCodec.Encode(new SetStoreStateCommand(store.StoreId, StoreState.Removed))));
        }
    }

    /// <summary>A learner nobody owns (its operator died with a previous placement leader) blocks splits and moves: remove it.</summary>
    private void RemoveOrphanLearners(List<(Region Region, ulong Leader)> regions)
    {
        foreach (var (region, _) in regions)
        {
            var learner = region.Peers.FirstOrDefault(p => p.Role == PeerRole.Learner);
            if (learner.PeerId == 0 || _running.ContainsKey(region.Id))
            {
                _orphanLearnerSince.Remove(region.Id);
                continue;
            }
            // Grace: the learner may belong to an operator still running on a previous placement leader's scheduler.
            var since = _orphanLearnerSince.TryGetValue(region.Id, out var seen) ? seen : _orphanLearnerSince[region.Id] = DateTimeOffset.UtcNow;
            if (DateTimeOffset.UtcNow - since < OrphanGrace || _running.Count >= _settings.MaxOperators) continue;
            _orphanLearnerSince.Remove(region.Id);
            StartOperator("cleanup", region.Id, learner.StoreId, 0,
                (mover, id, cancel) => mover.RemoveLearnerAsync(id, region.Id, learner.PeerId, learner.StoreId, cancel));
        }
        foreach (var gone in _orphanLearnerSince.Keys.Where(id => regions.All(r => r.Region.Id != id)).ToList()) _orphanLearnerSince.Remove(gone);
    }

    // Long enough for an operator of a deposed scheduler to finish or stall, short enough that repair is not held up.
    private TimeSpan OrphanGrace => TimeSpan.FromTicks(Math.Max(_settings.ScheduleInterval.Ticks * 3, Math.Min(_settings.OperatorTimeout.Ticks, TimeSpan.FromSeconds(10).Ticks)));

    private bool CanStartFor(Region region) =>
        _running.Count < _settings.MaxOperators && !_running.ContainsKey(region.Id) && region.Peers.All(p => p.Role == PeerRole.Voter);

    // ---- Operators ----

    private long Start(string kind, ulong regionId, ulong from, ulong to) =>
        StartOperator(kind, regionId, from, to, (mover, id, cancel) => mover.RunAsync(id, regionId, from, to, cancel));

    private long StartOperator(string kind, ulong regionId, ulong from, ulong to, Func<MoveOperator, long, CancellationToken, Task<string>> run)
    {
        var id = _nextOperatorId++;
        var now = DateTimeOffset.UtcNow;
        var running = new Running(new OperatorView(id, kind, regionId, from, to, "planned", "running", "", now.ToUnixTimeMilliseconds(), 0, 0, 0, 0, 0), now);
        _running[regionId] = running;
        _log.Info("[region {0}] operator {1} ({2}): replica on store {3} → store {4}", regionId, id, kind, from, to);
        var self = Self;
        var mover = new MoveOperator(_store, _placement, _settings, step => self.Tell(step));
        run(mover, id, running.Cancel.Token).ContinueWith(t => new OperatorFinished(id, regionId, t.IsCompletedSuccessfully,
            t.IsCompletedSuccessfully ? t.Result
            : t.IsCanceled ? "cancelled"
            : t.Exception?.GetBaseException() is { } e ? e is OperatorFailedException { Stale: true } ? $"stale, re-planned next round: {e.Message}" : e.Message
            : "failed"), TaskScheduler.Default).PipeTo(self);
        return id;
    }

    private void OnStep(OperatorStep step)
    {
        var running = _running.Values.FirstOrDefault(r => r.View.Id == step.OperatorId);
        if (running is null) return;
        // Progress is a new step or a learner getting closer; the same report again is not progress.
        if (running.View.Step != step.Step || step.LearnerMatch > running.View.LearnerMatch || step.SnapshotBytesSent > running.View.SnapshotBytesSent)
            running.LastProgressAt = DateTimeOffset.UtcNow;
        running.View = running.View with
        {
            Step = step.Step, Detail = step.Detail, LearnerMatch = step.LearnerMatch, LeaderLastIndex = step.LeaderLastIndex,
            SnapshotBytesSent = step.SnapshotBytesSent, SnapshotBytesTotal = step.SnapshotBytesTotal,
        };
    }

    private void OnFinished(OperatorFinished finished)
    {
        if (!_running.Remove(finished.RegionId, out var running) || running.View.Id != finished.OperatorId) return;
        running.Cancel.Dispose();
        var view = running.View with
        {
            State = finished.Ok ? "done" : finished.Detail == "cancelled" ? "cancelled" : "failed",
            Detail = finished.Detail,
            FinishedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        _recent.AddFirst(view);
        while (_recent.Count > _settings.OperatorHistory) _recent.RemoveLast();
        if (finished.Ok) _log.Info("[region {0}] operator {1} done: {2}", finished.RegionId, finished.OperatorId, finished.Detail);
        else _log.Warning("[region {0}] operator {1} {2}: {3}", finished.RegionId, finished.OperatorId, view.State, finished.Detail);
    }

    private void CancelStalledOperators(DateTimeOffset now)
    {
        foreach (var running in _running.Values.Where(r => now - r.LastProgressAt > _settings.OperatorTimeout && !r.Cancel.IsCancellationRequested))
        {
            _log.Warning("[region {0}] operator {1} made no progress for {2}: cancelling", running.View.RegionId, running.View.Id, _settings.OperatorTimeout);
            running.Cancel.Cancel();
        }
    }

    // ---- Requests ----

    private void OnMoveRegion(MoveRegion move)
    {
        if (!_active)
        {
            Forward(move with { Hops = move.Hops + 1 }, move.Hops, () => new OperatorReply(false, 0, NotActive));
            return;
        }
        if (Validate(move) is { } problem)
        {
            Sender.Tell(new OperatorReply(false, 0, problem));
            return;
        }
        var id = Start("manual", move.RegionId, move.FromStore, move.ToStore);
        Sender.Tell(new OperatorReply(true, id, $"operator {id}: move region {move.RegionId} from store {move.FromStore} to store {move.ToStore}"));
    }

    /// <summary>Null when the move can start; otherwise a clear reason, and nothing changes.</summary>
    private string? Validate(MoveRegion move)
    {
        if (_layout is not { } layout) return "the scheduler has no layout yet: retry in a moment";
        var region = layout.Regions.FirstOrDefault(r => r.Id == move.RegionId)?.ToRegion();
        if (region is null) return $"region {move.RegionId} does not exist";
        var stores = layout.Stores.ToDictionary(s => s.StoreId);
        if (!stores.ContainsKey(move.FromStore)) return $"store {move.FromStore} is unknown";
        if (!stores.TryGetValue(move.ToStore, out var to)) return $"store {move.ToStore} is unknown";
        if (to.State != StoreState.Up) return $"store {move.ToStore} is {to.State.ToString().ToLowerInvariant()}: it takes no replicas";
        if (IsDown(move.ToStore)) return $"store {move.ToStore} is down";
        if (region.Peers.All(p => p.StoreId != move.FromStore)) return $"store {move.FromStore} holds no replica of {region}";
        if (region.Peers.Any(p => p.StoreId == move.ToStore)) return $"store {move.ToStore} already holds a replica of {region}";
        if (_running.TryGetValue(region.Id, out var busy)) return $"region {region.Id} already has operator {busy.View.Id} running";
        var liveVoters = region.Peers.Count(p => p.Role == PeerRole.Voter && p.StoreId != move.FromStore && !IsDown(p.StoreId));
        var quorum = region.Peers.Count(p => p.Role == PeerRole.Voter) / 2 + 1;
        if (liveVoters + 1 < quorum) return $"moving would leave {region} with fewer than a quorum ({quorum}) of healthy voters";
        return null;
    }

    private void OnRemoveStore(RemoveStore remove)
    {
        if (!_active)
        {
            Forward(remove with { Hops = remove.Hops + 1 }, remove.Hops, () => new OperatorReply(false, 0, NotActive));
            return;
        }
        if (_layout is not { } layout)
        {
            Sender.Tell(new OperatorReply(false, 0, "the scheduler has no layout yet: retry in a moment"));
            return;
        }
        if (layout.Stores.FirstOrDefault(s => s.StoreId == remove.StoreId) is not { } store)
        {
            Sender.Tell(new OperatorReply(false, 0, $"store {remove.StoreId} is unknown"));
            return;
        }
        var others = Healthy(layout).Count(s => s != remove.StoreId);
        var needed = layout.Regions.Length == 0 ? 0 : layout.Regions.Max(r => r.PeerIds.Length);
        if (store.State == StoreState.Up && others < needed)
        {
            Sender.Tell(new OperatorReply(false, 0, $"removing store {remove.StoreId} would leave {others} healthy stores for regions of {needed} replicas"));
            return;
        }
        var sender = Sender;
        _placement.Ask<PlacementSplitReply>(new PlacementUpdate(PlacementCodec.Encode(new SetStoreStateCommand(remove.StoreId, StoreState.Removing))), _settings.AttemptTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully && t.Result.Status == PlacementSplitStatus.Recorded
                ? new OperatorReply(true, 0, $"store {remove.StoreId} is being removed: its replicas move away, then it is marked removed")
                : new OperatorReply(false, 0, t.IsCompletedSuccessfully ? t.Result.Detail : "placement did not answer in time"), TaskScheduler.Default)
            .PipeTo(sender);
    }

    private void OnGetOperators(GetOperators request)
    {
        if (!_active && !request.Local)
        {
            Forward(request with { Hops = request.Hops + 1 }, request.Hops, () => new OperatorsReply([], [], [], 0, NotActive));
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var stores = _layout is { } layout
            ? layout.Stores.Select(s => new StoreView(s.StoreId, s.State.ToString().ToLowerInvariant(), IsDown(s.StoreId),
                _heartbeats.TryGetValue(s.StoreId, out var seen) ? (long)(now - seen.ChangedAt).TotalMilliseconds : 0,
                layout.Regions.Count(r => r.PeerStores.Contains(s.StoreId)), layout.Regions.Count(r => r.LeaderStore == s.StoreId))).ToArray()
            : [];
        Sender.Tell(new OperatorsReply([.. _running.Values.Select(r => r.View).OrderBy(v => v.Id)], [.. _recent], stores, _nodeId, ""));
    }

    private string NotActive => $"no scheduler is active yet (node {_nodeId} does not lead placement; leader node {_leaderNode})";

    private void Forward(object forwarded, int hops, Func<object> refusal)
    {
        var target = hops >= MaxHops ? null
            : _leaderNode != 0 && _leaderNode != _nodeId && _directory.Find(_leaderNode) is { } leader ? leader
            : _placementNodes.Where(n => n != _nodeId).Select(n => _directory.Find(n)).Skip(_rotation++ % Math.Max(1, _placementNodes.Length - 1)).FirstOrDefault(s => s is not null);
        if (target is not null) target.Forward(forwarded);
        else Sender.Tell(refusal());
    }

    private void SayHello(Address address) =>
        Context.ActorSelection(new RootActorPath(address) / "system" / Name).Tell(new SchedulerHello(_nodeId));

    private sealed class Running(OperatorView view, DateTimeOffset startedAt)
    {
        public OperatorView View { get; set; } = view;
        public DateTimeOffset LastProgressAt { get; set; } = startedAt;
        public CancellationTokenSource Cancel { get; } = new();
    }

    private sealed record ScheduleTick : INoSerializationVerificationNeeded
    {
        public static ScheduleTick Instance { get; } = new();
    }

    private sealed record LayoutRead(PlacementLookupReply? Reply) : INoSerializationVerificationNeeded;

    private sealed record OperatorFinished(long OperatorId, ulong RegionId, bool Ok, string Detail) : INoSerializationVerificationNeeded;
}
