using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

/// <summary>
/// The runtime's logic for one replica of one Raft group, without Akka (a peer, as TiKV calls it): it wraps a
/// <see cref="RaftNode"/>, takes inputs (recovery events, ticks, Raft messages, requests, journal confirmations) and
/// returns the effects its host carries out in order (persist, send, reply, snapshot, spawn, report, log). Requesters are
/// opaque <typeparamref name="TReplyTo"/> tokens, time is ticks and randomness the config's seed, so a deterministic
/// driver (the simulator, unit tests) runs exactly what <see cref="RaftGroupActor"/> runs.
/// </summary>
/// <remarks>
/// One Ready is journaled at a time (group commit: whatever arrives meanwhile joins the next one); writes carry ids and
/// complete in order, so more than one may be in flight later. Acknowledgements go out only once their Ready is durable.
/// </remarks>
internal sealed partial class RaftPeer<TReplyTo>
{
    private static readonly byte[] HibernateMarker = "akka-raft:hibernate"u8.ToArray();
    private static readonly PeerEffect[] NoEffects = [];

    private readonly ulong _nodeId;
    private readonly CreateGroup _spec;
    private readonly PeerOptions _options;
    private readonly MemoryStorage _storage;
    private readonly IRaftStateMachine _stateMachine;
    private readonly Dictionary<ulong, ulong> _peerNodes;
    private readonly PendingRequests<TReplyTo> _pending;
    // Effects of the input being handled; handed out and cleared when it returns.
    private readonly List<PeerEffect> _effects = [];
    private RaftNode? _node;
    // Raft's applied index: includes no-ops and membership entries the state machine never sees.
    private ulong _appliedIndex;
    private StateRole _lastRole;

