using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;
using AkkaRaft.Actors.Discovery;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// One per node: owns the only timer (ticks awake groups), hosts the group actors, batches outbound Raft messages
/// per destination node into one envelope per flush, and fans inbound batches out to the groups.
/// </summary>
internal sealed class NodeCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>Actor name under /system.</summary>
    public const string Name = "akka-raft-coordinator";

    private const string TickTimer = "tick";
    private const int MaxImpersonationsLogged = 1024;
    private const string SnapshotPaceTimer = "snapshot-pace";
    // The scheduler's resolution; pacing waits shorter than this are rounded up.
    private static readonly TimeSpan MinPace = TimeSpan.FromMilliseconds(1);
    private readonly ulong _nodeId;
    private readonly RaftSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ulong, IActorRef> _groups = [];
    // Each running replica's spec: what its Terminated names, and what a restart creates again.
    private readonly Dictionary<IActorRef, CreateGroup> _specOfActor = [];
    // Replicas that stopped on their own and wait for their restart (spec, consecutive failures); only failing groups have an entry.
    private readonly Dictionary<ulong, (CreateGroup Spec, int Failures)> _restarting = [];
    // Consecutive failures of replicas restarted and not yet recovered (a successful start, GroupCreated, clears it).
    private readonly Dictionary<ulong, int> _failures = [];
    private readonly Random _jitter = new();
    private readonly HashSet<ulong> _hibernating = [];
    // The groups that get ticks: hosted and not hibernating. A sleeping group costs the tick nothing.
    private readonly Dictionary<ulong, IActorRef> _awake = [];
    private readonly PeerDirectory _nodes;
    private readonly Dictionary<ulong, List<GroupMessage>> _outbox = [];
    private readonly Dictionary<ulong, List<IActorRef>> _creationWaiters = [];
    private readonly HashSet<ulong> _unknownGroupsLogged = [];
    // At most one warning per (sending address, claimed node), and at most MaxImpersonationsLogged of them.
    private readonly HashSet<(Address, ulong)> _impersonationsLogged = [];
    // Nodes whose loss the groups were told about and that have not been heard from since: told once, not per event.
    private readonly HashSet<ulong> _lostNodes = [];
    // Removed replicas that have not terminated yet, and creates of the same group waiting for them (name and journal still in use).
    private readonly Dictionary<IActorRef, ulong> _stopping = [];
    private readonly Dictionary<ulong, List<(CreateGroup Create, IActorRef Sender)>> _createsAfterStop = [];
    private readonly OutboxLimits _limits;
    private readonly SnapshotAssembler _snapshots;
    private readonly OutgoingSnapshots _outgoing;
    // Receivers key partial transfers by (node, transfer id): ids start from the clock so a restarted node never reuses one.
    private ulong _nextTransferId = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 20;
    private Func<ulong, SnapshotChunk, bool>? _dropChunk;
    private bool _flushScheduled;

    /// <summary>Props for the coordinator of node <paramref name="nodeId"/>.</summary>
    public static Props Props(ulong nodeId, RaftSettings settings) => Akka.Actor.Props.Create(() => new NodeCoordinator(nodeId, settings));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the coordinator.</summary>
    public NodeCoordinator(ulong nodeId, RaftSettings settings)
    {
        _nodeId = nodeId;
        _settings = settings;
        _limits = new OutboxLimits((ulong)settings.MaxBatchBytes, MaxQueuedPerNode: 100_000);
        _outgoing = new OutgoingSnapshots(nodeId, SnapshotStreamLimits.From(settings), TimeProvider.System);
        _snapshots = new SnapshotAssembler(
            maxTransfers: 8, maxBytes: Math.Max(1L << 30, settings.SnapshotMaxBytes), settings.SnapshotMaxBytes, settings.SnapshotChunkBytes);
        _nodes = new PeerDirectory(Context, nodeId, Name, id => new NodeHello(id), _log);

        Receive<CoordinatorTick>(_ => TickGroups());
        Receive<RaftBatch>(OnInbound);
        Receive<SnapshotChunk>(OnSnapshotChunk);
        Receive<SnapshotChunkAck>(OnSnapshotChunkAck);
        Receive<SnapshotPace>(_ => PumpSnapshots());
        Receive<GetSnapshotTransfers>(_ => Sender.Tell(new SnapshotTransfers(_nodeId, _outgoing.Active, _outgoing.Finished)));
        Receive<DropOutgoingSnapshotChunks>(hook => _dropChunk = hook.Drop);
        Receive<OutboundRaftMessages>(OnOutbound);
        Receive<Flush>(_ => FlushAll());
        Receive<UnknownGroupReply>(reply => _log.Warning("node {0} does not host group {1} (peer {2})", reply.FromNode, reply.GroupId, reply.ToPeer));
        Receive<RegisterNode>(r => _nodes.Register(r.NodeId, r.Coordinator));
        Receive<CreateGroup>(OnCreateGroup);
        Receive<GroupCreated>(OnGroupCreated);
        Receive<RemoveGroup>(OnRemoveGroup);
        Receive<GroupHibernated>(h => SetAwake(h.GroupId, awake: false));
        Receive<GroupAwake>(a => SetAwake(a.GroupId, awake: true));
        Receive<Terminated>(OnGroupTerminated);
        Receive<RestartGroup>(OnRestartGroup);
        Receive<GetHostedGroups>(_ => Sender.Tell(new HostedGroups(_nodeId, [.. _groups.Keys.Order()]) { AwakeGroupIds = [.. _awake.Keys.Order()] }));
        Receive<IGroupRequest>(ForwardToGroup);
        // Cluster membership, associations and other coordinators' hellos; a node going away wakes sleeping groups (their
        // leader may have been there), and a node the transport lost makes followers of a leader there campaign early.
        Receive<object>(_nodes.Handles, m =>
        {
            var change = _nodes.Handle(m, Sender);
            if (change is PeerChange.Unreachable or PeerChange.Removed) WakeAll();
            switch (m)
            {
                case ClusterEvent.UnreachableMember unreachable:
                    OnNodeLost(unreachable.Member.Address, "unreachable");
                    break;
                case DisassociatedEvent disassociated:
                    OnNodeLost(disassociated.RemoteAddress, "disassociated");
                    break;
                case NodeHello hello:
                    _lostNodes.Remove(hello.NodeId);
                    break;
            }
        });
    }

    /// <inheritdoc />
    /// <remarks>A failing replica stops; its Terminated schedules the restart (see <see cref="RaftGroupSupervision"/>).</remarks>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    /// <inheritdoc />
    protected override void PreStart()
    {
        EnsureTicking();
        _nodes.Start();
    }

    /// <inheritdoc />
    protected override void PostStop() => _nodes.Stop();

    private void TickGroups()
    {
        // Every group sleeps: the timer stops, so an idle node has no wake-ups of its own; a group waking restarts it.
        if (_awake.Count == 0)
        {
            Timers.Cancel(TickTimer);
            return;
        }
        foreach (var group in _awake.Values) group.Tell(GroupTick.Instance);
    }

    private void EnsureTicking()
    {
        if (!Timers.IsTimerActive(TickTimer)) Timers.StartPeriodicTimer(TickTimer, CoordinatorTick.Instance, _settings.TickInterval);
    }

    private void SetAwake(ulong groupId, bool awake)
    {
        // A report from a replica already removed (or not hosted any more) changes nothing.
        if (!_groups.TryGetValue(groupId, out var group)) return;
        if (awake)
        {
            _hibernating.Remove(groupId);
            _awake[groupId] = group;
            EnsureTicking();
        }
        else
        {
            _hibernating.Add(groupId);
            _awake.Remove(groupId);
        }
    }

    private void WakeAll()
    {
        // A node went away: sleeping groups must notice, since their leader may have been there.
        foreach (var id in _hibernating)
        {
            var group = _groups[id];
            group.Tell(WakeUp.Instance);
            _awake[id] = group;
        }
        if (_hibernating.Count > 0) EnsureTicking();
        _hibernating.Clear();
    }

    /// <summary>
    /// The transport lost the node at <paramref name="address"/>: every group is told, and followers of a leader there
    /// campaign within a tick or two instead of a whole election timeout. Once per loss: again only after the node was heard from.
    /// </summary>
    private void OnNodeLost(Address address, string how)
    {
        foreach (var nodeId in _nodes.NodesAt(address))
        {
            if (nodeId == _nodeId || !_lostNodes.Add(nodeId)) continue;
            _log.Info("node {0} at {1} {2}: followers of its leaders campaign early", nodeId, address, how);
            foreach (var group in _groups.Values) group.Tell(new PeerNodeLost(nodeId));
        }
    }

    private void OnSnapshotChunk(SnapshotChunk chunk)
    {
        if (!SentByClaimedNode(chunk.FromNode, 1)) return;
        Message? whole;
        try
        {
            whole = _snapshots.Add(chunk);
        }
        catch (RaftCodecException e)
        {
            _log.Warning("[group {0}] bad snapshot chunk from node {1}: {2}", chunk.GroupId, chunk.FromNode, e.Message);
            return;
        }
        // Every chunk is acknowledged with what is held so far: the sender resumes from there after a loss.
        Sender.Tell(new SnapshotChunkAck(_nodeId, chunk.GroupId, chunk.TransferId, _snapshots.NextIndex(chunk.FromNode, chunk.TransferId)));
        if (whole is not null) OnInbound(new RaftBatch(chunk.FromNode, [new GroupMessage(chunk.GroupId, whole)]));
    }

    private void OnSnapshotChunkAck(SnapshotChunkAck ack)
    {
        if (!_outgoing.Acknowledge(ack.FromNode, ack.TransferId, ack.NextIndex))
        {
            _log.Debug("[group {0}] ack for unknown or finished snapshot transfer {1} from node {2}", ack.GroupId, ack.TransferId, ack.FromNode);
            return;
        }
        PumpSnapshots();
    }

    private void PumpSnapshots()
    {
        foreach (var outgoing in _outgoing.Poll())
        {
            var chunk = outgoing.Chunk;
            var group = RaftMetrics.Group(chunk.GroupId);
            RaftMetrics.SnapshotBytesSent.Add(chunk.Data.Length, group);
            if (outgoing.Resend) RaftMetrics.SnapshotChunksResent.Add(1, group);
            if (_dropChunk?.Invoke(outgoing.ToNode, chunk) == true) continue;
            if (_nodes.Find(outgoing.ToNode) is { } target) target.Tell(chunk);
        }
        foreach (var finished in _outgoing.DrainFinished())
        {
            LogFinished(finished);
            TellGroup(finished.GroupId, new SnapshotTransferUpdate(finished.GroupId, finished.ToNode, finished.State));
        }
        // Paced off one timer: re-armed for the next refill of the token bucket or the next ack timeout.
        if (_outgoing.NextWakeUp() is { } wait) Timers.StartSingleTimer(SnapshotPaceTimer, SnapshotPace.Instance, wait < MinPace ? MinPace : wait);
        else Timers.Cancel(SnapshotPaceTimer);
    }

    private void TellGroup(ulong groupId, object message)
    {
        if (_groups.TryGetValue(groupId, out var group)) group.Tell(message);
    }

    private void LogFinished(SnapshotTransferProgress t)
    {
        var seconds = ((t.FinishedAt ?? t.StartedAt) - t.StartedAt).TotalSeconds;
        if (t.State == SnapshotTransferState.Completed)
        {
            _log.Info("[group {0}] snapshot transfer {1} to node {2} completed: {3} bytes in {4:F2} s, {5} chunks resent",
                t.GroupId, t.TransferId, t.ToNode, t.TotalBytes, seconds, t.ChunksResent);
        }
        else
        {
            _log.Warning("[group {0}] snapshot transfer {1} to node {2} {3} after {4} of {5} bytes acknowledged (the group resends it later)",
                t.GroupId, t.TransferId, t.ToNode, t.State, t.BytesAcknowledged, t.TotalBytes);
        }
    }

    private void OnInbound(RaftBatch batch)
    {
        if (!SentByClaimedNode(batch.FromNode, batch.Messages.Count)) return;
        if (_lostNodes.Count > 0) _lostNodes.Remove(batch.FromNode);
        foreach (var gm in batch.Messages)
        {
            if (_groups.TryGetValue(gm.GroupId, out var group))
            {
                // The group decides whether a message wakes it and then says GroupAwake; a heartbeat does not.
                group.Tell(new InboundRaftMessage(batch.FromNode, gm.Message));
                continue;
            }
            if (_unknownGroupsLogged.Add(gm.GroupId))
            {
                _log.Warning("[group {0}] message {1} from node {2} for a group this node does not host", gm.GroupId, gm.Message.Type, batch.FromNode);
            }
            Sender.Tell(new UnknownGroupReply(_nodeId, gm.GroupId, gm.Message.To));
        }
    }

    /// <summary>
    /// A batch or chunk names the node that sent it; a remote one must come from the address that node registered from
    /// (its hello, or its first batch), so one member cannot speak for another. Local senders are this node's own.
    /// </summary>
    private bool SentByClaimedNode(ulong claimedNode, int messages)
    {
        if (Sender.IsNobody() || Sender.Path.Address.HasLocalScope) return true;
        var address = Sender.Path.Address;
        var nodeAtAddress = _nodes.NodeAt(address);
        var claimed = _nodes.Find(claimedNode);
        if (nodeAtAddress is null && claimed is null)
        {
            _nodes.Register(claimedNode, Sender);
            return true;
        }
        if (nodeAtAddress == claimedNode && (claimed is null || claimed.Path.Address.Equals(address))) return true;
        if (_impersonationsLogged.Count < MaxImpersonationsLogged && _impersonationsLogged.Add((address, claimedNode)))
        {
            _log.Warning("dropped {0} Raft message(s) claiming to come from node {1} but sent from {2} ({3}); further ones are dropped silently",
                messages, claimedNode, address, nodeAtAddress is { } n ? $"node {n}" : $"node {claimedNode} is at {claimed!.Path.Address}");
        }
        return false;
    }

    private void OnOutbound(OutboundRaftMessages outbound)
    {
        foreach (var (node, message) in outbound.Messages)
        {
            if (!_outbox.TryGetValue(node, out var queue)) _outbox[node] = queue = [];
            if (queue.Count >= _limits.MaxQueuedPerNode)
            {
                // Raft retransmits; dropping here beats unbounded memory when a node is slow or gone.
                _log.Warning("outbox to node {0} is full ({1} messages): dropping {2} for group {3}", node, queue.Count, message.Message.Type, message.GroupId);
                continue;
            }
            queue.Add(message);
        }
        if (!_flushScheduled)
        {
            // Flush after the messages already in the mailbox: everything they produce joins this envelope.
            _flushScheduled = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void FlushAll()
    {
        _flushScheduled = false;
        var offered = false;
        foreach (var (node, queue) in _outbox)
        {
            if (queue.Count == 0) continue;
            if (node == _nodeId)
            {
                OnInbound(new RaftBatch(_nodeId, [.. queue]));
                queue.Clear();
                continue;
            }
            if (_nodes.Find(node) is not { } target)
            {
                _log.Debug("node {0} is not known yet: {1} messages dropped (Raft retransmits)", node, queue.Count);
                queue.Clear();
                continue;
            }
            var streamAbove = Math.Max(1024, _limits.MaxBatchBytes / 2);
            var chunked = queue.ToLookup(m => m.Message.Type == MessageType.Snapshot && m.Message.Size > streamAbove);
            foreach (var batch in new NodeBatch(node, NodeBatch.ControlFirst(chunked[false])).SplitBySize(_limits.MaxBatchBytes))
            {
                target.Tell(new RaftBatch(_nodeId, batch.Messages));
            }
            foreach (var snapshot in chunked[true])
            {
                // Snapshots too large for one envelope are streamed in acknowledged, paced chunks after this flush's other traffic.
                var state = _outgoing.Offer(node, snapshot.GroupId, ++_nextTransferId, snapshot.Message);
                offered = true;
                if (state == SnapshotTransferState.Rejected) continue; // logged and told to the group from DrainFinished below
                TellGroup(snapshot.GroupId, new SnapshotTransferUpdate(snapshot.GroupId, node, state));
                _log.Debug("[group {0}] snapshot at index {1} for node {2}: transfer {3}", snapshot.GroupId, snapshot.Message.Snapshot?.Metadata.Index, node, state);
            }
            queue.Clear();
        }
        if (offered) PumpSnapshots();
    }

    private void OnCreateGroup(CreateGroup create)
    {
        if (_groups.ContainsKey(create.GroupId))
        {
            Sender.Tell(new GroupCreated(create.GroupId, create.PeerId));
            return;
        }
        if (_stopping.ContainsValue(create.GroupId))
        {
            // The old replica still holds the child name and may still be writing its journal: start after it stopped.
            if (!_createsAfterStop.TryGetValue(create.GroupId, out var deferred)) _createsAfterStop[create.GroupId] = deferred = [];
            deferred.Add((create, Sender));
            return;
        }
        StartReplica(create);
        _unknownGroupsLogged.Remove(create.GroupId);
        if (!_creationWaiters.TryGetValue(create.GroupId, out var waiters)) _creationWaiters[create.GroupId] = waiters = [];
        waiters.Add(Sender);
    }

    private void StartReplica(CreateGroup create)
    {
        var child = Context.ActorOf(RaftGroupActor.Props(_nodeId, create, _settings, Self), $"group-{create.GroupId}");
        Context.Watch(child);
        _groups[create.GroupId] = child;
        _awake[create.GroupId] = child;
        EnsureTicking();
        _specOfActor[child] = create;
    }

    private void OnGroupCreated(GroupCreated created)
    {
        var fromCurrentReplica = _groups.TryGetValue(created.GroupId, out var current) && current.Equals(Sender);
        if (fromCurrentReplica) _failures.Remove(created.GroupId);
        // A destroyed replica does not run: it is removed (a restart would only bring it back into the tombstone).
        if (created.Tombstoned && fromCurrentReplica) OnRemoveGroupOf(created.GroupId);
        if (!_creationWaiters.Remove(created.GroupId, out var waiters)) return;
        foreach (var waiter in waiters) waiter.Tell(created);
    }

    private void OnRemoveGroup(RemoveGroup remove)
    {
        OnRemoveGroupOf(remove.GroupId);
        Sender.Tell(new GroupRemoved(remove.GroupId));
    }

    private void OnRemoveGroupOf(ulong groupId)
    {
        if (_restarting.Remove(groupId))
        {
            // Its replica is already gone; only the pending restart is called off.
            Timers.Cancel(RestartTimer(groupId));
            _groups.Remove(groupId);
            _failures.Remove(groupId);
            return;
        }
        if (_groups.Remove(groupId, out var child))
        {
            _specOfActor.Remove(child);
            _failures.Remove(groupId);
            _hibernating.Remove(groupId);
            _awake.Remove(groupId);
            // Still watched: its Terminated releases creates of the same group that arrive meanwhile.
            _stopping[child] = groupId;
            Context.Stop(child);
        }
    }

    private void OnGroupTerminated(Terminated terminated)
    {
        if (_stopping.Remove(terminated.ActorRef, out var removedGroup))
        {
            if (_createsAfterStop.Remove(removedGroup, out var deferred))
            {
                foreach (var (create, sender) in deferred) Self.Tell(create, sender);
            }
            return;
        }
        if (!_specOfActor.Remove(terminated.ActorRef, out var spec)) return;
        var groupId = spec.GroupId;
        _hibernating.Remove(groupId);
        _awake.Remove(groupId);
        // Still in _groups (messages meanwhile go to dead letters, creates are answered as for a running replica).
        var failures = _failures.GetValueOrDefault(groupId) + 1;
        _failures[groupId] = failures;
        _restarting[groupId] = (spec, failures);
        var delay = RaftGroupSupervision.RestartDelay(failures, _jitter.NextDouble());
        _log.Warning("[group {0}] replica stopped (failure {1} in a row): restarting it from the journal in {2} ms",
            groupId, failures, (int)delay.TotalMilliseconds);
        Timers.StartSingleTimer(RestartTimer(groupId), new RestartGroup(groupId), delay);
    }

    private void OnRestartGroup(RestartGroup restart)
    {
        if (!_restarting.Remove(restart.GroupId, out var pending)) return;
        StartReplica(pending.Spec);
    }

    private static string RestartTimer(ulong groupId) => $"restart-{groupId}";

    private void ForwardToGroup(IGroupRequest request)
    {
        if (_groups.TryGetValue(request.GroupId, out var group))
        {
            group.Forward(request);
            return;
        }
        Sender.Tell(new ProposeFailed(request.GroupId, RaftFailure.GroupNotFound, 0, $"group {request.GroupId} is not hosted on node {_nodeId}"));
    }

    private sealed record Flush : INoSerializationVerificationNeeded
    {
        public static Flush Instance { get; } = new();
    }

    private sealed record SnapshotPace : INoSerializationVerificationNeeded
    {
        public static SnapshotPace Instance { get; } = new();
    }

    private sealed record RestartGroup(ulong GroupId) : INoSerializationVerificationNeeded;

    private sealed record CoordinatorTick : INoSerializationVerificationNeeded
    {
        public static CoordinatorTick Instance { get; } = new();
    }

    private sealed record OutboxLimits(ulong MaxBatchBytes, int MaxQueuedPerNode);
}

/// <summary>Tells a coordinator where another node's coordinator is (when not discovered through the cluster).</summary>
internal sealed record RegisterNode(ulong NodeId, IActorRef Coordinator) : INoSerializationVerificationNeeded;

/// <summary>A request routed by the coordinator to the group it names.</summary>
internal interface IGroupRequest
{
    /// <summary>Target group.</summary>
    ulong GroupId { get; }
}
