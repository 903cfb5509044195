using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Discovery;
using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One per node; active only on the node whose replica leads placement (group 0). Every interval it reads stores and
/// regions from placement, lets <see cref="SchedulePlanner"/> decide (repair, replica and leader balance, decommission,
/// orphan learner cleanup) and starts the operators it plans: one per region and at most <c>max-operators</c> at once,
/// each a <see cref="MoveOperatorMachine"/> executed by <see cref="OperatorRunner"/>. Manual moves and store removal come in
/// as <see cref="MoveRegion"/> and <see cref="RemoveStore"/> to any node's scheduler, which forwards to the active one.
/// </summary>
/// <remarks>
/// Operators live in the memory of the scheduler that started them: when placement's leadership moves they run on (or
/// stall and are cancelled after <c>operator-timeout</c>), and the new leader's scheduler plans from placement's metadata;
/// it asks the other schedulers for the operators they still run every round, and a learner no running operator
/// anywhere owns is removed after a grace period. Store liveness clocks restart with a new leader, so
/// a store is declared down only after a full <c>store-down-after</c> seen by that leader.
/// </remarks>
internal sealed class Scheduler : ReceiveActor, IWithTimers
{
    /// <summary>Actor name under /system.</summary>
    public const string Name = "akka-raft-scheduler";

    private const int MaxHops = 2;
    // How often an operator looks again at a region it waits for.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly ulong _nodeId;
    private readonly ulong[] _placementNodes;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _store;
    private readonly IActorRef _placement;
    private readonly RegionSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PeerDirectory _directory;
    private readonly OperatorRegistry _operators;
    private readonly StoreLiveness _liveness;
    private readonly Dictionary<long, CancellationTokenSource> _cancels = [];
    private readonly MoveBudgets _budgets;
    // Operators other nodes' schedulers still run (started before placement's leadership came here), asked every round:
    // their regions get no second operator and their learners are no orphans. A node that left MissedRoundsAllowed
    // rounds unanswered counts as running none (its operators stall and end by their own timeout).
    private readonly Dictionary<ulong, (IReadOnlyList<OperatorView> Running, int Unanswered)> _elsewhere = [];
    private const int MissedRoundsAllowed = 3;
    private PlacementLookupReply? _layout;
    // Placement learns a new leader from the next store heartbeat; until then its view still shows the old one, and a
    // round planned from it would move another leader for the same imbalance. One transfer per two heartbeat intervals.
    private DateTimeOffset _nextLeaderTransferAt = DateTimeOffset.MinValue;
    private bool _active;
    private ulong _leaderNode;
    private int _rotation;

    /// <summary>Props for node <paramref name="nodeId"/>'s scheduler; <paramref name="time"/> defaults to the system clock.</summary>
    public static Props Props(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, IActorRef store, IActorRef placement, RegionSettings settings,
        TimeProvider? time = null) =>
        Akka.Actor.Props.Create(() => new Scheduler(nodeId, placementNodes, coordinator, store, placement, settings, time ?? TimeProvider.System));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the scheduler.</summary>
    public Scheduler(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, IActorRef store, IActorRef placement, RegionSettings settings, TimeProvider time)
    {
        _nodeId = nodeId;
        _placementNodes = [.. placementNodes.Order()];
        _coordinator = coordinator;
        _store = store;
        _placement = placement;
        _settings = settings;
        _time = time;
        _directory = new PeerDirectory(Context, nodeId, Name, id => new SchedulerHello(id));
        _operators = new OperatorRegistry(nodeId,
            new OperatorRegistryLimits(settings.OperatorTimeout, settings.OperatorHistory, OperatorRegistryLimits.OrphanGraceFor(settings.ScheduleInterval, settings.OperatorTimeout)), time);
        _liveness = new StoreLiveness(settings.StoreDownAfter, time);
        _budgets = new MoveBudgets(settings.CatchUpDistance, DestroyAttempts: (int)Math.Max(1, settings.RequestTimeout / PollInterval));

        Receive<ScheduleTick>(_ =>
        {
            CancelStalledOperators();
            _coordinator.Tell(new GetGroupStatus(PlacementStateMachine.PlacementGroupId));
        });
        Receive<GroupStatus>(OnPlacementStatus);
        Receive<ProposeFailed>(_ => SetActive(false, 0));
        Receive<LayoutRead>(OnLayout);
        Receive<MoveRegion>(OnMoveRegion);
        Receive<RemoveStore>(OnRemoveStore);
        Receive<GetOperators>(OnGetOperators);
        Receive<OperatorsReply>(OnOperatorsElsewhere);
        Receive<OperatorProgress>(progress => _operators.Report(progress));
        Receive<OperatorFinished>(OnFinished);
        // Cluster membership and other nodes' schedulers' hellos.
        Receive<object>(_directory.Handles, m => _directory.Handle(m, Sender));
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("schedule", ScheduleTick.Instance, _settings.ScheduleInterval);
        _directory.Start();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _directory.Stop();
        foreach (var cancel in _cancels.Values) cancel.Cancel();
    }

