using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One per node: hosts this node's replica of placement (group 0) when the node is one of the placement nodes; while it
/// leads group 0 it bootstraps the initial layout (once: a repeated bootstrap is a no-op), proposes store heartbeats and
/// serves lookups as linearizable reads. Elsewhere it forwards lookups and heartbeats to the leader it knows.
/// </summary>
public sealed class PlacementService : ReceiveActor, IWithTimers
{
    /// <summary>Actor name under /system.</summary>
    public const string Name = "akka-raft-placement";

    private const ulong GroupId = PlacementStateMachine.PlacementGroupId;
    private const string StatusTimer = "status";
    private readonly ulong _nodeId;
    private readonly ImmutableArray<ulong> _placementNodes;
    private readonly IActorRef _coordinator;
    private readonly RegionSettings _settings;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ServiceDirectory _directory = new();
    private bool _isLeader;
    private ulong _leaderNode;
    private bool _bootstrapped;
    private bool _bootstrapInFlight;
    private int _forwardRotation;

    /// <summary>Props for node <paramref name="nodeId"/>; <paramref name="placementNodes"/> host group 0 (peer id = node id).</summary>
    public static Props Props(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, RegionSettings settings) =>
        Akka.Actor.Props.Create(() => new PlacementService(nodeId, placementNodes, coordinator, settings));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the service.</summary>
    public PlacementService(ulong nodeId, IReadOnlyList<ulong> placementNodes, IActorRef coordinator, RegionSettings settings)
    {
        _nodeId = nodeId;
        _placementNodes = [.. placementNodes.Order()];
        _coordinator = coordinator;
        _settings = settings;
        _askTimeout = settings.AttemptTimeout;

        Receive<GroupCreated>(created => _log.Info("[region {0}] placement replica {1} running on node {2}", GroupId, created.PeerId, _nodeId));
        Receive<PollStatus>(_ => PollGroupStatus());
        Receive<GroupStatus>(OnStatus);
        Receive<ProposeFailed>(failed => _log.Debug("[region {0}] status unavailable: {1}", GroupId, failed.Detail));
        Receive<BootstrapOutcome>(OnBootstrapOutcome);
        Receive<HeartbeatOutcome>(outcome => _log.Debug("[region {0}] heartbeat of store {1}: {2}", GroupId, outcome.StoreId, outcome.Detail));
        Receive<PlacementLookup>(OnLookup);
        Receive<StoreHeartbeatReport>(OnHeartbeat);
        Receive<PlacementAllocateIds>(OnAllocateIds);
        Receive<PlacementReportSplit>(report => OnUpdate(report.Command, report, report with { Forwarded = true }, report.Forwarded, c => c is ReportSplitCommand));
        Receive<PlacementUpdate>(update => OnUpdate(update.Command, update, update with { Forwarded = true }, update.Forwarded,
            c => c is ReportRegionCommand or SetStoreStateCommand));
        Receive<PlacementHello>(OnHello);
        Receive<ClusterEvent.MemberUp>(up =>
        {
            // A node restarted on the same address is back.
            _directory.SetReachable(up.Member.Address, true);
            SayHello(up.Member.Address);
        });
        // A node that left (a graceful stop) answers nothing any more: treated as unreachable, so a request for it is
        // answered "retry elsewhere" at once instead of waiting out its deadline.
        Receive<ClusterEvent.MemberExited>(exited => _directory.SetReachable(exited.Member.Address, false));
        Receive<ClusterEvent.MemberRemoved>(removed => _directory.SetReachable(removed.Member.Address, false));
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up)) SayHello(member.Address);
            foreach (var member in state.Unreachable) _directory.SetReachable(member.Address, false);
        });
        // A forward to a node the failure detector gave up on would only time out: such nodes are skipped.
        Receive<ClusterEvent.UnreachableMember>(u => _directory.SetReachable(u.Member.Address, false));
        Receive<ClusterEvent.ReachableMember>(r => _directory.SetReachable(r.Member.Address, true));
    }

    private bool HostsReplica => _placementNodes.Contains(_nodeId);

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (HostsReplica)
        {
            var peers = _placementNodes.ToDictionary(node => node, node => node);
            _coordinator.Tell(new CreateGroup(GroupId, _nodeId, peers, () => new PlacementStateMachine()));
            Timers.StartPeriodicTimer(StatusTimer, PollStatus.Instance, _settings.PlacementStatusInterval);
        }
        if (((ExtendedActorSystem)Context.System).Provider is IClusterActorRefProvider)
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember),
                typeof(ClusterEvent.MemberExited), typeof(ClusterEvent.MemberRemoved));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (((ExtendedActorSystem)Context.System).Provider is IClusterActorRefProvider) Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void PollGroupStatus() => _coordinator.Tell(new GetGroupStatus(GroupId));

    private void OnStatus(GroupStatus status)
    {
        var wasLeader = _isLeader;
        _isLeader = status.Role == Core.Raft.StateRole.Leader;
        _leaderNode = status.Leader != 0 && status.PeerNodes.TryGetValue(status.Leader, out var node) ? node : 0;
        if (_isLeader != wasLeader)
            _log.Info("[region {0}] node {1} {2} placement (term {3})", GroupId, _nodeId, _isLeader ? "now leads" : "no longer leads", status.Term);
        if (_isLeader && !_bootstrapped && !_bootstrapInFlight) ProposeBootstrap();
    }

    private void ProposeBootstrap()
    {
        _bootstrapInFlight = true;
        var command = new BootstrapCommand(_placementNodes, _settings.InitialRanges);
        _coordinator.Ask<object>(new Propose(GroupId, PlacementCodec.Encode(command)), _askTimeout)
            .ContinueWith(t => new BootstrapOutcome(t.IsCompletedSuccessfully ? t.Result : null, t.Exception?.GetBaseException().Message), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnBootstrapOutcome(BootstrapOutcome outcome)
    {
        _bootstrapInFlight = false;
        switch (outcome.Answer)
        {
            case ProposeSucceeded { Result: PlacementResult.Bootstrapped bootstrapped }:
                _bootstrapped = true;
                if (bootstrapped.AlreadyBootstrapped)
                    _log.Info("[region {0}] layout already bootstrapped ({1} regions): nothing to do", GroupId, bootstrapped.Regions.Length);
                else
                    _log.Info("[region {0}] bootstrapped the initial layout: {1}", GroupId, string.Join(", ", bootstrapped.Regions));
                break;
            case ProposeSucceeded { Result: PlacementResult.Rejected rejected }:
                _log.Error("[region {0}] bootstrap rejected: {1}", GroupId, rejected.Reason);
                break;
            default:
                _log.Debug("[region {0}] bootstrap not done yet ({1}); retrying on the next status poll", GroupId, outcome.Answer?.ToString() ?? outcome.Error);
                break;
        }
    }

    private void OnLookup(PlacementLookup lookup)
    {
        if (!_isLeader)
        {
            ForwardOrRefuse(lookup, lookup with { Forwarded = true }, lookup.Forwarded,
                () => new PlacementLookupReply(PlacementLookupStatus.NotLeader, [], _leaderNode, 0, 0, $"node {_nodeId} does not lead placement"));
            return;
        }
        var sender = Sender;
        var key = lookup.Key;
        Func<Core.Raft.IRaftStateMachine, object?> query = lookup.Kind switch
        {
            PlacementLookupKind.ByKey => sm => Answer((PlacementStateMachine)sm, m => m.FindByKey(key) is { } r ? [r] : []),
            PlacementLookupKind.ById => sm => Answer((PlacementStateMachine)sm, m => m.FindById(lookup.RegionId) is { } r ? [r] : []),
            _ => sm => Answer((PlacementStateMachine)sm, m => m.Regions),
        };
        var self = _nodeId;
        _coordinator.Ask<object>(new ReadRequest(GroupId, query), _askTimeout).ContinueWith(t => t.IsCompletedSuccessfully
            ? t.Result switch
            {
                ReadSucceeded { Value: PlacementLookupReply reply } => reply,
                ProposeFailed failed => new PlacementLookupReply(failed.Failure == RaftFailure.NotLeader ? PlacementLookupStatus.NotLeader : PlacementLookupStatus.Unavailable,
                    [], failed.LeaderHint, 0, 0, $"node {self}: {failed.Failure} {failed.Detail}"),
                var other => new PlacementLookupReply(PlacementLookupStatus.Unavailable, [], 0, 0, 0, $"unexpected answer {other}"),
            }
            : new PlacementLookupReply(PlacementLookupStatus.Unavailable, [], 0, 0, 0, $"node {self}: placement read timed out"), TaskScheduler.Default)
            .PipeTo(sender);
    }

    private static PlacementLookupReply Answer(PlacementStateMachine machine, Func<PlacementStateMachine, IReadOnlyList<PlacementRegion>> find)
    {
        if (!machine.IsBootstrapped) return new PlacementLookupReply(PlacementLookupStatus.NotBootstrapped, [], 0, machine.NextId, 0, "layout not bootstrapped yet");
        var found = find(machine);
        return new PlacementLookupReply(found.Count == 0 ? PlacementLookupStatus.NotFound : PlacementLookupStatus.Ok,
            [.. found.Select(RegionDescriptor.From)], 0, machine.NextId, machine.BootstrappedAtIndex, "")
        {
            Stores = [.. machine.Stores.Values.OrderBy(s => s.StoreId).Select(s => new StoreDescriptor(s.StoreId, s.State, s.LastHeartbeatIndex, s.HeartbeatCount))],
        };
    }

    private void OnHeartbeat(StoreHeartbeatReport report)
    {
        if (!_isLeader)
        {
            // Heartbeats are periodic: one lost on the way to a leader is replaced by the next.
            ForwardOrRefuse(report, report with { Forwarded = true }, report.Forwarded, null);
            return;
        }
        PlacementCommand command;
        try
        {
            command = PlacementCodec.Decode(report.Command);
        }
        catch (PlacementCodecException e)
        {
            _log.Warning("[region {0}] undecodable heartbeat from store {1} dropped: {2}", GroupId, report.StoreId, e.Message);
            return;
        }
        if (command is not StoreHeartbeatCommand heartbeat || heartbeat.StoreId != report.StoreId)
        {
            _log.Warning("[region {0}] heartbeat from store {1} carries {2}: dropped", GroupId, report.StoreId, command);
            return;
        }
        var store = report.StoreId;
        _coordinator.Ask<object>(new Propose(GroupId, report.Command), _askTimeout)
            .ContinueWith(t => new HeartbeatOutcome(store, t.IsCompletedSuccessfully ? t.Result.ToString() ?? "" : "timed out"), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnAllocateIds(PlacementAllocateIds request)
    {
        if (!_isLeader)
        {
            ForwardOrRefuse(request, request with { Forwarded = true }, request.Forwarded,
                () => new PlacementIdsReply(false, 0, 0, $"node {_nodeId} does not lead placement"));
            return;
        }
        var node = _nodeId;
        _coordinator.Ask<object>(new Propose(GroupId, PlacementCodec.Encode(new AllocateIdsCommand(request.Count))), _askTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully && t.Result is ProposeSucceeded { Result: PlacementResult.IdsAllocated ids }
                ? new PlacementIdsReply(true, ids.First, ids.Count, "")
                : new PlacementIdsReply(false, 0, 0, $"node {node}: {(t.IsCompletedSuccessfully ? t.Result : "no answer in time")}"), TaskScheduler.Default)
            .PipeTo(Sender);
    }

    /// <summary>Proposes a placement update (split report, region report, store state) and answers with its outcome.</summary>
    private void OnUpdate(byte[] encoded, object original, object forwarded, bool alreadyForwarded, Func<PlacementCommand, bool> accepted)
    {
        if (!_isLeader)
        {
            ForwardOrRefuse(original, forwarded, alreadyForwarded,
                () => new PlacementSplitReply(PlacementSplitStatus.Unavailable, $"node {_nodeId} does not lead placement"));
            return;
        }
        try
        {
            if (!accepted(PlacementCodec.Decode(encoded)))
            {
                Sender.Tell(new PlacementSplitReply(PlacementSplitStatus.Rejected, $"{original.GetType().Name} does not carry this kind of command"));
                return;
            }
        }
        catch (PlacementCodecException e)
        {
            Sender.Tell(new PlacementSplitReply(PlacementSplitStatus.Rejected, $"undecodable placement update: {e.Message}"));
            return;
        }
        var node = _nodeId;
        var log = _log;
        _coordinator.Ask<object>(new Propose(GroupId, encoded), _askTimeout)
            .ContinueWith(t =>
            {
                var reply = !t.IsCompletedSuccessfully
                    ? new PlacementSplitReply(PlacementSplitStatus.Unavailable, $"node {node}: no answer in time")
                    : t.Result switch
                    {
                        ProposeSucceeded { Result: PlacementResult.SplitRecorded recorded } => new PlacementSplitReply(PlacementSplitStatus.Recorded,
                            recorded.AlreadyRecorded ? "already recorded" : $"recorded {recorded.Left} and {recorded.Right}"),
                        ProposeSucceeded { Result: PlacementResult.RegionRecorded recorded } => new PlacementSplitReply(PlacementSplitStatus.Recorded,
                            recorded.AlreadyRecorded ? "already recorded" : $"recorded {recorded.Region}"),
                        ProposeSucceeded { Result: PlacementResult.StoreStateSet set } => new PlacementSplitReply(PlacementSplitStatus.Recorded, $"store {set.Store.StoreId} is {set.Store.State}"),
                        ProposeSucceeded { Result: PlacementResult.Pending pending } => new PlacementSplitReply(PlacementSplitStatus.Unavailable, pending.Reason),
                        ProposeSucceeded { Result: PlacementResult.Rejected rejected } => new PlacementSplitReply(PlacementSplitStatus.Rejected, rejected.Reason),
                        var other => new PlacementSplitReply(PlacementSplitStatus.Unavailable, $"node {node}: {other}"),
                    };
                if (reply.Status != PlacementSplitStatus.Unavailable) log.Info("[region {0}] placement update: {1} ({2})", GroupId, reply.Status, reply.Detail);
                return reply;
            }, TaskScheduler.Default)
            .PipeTo(Sender);
    }

    private void ForwardOrRefuse(object original, object forwarded, bool alreadyForwarded, Func<object>? refusal)
    {
        var target = alreadyForwarded ? null : ForwardTarget();
        if (target is not null)
        {
            target.Forward(forwarded);
            return;
        }
        if (refusal is not null) Sender.Tell(refusal());
        else _log.Debug("[region {0}] no placement leader known: {1} dropped", GroupId, original.GetType().Name);
    }

    private IActorRef? ForwardTarget()
    {
        if (_leaderNode != 0 && _leaderNode != _nodeId && !_directory.IsUnreachable(_leaderNode) && _directory.Find(_leaderNode) is { } leader) return leader;
        if (HostsReplica && _leaderNode == 0) return null;
        // A node without a placement replica, or one whose leader is not introduced yet: try the placement nodes in turn.
        for (var i = 0; i < _placementNodes.Length; i++)
        {
            var node = _placementNodes[_forwardRotation++ % _placementNodes.Length];
            if (node != _nodeId && !_directory.IsUnreachable(node) && _directory.Find(node) is { } service) return service;
        }
        return null;
    }

    private void SayHello(Address address) =>
        Context.ActorSelection(new RootActorPath(address) / "system" / Name).Tell(new PlacementHello(_nodeId));

    private void OnHello(PlacementHello hello)
    {
        if (hello.NodeId == _nodeId) return;
        if (_directory.Register(hello.NodeId, Sender)) Sender.Tell(new PlacementHello(_nodeId));
    }

    private sealed record PollStatus : INoSerializationVerificationNeeded
    {
        public static PollStatus Instance { get; } = new();
    }

    private sealed record BootstrapOutcome(object? Answer, string? Error) : INoSerializationVerificationNeeded;

    private sealed record HeartbeatOutcome(ulong StoreId, string Detail) : INoSerializationVerificationNeeded;
}
