using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Discovery;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One per node: hosts this node's replica of placement (group 0) when the node is one of the placement nodes; while it
/// leads group 0 it bootstraps the initial layout (once: a repeated bootstrap is a no-op), proposes store heartbeats and
/// serves lookups as linearizable reads. Elsewhere it forwards lookups and heartbeats to the leader it knows.
/// </summary>
internal sealed class PlacementService : ReceiveActor, IWithTimers
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
    private readonly PeerDirectory _directory;
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
        _directory = new PeerDirectory(Context, nodeId, Name, id => new PlacementHello(id));

        Receive<GroupCreated>(created => _log.Info("[region {0}] placement replica {1} running on node {2}", GroupId, created.PeerId, _nodeId));
        Receive<PollStatus>(_ => PollGroupStatus());
        Receive<GroupStatus>(OnStatus);
        Receive<ProposeFailed>(failed => _log.Debug("[region {0}] status unavailable: {1}", GroupId, failed.Detail));
        Receive<BootstrapOutcome>(OnBootstrapOutcome);
        Receive<HeartbeatOutcome>(outcome => _log.Debug("[region {0}] heartbeat of store {1}: {2}", GroupId, outcome.StoreId, outcome.Detail));
        Receive<PlacementLookup>(OnLookup);
        Receive<StoreHeartbeatReport>(OnHeartbeat);
        Receive<PlacementAllocateIds>(OnAllocateIds);
        Receive<PlacementReportSplit>(report => OnUpdate(report.Command, report, report with { Hops = report.Hops + 1 }, report.Hops, c => c is ReportSplitCommand));
        Receive<PlacementUpdate>(update => OnUpdate(update.Command, update, update with { Hops = update.Hops + 1 }, update.Hops,
            c => c is ReportRegionCommand or SetStoreStateCommand));
        // Cluster membership and other nodes' hellos; a forward to a node the failure detector gave up on would only time
        // out: such nodes are skipped.
        Receive<object>(_directory.Handles, m => _directory.Handle(m, Sender));
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
        _directory.Start();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _directory.Stop();
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
            ForwardOrRefuse(lookup, lookup with { Hops = lookup.Hops + 1 }, lookup.Hops,
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
            ForwardOrRefuse(report, report with { Hops = report.Hops + 1 }, report.Hops, null);
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
            ForwardOrRefuse(request, request with { Hops = request.Hops + 1 }, request.Hops,
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
    private void OnUpdate(byte[] encoded, object original, object forwarded, int hops, Func<PlacementCommand, bool> accepted)
    {
        if (!_isLeader)
        {
            ForwardOrRefuse(original, forwarded, hops,
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

    /// <summary>
    /// Passes a message this node cannot serve towards the placement leader. First hop: to the leader this node knows, or
    /// (a node without a placement replica) to the placement nodes in turn. Second hop: a placement replica reached that way
    /// hands it to the leader it knows, so no message depends on a rotation that might always pick a follower. Never more.
    /// </summary>
    private void ForwardOrRefuse(object original, object forwarded, int hops, Func<object>? refusal)
    {
        var target = hops switch
        {
            0 => ForwardTarget(),
            1 when HostsReplica => KnownLeader(),
            _ => null,
        };
        if (target is not null)
        {
            target.Forward(forwarded);
            return;
        }
        if (refusal is not null) Sender.Tell(refusal());
        else _log.Debug("[region {0}] no placement leader known: {1} dropped", GroupId, original.GetType().Name);
    }

    private IActorRef? KnownLeader() =>
        _leaderNode != 0 && _leaderNode != _nodeId ? _directory.FindReachable(_leaderNode) : null;

    private IActorRef? ForwardTarget()
    {
        if (KnownLeader() is { } leader) return leader;
        if (HostsReplica && _leaderNode == 0) return null;
        // A node without a placement replica, or one whose leader is not introduced yet: try the placement nodes in turn.
        for (var i = 0; i < _placementNodes.Length; i++)
        {
            var node = _placementNodes[_forwardRotation++ % _placementNodes.Length];
            if (node != _nodeId && _directory.FindReachable(node) is { } service) return service;
        }
        return null;
    }

    private sealed record PollStatus : INoSerializationVerificationNeeded
    {
        public static PollStatus Instance { get; } = new();
    }

    private sealed record BootstrapOutcome(object? Answer, string? Error) : INoSerializationVerificationNeeded;

    private sealed record HeartbeatOutcome(ulong StoreId, string Detail) : INoSerializationVerificationNeeded;
}