    // ---- Leadership ----

    private void OnPlacementStatus(GroupStatus status)
    {
        SetActive(status.Role == StateRole.Leader, status.Leader);
        if (!_active) return;
        AskOperatorsElsewhere();
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
        _liveness.Clear();
        _operators.ForgetOrphans();
    }

    // ---- Planning ----

    private void OnLayout(LayoutRead read)
    {
        if (!_active) return;
        if (read.Reply is not { Status: PlacementLookupStatus.Ok } layout)
        {
            _log.Debug("[scheduler] no layout this round: {0}", read.Reply?.Detail ?? "placement did not answer in time");
            return;
        }
        _layout = layout;
        foreach (var store in layout.Stores) _liveness.Observe(store.StoreId, store.HeartbeatCount);
        LogStoreLiveness(layout);
        var input = Input(layout, new HashSet<ulong>());
        input = input with { OrphanLearnersDue = _operators.OrphanLearnersDue(SchedulePlanner.OrphanLearners(input).Keys) };
        var plan = SchedulePlanner.Plan(input);
        foreach (var storeId in plan.StoresEmptied)
        {
            _log.Info("[scheduler] store {0} holds no replica any more: marking it removed", storeId);
            _placement.Tell(new PlacementUpdate(PlacementCodec.Encode(new SetStoreStateCommand(storeId, StoreState.Removed))));
        }
        foreach (var planned in plan.Operators) StartOperator(planned);
        if (plan.LeaderTransfers.IsEmpty || _time.GetUtcNow() < _nextLeaderTransferAt) return;
        _nextLeaderTransferAt = _time.GetUtcNow() + (2 * _settings.HeartbeatInterval);
        foreach (var transfer in plan.LeaderTransfers)
        {
            _log.Info("[region {0}] leader balance: store {1} leads {2}, store {3} leads {4}: moving the leader",
                transfer.RegionId, transfer.FromStore, transfer.FromLeads, transfer.ToStore, transfer.ToLeads);
            _store.Tell(new TransferRegionLeader(transfer.FromStore, transfer.RegionId, transfer.ToStore));
        }
    }

    private void LogStoreLiveness(PlacementLookupReply layout)
    {
        foreach (var store in layout.Stores)
        {
            if (!_liveness.ChangedSinceLastCall(store.StoreId, out var down)) continue;
            if (down)
                _log.Warning("[scheduler] store {0} sent no heartbeat for {1:F1} s: down, its replicas are rebuilt elsewhere", store.StoreId, _liveness.SilentFor(store.StoreId).TotalSeconds);
            else
                _log.Info("[scheduler] store {0} heartbeats again", store.StoreId);
        }
    }

    private ScheduleInput Input(PlacementLookupReply layout, IReadOnlySet<ulong> orphansDue) => new(
        [.. layout.Regions.Select(d => new ScheduledRegion(d.ToRegion(), d.LeaderStore))],
        [.. layout.Stores.Select(s => new ScheduledStore(s.StoreId, s.State, _liveness.IsDown(s.StoreId)))],
        RunningAnywhere(),
        orphansDue,
        new ScheduleLimits(_settings.MaxOperators, _settings.Balance, _settings.BalanceTolerance));

    // ---- Operators ----