    /// <summary>Creates the replica <paramref name="spec"/> describes on node <paramref name="nodeId"/>; recover it, then complete recovery.</summary>
    public RaftPeer(ulong nodeId, CreateGroup spec, PeerOptions options, IRaftStateMachine stateMachine)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stateMachine);
        // Invariant: the node runs as the replica the spec names.
        if (options.Raft.Id != spec.PeerId)
            throw new InvalidOperationException($"[group {spec.GroupId}] options are for peer {options.Raft.Id}, the spec for peer {spec.PeerId}");
        _nodeId = nodeId;
        _spec = spec;
        _options = options;
        _stateMachine = stateMachine;
        // A bootstrapped group gets its voters from its initial snapshot (or, uninitialized, from the leader's snapshot).
        _storage = spec.Bootstrap is null ? MemoryStorage.WithVoters([.. spec.InitialPeers.Keys.Order()]) : MemoryStorage.WithVoters();
        _peerNodes = new Dictionary<ulong, ulong>(spec.InitialPeers);
        _pending = new PendingRequests<TReplyTo>(spec.GroupId, options.MaxPendingProposals, options.MaxPendingReads, options.RequestDeadlineTicks);
    }

    /// <summary>The node hosting this replica.</summary>
    public ulong NodeId => _nodeId;

    /// <summary>The group.</summary>
    public ulong GroupId => _spec.GroupId;

    /// <summary>This replica's peer id.</summary>
    public ulong PeerId => _spec.PeerId;

    /// <summary>The Raft node once started (null while recovering or bootstrapping); for inspection only, never drive it directly.</summary>
    public RaftNode? Raft => _node;

    /// <summary>The state machine this replica applies to.</summary>
    public IRaftStateMachine StateMachine => _stateMachine;

    /// <summary>True while the group sleeps: ticks are ignored until a request or Raft traffic wakes it.</summary>
    public bool IsHibernating => _hibernating;

    /// <summary>True once a tombstone is durable (destroyed now or found in the journal): the replica never runs again.</summary>
    public bool IsTombstoned => _tombstoned;

    /// <summary>True from an accepted destroy on: the replica does no more Raft work and writes nothing but its tombstone.</summary>
    public bool IsDestroyed => _tombstone is not null || _tombstoned;

    /// <summary>Requests waiting for an answer.</summary>
    public int PendingCount => _pending.Count;

    private RaftNode Node => _node ?? throw new InvalidOperationException($"[group {_spec.GroupId}] not recovered yet");

    /// <summary>One logical tick (ignored while hibernating).</summary>
    public IReadOnlyList<PeerEffect> Tick()
    {
        if (!IsDestroyed) OnTick();
        return Handled();
    }

    /// <summary>A Raft message from another replica, hosted on <paramref name="fromNode"/>.</summary>
    public IReadOnlyList<PeerEffect> Step(ulong fromNode, Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!IsDestroyed) OnInbound(fromNode, message);
        return Handled();
    }

    /// <summary>Proposes a command; <paramref name="replyTo"/> is answered once: applied, refused, dropped or timed out.</summary>
    public IReadOnlyList<PeerEffect> Propose(byte[] data, TReplyTo replyTo)
    {
        if (RefuseWhenDestroyed(replyTo)) return Finish();
        WakeForRequest("a proposal");
        if (!_pending.CanAcceptProposal)
        {
            Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.Busy, Node.Leader, $"{_options.MaxPendingProposals} proposals are already waiting"));
        }
        else
        {
            Answer(Node.Propose(data), replyTo);
        }
        return Handled();
    }

    /// <summary>Proposes a membership change; <paramref name="peerNodes"/> says where added peers live.</summary>
    public IReadOnlyList<PeerEffect> ProposeMembership(ConfChange change, IReadOnlyDictionary<ulong, ulong> peerNodes, TReplyTo replyTo)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(peerNodes);
        if (RefuseWhenDestroyed(replyTo)) return Finish();
        WakeForRequest("a membership change");
        MergePeers(peerNodes);
        Answer(Node.ProposeConfChange(change with { Context = PeerNodeCodec.Encode(peerNodes) }), replyTo);
        return Handled();
    }

    /// <summary>
    /// Linearizable read: <paramref name="query"/> runs on the leader once the read index is applied. The read joins the
    /// batch of reads that arrived since the last flush; the first read of a batch asks the host for a flush
    /// (<see cref="ScheduleReadFlush"/>), and the next input other than a read flushes too: one read index for the batch.
    /// </summary>
    public IReadOnlyList<PeerEffect> Read(Func<IRaftStateMachine, object?> query, TReplyTo replyTo)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (RefuseWhenDestroyed(replyTo)) return Finish();
        WakeForRequest("a read");
        HandleRead(query, replyTo);
        // Not Handled(): that would ask for the batch at once; reads right behind this one join it instead.
        Pump();
        return Finish();
    }

    /// <summary>
    /// The host's flush point for reads (after the inputs that were waiting when <see cref="ScheduleReadFlush"/> was asked
    /// for): one ReadIndex request, one context, for every read queued since the last flush.
    /// </summary>
    public IReadOnlyList<PeerEffect> FlushReads()
    {
        if (!IsDestroyed && _node is not null) AskReadIndexForBatch();
        return Handled();
    }

    /// <summary>Runs <paramref name="query"/> on the applied state now: no ReadIndex, no wake (see <see cref="PeekState"/>).</summary>
    public RaftReply Peek(Func<IRaftStateMachine, object?> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (IsDestroyed) return new ProposeFailed(_spec.GroupId, RaftFailure.GroupNotFound, 0, $"replica {_spec.PeerId} of group {_spec.GroupId} is destroyed");
        if (_node is null) return new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, 0, $"replica {_spec.PeerId} has not started yet");
        return new ReadSucceeded(_spec.GroupId, query(_stateMachine));
    }

    /// <summary>Asks this replica, if it leads, to hand leadership to <paramref name="transferee"/>.</summary>
    public IReadOnlyList<PeerEffect> TransferLeadership(ulong transferee, TReplyTo replyTo)
    {
        if (RefuseWhenDestroyed(replyTo)) return Finish();
        WakeForRequest("a leader transfer");
        var outcome = Node.TransferLeader(transferee);
        Reply(replyTo, outcome.Accepted
            ? new ProposeSucceeded(_spec.GroupId, outcome.Index, null)
            : new ProposeFailed(_spec.GroupId, ToFailure(outcome.Refusal), outcome.LeaderHint, outcome.Detail ?? ""));
        return Handled();
    }

    /// <summary>Wakes a hibernating group (a node became unreachable, or an operator asked).</summary>
    public IReadOnlyList<PeerEffect> Wake()
    {
        if (!IsDestroyed) WakeForRequest("a wake request");
        return Handled();
    }

    /// <summary>
    /// The host's transport lost node <paramref name="nodeId"/> (a closed association, an unreachable member): a follower
    /// whose leader lives there suspects it (<see cref="RaftNode.LeaderSuspected"/>) and campaigns within a tick or two,
    /// waking if it sleeps. Other replicas ignore it.
    /// </summary>
    public IReadOnlyList<PeerEffect> NodeLost(ulong nodeId)
    {
        if (!IsDestroyed && _node is { Leader: not 0 } node && _peerNodes.GetValueOrDefault(node.Leader) == nodeId
            && node.LeaderSuspected(node.Leader).Status == StepStatus.Processed)
        {
            // Asleep it would not tick, and so never campaign.
            WakeUp($"the loss of node {nodeId}");
            Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] leader's node {nodeId} lost: replica {_spec.PeerId} campaigns early");
        }
        return Handled();
    }

    /// <summary>A group this replica spawned on apply is running (its initial state is durable): snapshots may resume.</summary>
    public IReadOnlyList<PeerEffect> SpawnedGroupStarted(ulong groupId)
    {
        _spawning.Remove(groupId);
        return Handled();
    }

    /// <summary>Where this replica's status stands now.</summary>
    public GroupStatus Status() => _node is null
        ? new GroupStatus(_spec.GroupId, _spec.PeerId, StateRole.Follower, 0, 0, 0, 0, 0, 0, _hibernating, ConfState.Empty, new Dictionary<ulong, ulong>(_peerNodes))
        : new GroupStatus(_spec.GroupId, _spec.PeerId, _node.Role, _node.Term, _node.Leader, _node.Committed, _appliedIndex,
            _node.FirstIndex, _node.LastIndex, _hibernating, _node.ConfState, new Dictionary<ulong, ulong>(_peerNodes))
        {
            Matched = _node.Role == StateRole.Leader ? _node.Tracker.Progress.ToDictionary(p => p.Key, p => p.Value.Match) : new Dictionary<ulong, ulong>(),
        };

    private void OnInbound(ulong fromNode, Message m)
    {
        var hibernateSignal = m.Context.AsSpan().SequenceEqual(HibernateMarker);
        // The leader's "going to sleep" heartbeat and its answers are not traffic that should keep a group awake.
        if (!hibernateSignal && _hibernating) WakeUp($"{m.Type} from peer {m.From}");
        _peerNodes[m.From] = fromNode;
        if (m.Type == MessageType.Snapshot) LearnPeersFromSnapshot(m);
        var result = Node.Step(m);
        if (result.Status == StepStatus.Ignored && _options.DebugEnabled)
        {
            Log(PeerLogLevel.Debug, $"[group {_spec.GroupId}] {m}: {result.Reason}");
        }
        if (hibernateSignal && m.Type == MessageType.Heartbeat && result.Status == StepStatus.Processed
            && Node.Role == StateRole.Follower && Node.Leader == m.From)
        {
            Hibernate();
        }
    }

    private void OnTick()
    {
        if (_hibernating) return;
        // A leader falls asleep instead of ticking: a regular heartbeat sent on the same tick would wake the followers again.
        if (MaybeHibernate()) return;
        Node.Tick();
        _ticks++;
        RetryLostSnapshots();
        foreach (var (replyTo, failure) in _pending.ExpireOneTick()) Reply(replyTo, failure);
        TrackActivity();
    }

    private void Answer(ProposeResult result, TReplyTo replyTo)
    {
        if (!result.Accepted)
        {
            Reply(replyTo, new ProposeFailed(_spec.GroupId, ToFailure(result.Refusal), result.LeaderHint, result.Detail ?? result.Refusal.ToString()));
        }
        else if (_pending.AddProposal(result.Index, result.Term, replyTo) is { } replaced)
        {
            Reply(replaced);
        }
    }

    private void HandleRead(Func<IRaftStateMachine, object?> query, TReplyTo replyTo)
    {
        if (!_pending.CanAcceptRead)
        {
            Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.Busy, Node.Leader, $"{_options.MaxPendingReads} reads are already waiting"));
            return;
        }
        if (Node.Role != StateRole.Leader)
        {
            // Reads are served by the leader only, so a client never reads from a replica that is behind.
            Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, Node.Leader, $"replica {_spec.PeerId} is not the leader"));
            return;
        }
        if (_pending.QueueRead(replyTo, query)) _effects.Add(new ScheduleReadFlush());
    }

    // Reads that arrived together share one read index: one ReadIndex request and (safe mode) one heartbeat round.
    private void AskReadIndexForBatch()
    {
        var reads = _pending.QueuedReads;
        if (_pending.TakeOpenReadBatch() is not { } context) return;
        if (Node.Role != StateRole.Leader)
        {
            // Leadership went between the reads' arrival and the flush (a Ready with the new role may still be in the journal).
            foreach (var replyTo in _pending.RemoveReadBatch(context))
            {
                Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, Node.Leader, $"replica {_spec.PeerId} is no longer the leader"));
            }
            return;
        }
        var result = Node.ReadIndex(context);
        if (!result.Accepted)
        {
            foreach (var replyTo in _pending.RemoveReadBatch(context))
            {
                Reply(replyTo, new ProposeFailed(_spec.GroupId, ToFailure(result.Refusal), result.LeaderHint, result.Detail ?? ""));
            }
            return;
        }
        RaftMetrics.ReadsPerReadIndex.Record(reads, RaftMetrics.Group(_spec.GroupId));
        Debug(() => $"[group {_spec.GroupId}] one read index for {reads} reads");
    }

    private static RaftFailure ToFailure(RefusalReason reason) => reason switch
    {
        RefusalReason.NotLeader or RefusalReason.NoLeader or RefusalReason.TransferInProgress => RaftFailure.NotLeader,
        RefusalReason.TooLarge => RaftFailure.TooLarge,
        RefusalReason.Busy => RaftFailure.Busy,
        _ => RaftFailure.Refused,
    };

    private bool RefuseWhenDestroyed(TReplyTo replyTo)
    {
        if (!IsDestroyed) return false;
        Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.GroupNotFound, 0, $"replica {_spec.PeerId} of group {_spec.GroupId} is destroyed"));
        return true;
    }

    private void MergePeers(IReadOnlyDictionary<ulong, ulong> peers)
    {
        foreach (var (peer, node) in peers) _peerNodes[peer] = node;
    }

    /// <summary>
    /// A replica brought up to date by a snapshot never applies the membership changes it covers, and with them where
    /// the peers they added live: a snapshot message carries the sender's map. Without it such a replica, once leader,
    /// could not reach a learner that never spoke to it.
    /// </summary>
    private void LearnPeersFromSnapshot(Message m)
    {
        if (m.Context.Length == 0) return;
        try
        {
            foreach (var (peer, node) in PeerNodeCodec.Decode(m.Context))
            {
                if (peer != _spec.PeerId) _peerNodes[peer] = node;
            }
        }
        catch (RaftCodecException e)
        {
            Log(PeerLogLevel.Warning, $"[group {_spec.GroupId}] snapshot from peer {m.From} carries an unreadable peer map: {e.Message}");
        }
    }

    private void SendMessages(IReadOnlyList<Message> messages)
    {
        if (messages.Count == 0) return;
        var resolved = new List<(ulong, GroupMessage)>(messages.Count);
        foreach (var sent in messages)
        {
            var m = sent;
            if (m.Type == MessageType.Snapshot)
            {
                _snapshotSentAtTick[m.To] = _ticks;
                m = m with { Context = PeerNodeCodec.Encode(_peerNodes) };
            }
            if (_peerNodes.TryGetValue(m.To, out var node)) resolved.Add((node, new GroupMessage(_spec.GroupId, m)));
            else Log(PeerLogLevel.Warning, $"[group {_spec.GroupId}] no node known for peer {m.To}; {m.Type} not sent");
        }
        if (resolved.Count > 0) _effects.Add(new SendRaftMessages(resolved));
    }

    private void Reply(TReplyTo replyTo, object answer) => _effects.Add(new ReplyTo<TReplyTo>(replyTo, answer));

    private void Reply(PendingReply<TReplyTo> owed) => _effects.Add(new ReplyTo<TReplyTo>(owed.ReplyTo, owed.Reply));

    private void Log(PeerLogLevel level, string text) => _effects.Add(new LogLine(level, text));

    private void Debug(Func<string> text)
    {
        if (_options.DebugEnabled) _effects.Add(new LogLine(PeerLogLevel.Debug, text()));
    }

    // Every input ends like this: Readies are handled until one needs a durable write.
    private IReadOnlyList<PeerEffect> Handled()
    {
        // Any other input is a flush point too: queued reads never wait behind other work for the host's flush.
        if (_node is not null && !IsDestroyed && _pending.QueuedReads > 0) AskReadIndexForBatch();
        Pump();
        return Finish();
    }

    private IReadOnlyList<PeerEffect> Finish()
    {
        if (_effects.Count == 0) return NoEffects;
        var effects = _effects.ToArray();
        _effects.Clear();
        return effects;
    }
}