    private void AskOperatorsElsewhere()
    {
        foreach (var (node, scheduler) in _directory.All())
        {
            if (node == _nodeId) continue;
            var (running, unanswered) = _elsewhere.GetValueOrDefault(node, ([], 0));
            _elsewhere[node] = (running, unanswered + 1);
            scheduler.Tell(new GetOperators(Local: true), Self);
        }
    }

    private void OnOperatorsElsewhere(OperatorsReply reply)
    {
        if (reply.SchedulerNode == 0 || reply.SchedulerNode == _nodeId) return;
        _elsewhere[reply.SchedulerNode] = (reply.Running, 0);
    }

    /// <summary>Region → operator id of every operator known to run: this scheduler's and those other schedulers answered with lately.</summary>
    private IReadOnlyDictionary<ulong, long> RunningAnywhere()
    {
        var running = new Dictionary<ulong, long>(_operators.RunningByRegion);
        foreach (var (elsewhere, unanswered) in _elsewhere.Values)
        {
            if (unanswered > MissedRoundsAllowed) continue;
            foreach (var view in elsewhere) running.TryAdd(view.RegionId, view.Id);
        }
        return running;
    }

    private OperatorView StartOperator(PlannedOperator planned)
    {
        var view = _operators.Start(planned);
        var cancel = new CancellationTokenSource();
        _cancels[view.Id] = cancel;
        if (planned.Kind == OperatorKind.Cleanup)
            _log.Info("[region {0}] operator {1} (cleanup): learner {2} on store {3} belongs to no running operator", planned.RegionId, view.Id, planned.LearnerPeer, planned.FromStore);
        else
            _log.Info("[region {0}] operator {1} ({2}): replica on store {3} → store {4}", planned.RegionId, view.Id, planned.Kind.Text(), planned.FromStore, planned.ToStore);
        var self = Self;
        var id = view.Id;
        var endpoints = new OperatorEndpoints(_store, _placement, _settings.AttemptTimeout, PollInterval, _settings.RequestTimeout);
        OperatorRunner.RunAsync(new MoveOperatorMachine(id, planned, _budgets), endpoints, _time, progress => self.Tell(progress), cancel.Token)
            .ContinueWith(t => new OperatorFinished(id, t.IsCompletedSuccessfully ? t.Result
                : new OperatorOutcome(OperatorState.Failed, t.Exception?.GetBaseException().Message ?? "the operator's runner stopped")), TaskScheduler.Default)
            .PipeTo(self);
        return view;
    }

    private void OnFinished(OperatorFinished finished)
    {
        if (_cancels.Remove(finished.OperatorId, out var cancel)) cancel.Dispose();
        if (_operators.Finish(finished.OperatorId, finished.Outcome) is not { } view) return;
        if (view.State == OperatorState.Done) _log.Info("[region {0}] operator {1} done: {2}", view.RegionId, view.Id, view.Detail);
        else _log.Warning("[region {0}] operator {1} {2}: {3}", view.RegionId, view.Id, view.State.Text(), view.Detail);
    }

    private void CancelStalledOperators()
    {
        foreach (var view in _operators.TakeStalled())
        {
            _log.Warning("[region {0}] operator {1} made no progress for {2}: cancelling", view.RegionId, view.Id, _settings.OperatorTimeout);
            if (_cancels.TryGetValue(view.Id, out var cancel)) cancel.Cancel();
        }
    }

    // ---- Requests ----

    private void OnMoveRegion(MoveRegion move)
    {
        if (!_active)
        {
            Forward(move with { Hops = move.Hops + 1 }, move.Hops, () => new OperatorReply(OperatorReplyStatus.NotActive, 0, NotActive));
            return;
        }
        if (_layout is not { } layout)
        {
            Sender.Tell(NoLayout);
            return;
        }
        if (SchedulePlanner.ValidateMove(Input(layout, new HashSet<ulong>()), move.RegionId, move.FromStore, move.ToStore) is { } refusal)
        {
            Sender.Tell(Refused(refusal));
            return;
        }
        var view = StartOperator(new PlannedOperator(OperatorKind.Manual, move.RegionId, move.FromStore, move.ToStore));
        Sender.Tell(new OperatorReply(OperatorReplyStatus.Accepted, view.Id,
            $"operator {view.Id}: move region {move.RegionId} from store {move.FromStore} to store {move.ToStore}"));
    }

    private void OnRemoveStore(RemoveStore remove)
    {
        if (!_active)
        {
            Forward(remove with { Hops = remove.Hops + 1 }, remove.Hops, () => new OperatorReply(OperatorReplyStatus.NotActive, 0, NotActive));
            return;
        }
        if (_layout is not { } layout)
        {
            Sender.Tell(NoLayout);
            return;
        }
        if (SchedulePlanner.ValidateRemoveStore(Input(layout, new HashSet<ulong>()), remove.StoreId) is { } refusal)
        {
            Sender.Tell(Refused(refusal));
            return;
        }
        var sender = Sender;
        _placement.Ask<PlacementSplitReply>(new PlacementUpdate(PlacementCodec.Encode(new SetStoreStateCommand(remove.StoreId, StoreState.Removing))), _settings.AttemptTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Status switch
                {
                    PlacementSplitStatus.Recorded => new OperatorReply(OperatorReplyStatus.Accepted, 0,
                        $"store {remove.StoreId} is being removed: its replicas move away, then it is marked removed"),
                    PlacementSplitStatus.Rejected => new OperatorReply(OperatorReplyStatus.Refused, 0, t.Result.Detail),
                    _ => new OperatorReply(OperatorReplyStatus.Unavailable, 0, t.Result.Detail),
                }
                : new OperatorReply(OperatorReplyStatus.Unavailable, 0, "placement did not answer in time"), TaskScheduler.Default)
            .PipeTo(sender);
    }

    private static OperatorReply NoLayout => new(OperatorReplyStatus.NoLayout, 0, "the scheduler has no layout yet: retry in a moment");

    private static OperatorReply Refused(ScheduleRefusal refusal) => new(refusal.Kind switch
    {
        ScheduleRefusalKind.UnknownRegion => OperatorReplyStatus.UnknownRegion,
        ScheduleRefusalKind.UnknownStore => OperatorReplyStatus.UnknownStore,
        _ => OperatorReplyStatus.Refused,
    }, 0, refusal.Detail);

    private void OnGetOperators(GetOperators request)
    {
        if (!_active && !request.Local)
        {
            Forward(request with { Hops = request.Hops + 1 }, request.Hops, () => new OperatorsReply([], [], [], 0, NotActive));
            return;
        }
        var stores = _layout is { } layout
            ? layout.Stores.Select(s => new StoreView(s.StoreId, s.State, _liveness.IsDown(s.StoreId), (long)_liveness.SilentFor(s.StoreId).TotalMilliseconds,
                layout.Regions.Count(r => r.PeerStores.Contains(s.StoreId)), layout.Regions.Count(r => r.LeaderStore == s.StoreId))).ToArray()
            : [];
        Sender.Tell(new OperatorsReply([.. _operators.Running], [.. _operators.Recent], stores, _nodeId, ""));
    }

    private string NotActive => $"no scheduler is active yet (node {_nodeId} does not lead placement; leader node {_leaderNode})";

    private void Forward(object forwarded, int hops, Func<object> refusal)
    {
        var target = hops >= MaxHops ? null
            : _leaderNode != 0 && _leaderNode != _nodeId && _directory.FindReachable(_leaderNode) is { } leader ? leader
            : _placementNodes.Where(n => n != _nodeId).Select(n => _directory.FindReachable(n)).Skip(_rotation++ % Math.Max(1, _placementNodes.Length - 1)).FirstOrDefault(s => s is not null);
        if (target is not null) target.Forward(forwarded);
        else Sender.Tell(refusal());
    }

    private sealed record ScheduleTick : INoSerializationVerificationNeeded
    {
        public static ScheduleTick Instance { get; } = new();
    }

    private sealed record LayoutRead(PlacementLookupReply? Reply) : INoSerializationVerificationNeeded;

    private sealed record OperatorFinished(long OperatorId, OperatorOutcome Outcome) : INoSerializationVerificationNeeded;
}
