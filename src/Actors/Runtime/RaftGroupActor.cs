using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// One replica of one Raft group: wraps a <see cref="RaftNode"/>, journals each Ready as one event, sends
/// acknowledgements only after the write is durable, applies committed entries to the state machine and answers
/// proposers. Recovery rebuilds the log, hard state and state machine from the Akka snapshot plus the journal.
/// </summary>
public sealed class RaftGroupActor : UntypedPersistentActor
{
    private readonly ulong _nodeId;
    private readonly CreateGroup _spec;
    private readonly RaftSettings _settings;
    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log;
    private readonly MemoryStorage _storage;
    private readonly IRaftStateMachine _stateMachine;
    private readonly Dictionary<ulong, ulong> _peerNodes;
    private readonly PendingRequests _pending;
    private RaftNode? _node;
    private bool _writing;
    private ulong _snapshotIndexInJournal;
    private static readonly byte[] HibernateMarker = "akka-raft:hibernate"u8.ToArray();
    private int _idleTicks;
    // Raft's applied index: includes no-ops and membership entries the state machine never sees.
    private ulong _appliedIndex;
    private long _ticks;
    private readonly Dictionary<ulong, long> _snapshotSentAtTick = [];
    // Peers whose snapshot the coordinator is streaming: the stream, not the tick timeout, decides whether it was lost.
    private readonly HashSet<ulong> _snapshotStreaming = [];
    private (ulong, ulong, ulong, StateRole) _activityMark;
    private bool _hibernating;
    private StateRole _lastRole;
    // Groups this replica spawned on apply that have not confirmed their initial state durable: no snapshot until they do.
    private readonly HashSet<ulong> _spawning = [];
    // Set once this replica has been destroyed (its region moved away): it never runs again.
    private bool _tombstoned;
    // Set when a destroy starts: nothing more is journaled or snapshotted, so the tombstone stays the last thing recovery sees.
    private bool _destroying;

    /// <summary>Props for a replica hosted by the coordinator of <paramref name="nodeId"/>.</summary>
    public static Props Props(ulong nodeId, CreateGroup spec, RaftSettings settings, IActorRef coordinator) =>
        Akka.Actor.Props.Create(() => new RaftGroupActor(nodeId, spec, settings, coordinator));

    /// <summary>Creates the actor; state is recovered before any command is handled.</summary>
    public RaftGroupActor(ulong nodeId, CreateGroup spec, RaftSettings settings, IActorRef coordinator)
    {
        _nodeId = nodeId;
        _spec = spec;
        _settings = settings;
        _coordinator = coordinator;
        _log = Context.GetLogger().WithContext("group", spec.GroupId);
        // A bootstrapped group gets its voters from its initial snapshot (or, uninitialized, from the leader's snapshot).
        _storage = spec.Bootstrap is null ? MemoryStorage.WithVoters([.. spec.InitialPeers.Keys.Order()]) : MemoryStorage.WithVoters();
        _stateMachine = spec.StateMachineFactory();
        _peerNodes = new Dictionary<ulong, ulong>(spec.InitialPeers);
        _pending = new PendingRequests(spec.GroupId, settings.MaxPendingProposals, settings.MaxPendingReads, settings.ElectionTicks * 5);
        JournalPluginId = settings.JournalPluginId;
        SnapshotPluginId = settings.SnapshotPluginId;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The peer id is part of it: a replica re-added to a node after a move away gets a new peer id and so a fresh journal,
    /// never the tombstoned one of its predecessor.
    /// </remarks>
    public override string PersistenceId => $"raft-{_nodeId}-{_spec.GroupId}-{_spec.PeerId}";

    private RaftNode Node => _node ?? throw new InvalidOperationException($"[group {_spec.GroupId}] not recovered yet");

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: RaftGroupSnapshot snapshot } offer:
                _storage.ApplySnapshot(snapshot.Snapshot);
                _storage.Append(snapshot.Tail);
                _storage.SetHardState(snapshot.HardState);
                _stateMachine.Restore(snapshot.Snapshot.Data, snapshot.Snapshot.Metadata.Index);
                MergePeers(snapshot.PeerNodes);
                _snapshotIndexInJournal = snapshot.Snapshot.Metadata.Index;
                _log.Debug("[group {0}] recovering from snapshot {1} at index {2}", _spec.GroupId, offer.Metadata.SequenceNr, _snapshotIndexInJournal);
                break;
            case RaftLogWritten written:
                ApplyToStorage(written.HardState, written.Entries, written.Snapshot);
                // A journaled snapshot (installed from a leader, or a split group's initial state) is the state machine's too.
                if (written.Snapshot is { } installed && installed.Metadata.Index > _stateMachine.AppliedIndex)
                    _stateMachine.Restore(installed.Data, installed.Metadata.Index);
                MergePeers(written.PeerNodes);
                break;
            case GroupTombstone:
                _tombstoned = true;
                break;
            case RecoveryCompleted when _tombstoned:
                _log.Info("[group {0}] replica {1} was destroyed earlier (tombstone): not starting", _spec.GroupId, _spec.PeerId);
                _coordinator.Tell(new GroupCreated(_spec.GroupId, _spec.PeerId) { Tombstoned = true });
                break;
            case RecoveryCompleted:
                if (_spec.Bootstrap is { } bootstrap && LastSequenceNr == 0 && _stateMachine.AppliedIndex == bootstrap.Index) PersistBootstrapThenStart(bootstrap);
                else StartNode();
                break;
        }
    }

    /// <summary>
    /// First start of a group born from existing state: its initial state (snapshot at the bootstrap index, voters =
    /// initial peers) is made durable before the node runs; commands wait meanwhile (Persist stashes them).
    /// </summary>
    private void PersistBootstrapThenStart(GroupBootstrap bootstrap)
    {
        var voters = ConfState.OfVoters([.. _spec.InitialPeers.Keys.Order()]);
        var snapshot = new Snapshot(new Core.Raft.SnapshotMetadata(bootstrap.Index, bootstrap.Term, voters), _stateMachine.TakeSnapshot());
        var hardState = new HardState(bootstrap.Term, 0, bootstrap.Index);
        Persist(new RaftLogWritten(hardState, [], snapshot, new Dictionary<ulong, ulong>(_peerNodes)), written =>
        {
            ApplyToStorage(written.HardState, written.Entries, written.Snapshot);
            _snapshotIndexInJournal = bootstrap.Index;
            _log.Info("[group {0}] bootstrapped at index {1} (term {2}) with voters {3}", _spec.GroupId, bootstrap.Index, bootstrap.Term, voters);
            StartNode();
        });
    }

    private void StartNode()
    {
        var config = new RaftConfig
        {
            Id = _spec.PeerId,
            ElectionTicks = _settings.ElectionTicks,
            HeartbeatTicks = _settings.HeartbeatTicks,
            PreVote = _settings.PreVote,
            CheckQuorum = _settings.CheckQuorum,
            ReadOnlyMode = _settings.ReadOnlyMode == Settings.ReadOnlyMode.Lease ? Core.Raft.ReadOnlyMode.LeaseBased : Core.Raft.ReadOnlyMode.Safe,
            MaxInflightMessages = _settings.MaxInflight,
            MaxInflightBytes = (ulong)_settings.MaxInflightBytes,
            MaxSizePerMessage = (ulong)Math.Max(1, _settings.MaxBatchBytes / 2),
            MaxApplyBytes = (ulong)_settings.MaxApplyBytes,
            MaxProposalBytes = (ulong)_settings.MaxEntryBytes,
            MaxPendingReads = _settings.MaxPendingReads,
            Applied = _stateMachine.AppliedIndex,
            // Different replicas (and restarts) get different election timeouts.
            RandomSeed = HashCode.Combine(_nodeId, _spec.GroupId, _spec.PeerId, Environment.TickCount),
        };
        _node = new RaftNode(config, _storage);
        _appliedIndex = _stateMachine.AppliedIndex;
        _lastRole = _node.Role;
        _log.Info($"[group {_spec.GroupId}] replica {_spec.PeerId} started: term {_node.Term}, commit {_node.Committed}, " +
            $"applied {_stateMachine.AppliedIndex}, last index {_node.LastIndex}, members {_node.ConfState}");
        _coordinator.Tell(new GroupCreated(_spec.GroupId, _spec.PeerId));
        if (_spec.CampaignOnStart && _node.Role != StateRole.Leader && _node.ConfState.Voters.Contains(_spec.PeerId)) _node.Campaign();
        Pump();
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        if (_destroying && message is Propose or ProposeMembership or ReadRequest or TransferLeadership)
        {
            Sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.GroupNotFound, 0, $"replica {_spec.PeerId} is destroyed"));
            return;
        }
        switch (message)
        {
            case GroupTick:
                OnTick();
                break;
            case InboundRaftMessage inbound:
                OnInbound(inbound);
                break;
            case Propose propose:
                WakeForRequest();
                HandlePropose(propose);
                break;
            case ProposeMembership change:
                WakeForRequest();
                MergePeers(change.PeerNodes);
                Answer(Node.ProposeConfChange(change.Change with { Context = PeerNodeCodec.Encode(change.PeerNodes) }), Sender);
                break;
            case ReadRequest read:
                WakeForRequest();
                HandleRead(read);
                break;
            case TransferLeadership transfer:
                WakeForRequest();
                var outcome = Node.TransferLeader(transfer.TransfereePeer);
                Sender.Tell(outcome.Accepted
                    ? new ProposeSucceeded(_spec.GroupId, outcome.Index, null)
                    : new ProposeFailed(_spec.GroupId, ToFailure(outcome.Refusal), outcome.LeaderHint, outcome.Detail ?? ""));
                break;
            case WakeUp:
                WakeForRequest();
                break;
            case GetGroupStatus:
                Sender.Tell(Status());
                break;
            case DestroyGroup destroy:
                Destroy(destroy, Sender);
                return;
            case SnapshotTransferUpdate update:
                OnSnapshotTransferUpdate(update);
                break;
            case GroupCreated spawned:
                _spawning.Remove(spawned.GroupId);
                break;
            case SaveSnapshotSuccess success:
                // Everything up to the snapshot's sequence number is now redundant.
                DeleteMessages(success.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                _log.Warning("[group {0}] snapshot failed, journal kept: {1}", _spec.GroupId, failure.Cause.Message);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure deleteFailure:
                _log.Warning("[group {0}] journal compaction failed: {1}", _spec.GroupId, deleteFailure.Cause.Message);
                break;
            default:
                Unhandled(message);
                return;
        }
        Pump();
    }

    private void OnInbound(InboundRaftMessage inbound)
    {
        var m = inbound.Message;
        var hibernateSignal = m.Context.AsSpan().SequenceEqual(HibernateMarker);
        // The leader's "going to sleep" heartbeat and its answers are not traffic that should keep a group awake.
        if (!hibernateSignal) Wake();
        _peerNodes[m.From] = inbound.FromNode;
        var result = Node.Step(m);
        if (result.Status == StepStatus.Ignored && _log.IsDebugEnabled)
        {
            _log.Debug("[group {0}] {1}: {2}", _spec.GroupId, m, result.Reason);
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
        Node.Tick();
        _ticks++;
        RetryLostSnapshots();
        foreach (var (sender, failure) in _pending.ExpireOneTick())
        {
            sender.Tell(failure);
        }
        TrackActivity();
        MaybeHibernate();
    }

    private void HandlePropose(Propose propose)
    {
        if (!_pending.CanAcceptProposal)
        {
            Sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.Busy, Node.Leader, $"{_settings.MaxPendingProposals} proposals are already waiting"));
            return;
        }
        var result = Node.Propose(propose.Data);
        Answer(result, Sender);
    }

    private void Answer(ProposeResult result, IActorRef sender)
    {
        if (!result.Accepted)
        {
            sender.Tell(new ProposeFailed(_spec.GroupId, ToFailure(result.Refusal), result.LeaderHint, result.Detail ?? result.Refusal.ToString()));
            return;
        }
        _pending.AddProposal(result.Index, result.Term, sender);
    }

    private void HandleRead(ReadRequest read)
    {
        if (!_pending.CanAcceptRead)
        {
            Sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.Busy, Node.Leader, $"{_settings.MaxPendingReads} reads are already waiting"));
            return;
        }
        if (Node.Role != StateRole.Leader)
        {
            // Reads are served by the leader only, so a client never reads from a replica that is behind.
            Sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, Node.Leader, $"replica {_spec.PeerId} is not the leader"));
            return;
        }
        var context = _pending.AddRead(Sender, read.Query);
        var result = Node.ReadIndex(context);
        if (!result.Accepted)
        {
            _pending.RemoveRead(context);
            Sender.Tell(new ProposeFailed(_spec.GroupId, ToFailure(result.Refusal), result.LeaderHint, result.Detail ?? ""));
        }
    }

    private static RaftFailure ToFailure(RefusalReason reason) => reason switch
    {
        RefusalReason.NotLeader or RefusalReason.NoLeader or RefusalReason.TransferInProgress => RaftFailure.NotLeader,
        RefusalReason.TooLarge => RaftFailure.TooLarge,
        RefusalReason.Busy => RaftFailure.Busy,
        _ => RaftFailure.Refused,
    };

    /// <summary>Handles Readies until one needs a durable write; the next waits for that write (group commit).</summary>
    private void Pump()
    {
        // Destroying: a Ready written now would follow the tombstone (and its apply could snapshot past it).
        if (_node is null || _destroying) return;
        while (!_writing && _node.HasReady)
        {
            var ready = _node.Ready();
            SendMessages(ready.Messages);
            if (NeedsWrite(ready))
            {
                WriteThenContinue(ready);
                return;
            }
            OnDurable(ready);
        }
    }

    private void WriteThenContinue(Ready ready)
    {
        _writing = true;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var written = new RaftLogWritten(ready.HardState, ready.Entries, ready.Snapshot, new Dictionary<ulong, ulong>(_peerNodes));
        // PersistAsync keeps commands flowing during the write; they join the next Ready (group commit).
        PersistAsync(written, _ =>
        {
            RaftMetrics.JournalWriteLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, RaftMetrics.Group(_spec.GroupId));
            if (ready.Entries.Count > 0) RaftMetrics.EntriesPerWrite.Record(ready.Entries.Count, RaftMetrics.Group(_spec.GroupId));
            OnDurable(ready);
            _writing = false;
            Pump();
        });
    }

    // A commit-only hard state change need not be synced: commit is recoverable from a quorum.
    private bool NeedsWrite(Ready ready) =>
        ready.Entries.Count > 0 || ready.Snapshot is not null ||
        (ready.HardState is { } hs && (hs.Term != _storage.HardState.Term || hs.Vote != _storage.HardState.Vote));

    private void OnDurable(Ready ready)
    {
        ApplyToStorage(ready.HardState, ready.Entries, ready.Snapshot);
        SendMessages(ready.PersistedMessages);
        if (ready.Snapshot is { } snapshot)
        {
            _stateMachine.Restore(snapshot.Data, snapshot.Metadata.Index);
            _appliedIndex = Math.Max(_appliedIndex, snapshot.Metadata.Index);
            _log.Info("[group {0}] installed snapshot at index {1} (term {2})", _spec.GroupId, snapshot.Metadata.Index, snapshot.Metadata.Term);
        }
        Apply(ready.CommittedEntries);
        if (ready.CommittedEntries.Count > 0) _appliedIndex = ready.CommittedEntries[^1].Index;
        foreach (var readState in ready.ReadStates) _pending.ReadIndexConfirmed(readState.Context, readState.Index);
        ServeReads();
        Node.Advance(ready);
        if (ready.SoftState is { } soft) OnSoftStateChanged(soft);
        MaybeCompact();
    }

    private void ApplyToStorage(HardState? hardState, IReadOnlyList<Entry> entries, Snapshot? snapshot)
    {
        if (snapshot is not null) _storage.ApplySnapshot(snapshot);
        _storage.Append(entries);
        if (hardState is { } hs) _storage.SetHardState(hs);
    }

    private void Apply(IReadOnlyList<Entry> committed)
    {
        if (committed.Count == 0) return;
        var commands = new List<CommittedCommand>();
        foreach (var entry in committed)
        {
            if (entry.Type == EntryType.Normal && entry.Data.Length > 0)
            {
                commands.Add(new CommittedCommand(entry.Index, entry.Term, entry.Data));
                continue;
            }
            // Membership changes and the leader's no-op never reach the state machine; commands before them apply first.
            FlushCommands(commands);
            if (entry.Type == EntryType.ConfChange)
            {
                var change = ConfChange.Decode(entry.Data);
                var peers = PeerNodeCodec.Decode(change.Context);
                MergePeers(peers);
                var result = entry.Index > _stateMachine.AppliedIndex ? _stateMachine.ApplyMembership(entry.Index, change, peers) : null;
                _log.Info("[group {0}] membership change {1} applied at {2}: {3}", _spec.GroupId, change, entry.Index, result ?? "");
                _spec.SpawnOnApply?.Invoke(result);
                _pending.Applied(entry.Index, entry.Term, result);
                continue;
            }
            _pending.Applied(entry.Index, entry.Term, null);
        }
        FlushCommands(commands);
    }

    private void FlushCommands(List<CommittedCommand> commands)
    {
        if (commands.Count == 0) return;
        var results = _stateMachine.Apply(commands);
        for (var i = 0; i < commands.Count; i++)
        {
            if (_spec.SpawnOnApply?.Invoke(results[i]) is { } spawn)
            {
                _spawning.Add(spawn.GroupId);
                // The parent's leader campaigns first in the new group: it is the replica most likely up to date and its
                // store already routes the region's clients (TiKV lets the parent leader's peer campaign at once).
                _coordinator.Tell(spawn with { CampaignOnStart = Node.Role == StateRole.Leader }, Self);
            }
            _pending.Applied(commands[i].Index, commands[i].Term, results[i]);
        }
        commands.Clear();
    }

    private void ServeReads()
    {
        foreach (var (sender, query) in _pending.ReadsReadyAt(_appliedIndex))
        {
            object? value;
            try
            {
                value = query(_stateMachine);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.Refused, Node.Leader, $"read failed: {e.Message}"));
                continue;
            }
            sender.Tell(new ReadSucceeded(_spec.GroupId, value));
        }
    }

    private void OnSoftStateChanged(SoftState soft)
    {
        if (soft.Role != _lastRole)
        {
            _log.Info("[group {0}] replica {1} is now {2} (term {3}, leader {4})", _spec.GroupId, _spec.PeerId, soft.Role, Node.Term, soft.Leader);
            if (_lastRole == StateRole.Leader)
            {
                // Reads waiting on this replica can no longer be confirmed by it.
                foreach (var sender in _pending.DropReads()) sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, soft.Leader, "leadership lost"));
            }
            _lastRole = soft.Role;
        }
    }

    private void MaybeCompact()
    {
        // A snapshot numbered at or past the tombstone would hide it from recovery and bring the replica back.
        if (_destroying) return;
        var applied = _stateMachine.AppliedIndex;
        if (_spawning.Count > 0) return;
        SnapshotForNewPeer();
        if (_settings.SnapshotEveryEntries <= 0 || applied < _snapshotIndexInJournal + (ulong)_settings.SnapshotEveryEntries) return;
        var appliedInLog = Math.Min(applied, _storage.LastIndex());
        if (appliedInLog <= _storage.Snapshot().Metadata.Index) return;
        var raftSnapshot = _storage.CreateSnapshot(appliedInLog, Node.ConfState, _stateMachine.TakeSnapshot());
        var tail = appliedInLog < _storage.LastIndex() ? _storage.Entries(appliedInLog + 1, _storage.LastIndex() + 1, ulong.MaxValue) : [];
        SaveSnapshot(new RaftGroupSnapshot(raftSnapshot, tail, _storage.HardState, new Dictionary<ulong, ulong>(_peerNodes)));
        var compactTo = LogCompactionPoint(appliedInLog);
        if (compactTo > _storage.FirstIndex() - 1) _storage.Compact(compactTo);
        _snapshotIndexInJournal = appliedInLog;
        _log.Debug("[group {0}] snapshot at {1}, log compacted", _spec.GroupId, appliedInLog);
    }

    /// <summary>
    /// Where the in-memory log may be compacted to after a snapshot at <paramref name="appliedInLog"/>: a few entries are
    /// kept so slightly lagging followers catch up from the log, and a leader keeps what a recently active follower still
    /// needs — from its match, or from the snapshot it is being sent — up to follower-catch-up-log-bytes. Without that, a
    /// follower that took longer to receive a snapshot than the log took to grow past it would need another snapshot
    /// after every one, for ever.
    /// </summary>
    private ulong LogCompactionPoint(ulong appliedInLog)
    {
        var keep = (ulong)Math.Min(_settings.SnapshotEveryEntries / 4, 1000);
        var compactTo = appliedInLog > keep ? appliedInLog - keep : 0;
        if (Node.Role != StateRole.Leader) return compactTo;
        var needed = compactTo;
        foreach (var (peer, progress) in Node.Tracker.Progress)
        {
            if (peer == _spec.PeerId || !progress.Reachable) continue;
            var from = progress.State == ProgressState.Snapshot ? progress.PendingSnapshot : progress.Match;
            if (from > 0) needed = Math.Min(needed, from);
        }
        // Entries after `needed` must still be in the log (compacted at most to it) for keeping them to help.
        if (needed >= compactTo || needed + 1 < _storage.FirstIndex()) return compactTo;
        // Keep entries (needed, compactTo] only while they fit the budget; past it the follower gets a snapshot instead.
        ulong bytes = 0;
        foreach (var entry in _storage.Entries(needed + 1, compactTo + 1, ulong.MaxValue)) bytes += entry.Size;
        return bytes <= (ulong)_settings.FollowerCatchUpLogBytes ? needed : compactTo;
    }

    /// <summary>
    /// A replica added to the group is brought up by a snapshot, and a snapshot only installs on a replica its configuration
    /// includes (a newcomer ignores older ones). So the leader — the only replica that sends snapshots, after a restart or a
    /// leader change too — takes one in memory as soon as a member is missing from its latest snapshot's configuration:
    /// not journaled and no log compaction, because nothing but sending needs it, and writing the whole state once more on
    /// every replica would stall their journals.
    /// </summary>
    private void SnapshotForNewPeer()
    {
        if (Node.Role != StateRole.Leader) return;
        var covered = _storage.Snapshot().Metadata.ConfState;
        var current = Node.ConfState;
        if (current.Voters.Concat(current.Learners).All(m => covered.Voters.Contains(m) || covered.Learners.Contains(m)
            || covered.VotersOutgoing.Contains(m) || covered.LearnersNext.Contains(m))) return;
        var appliedInLog = Math.Min(_stateMachine.AppliedIndex, _storage.LastIndex());
        if (appliedInLog <= _storage.Snapshot().Metadata.Index) return;
        _storage.CreateSnapshot(appliedInLog, Node.ConfState, _stateMachine.TakeSnapshot());
        _log.Debug("[group {0}] snapshot at {1} for a joining peer (in memory)", _spec.GroupId, appliedInLog);
    }

    /// <summary>
    /// A snapshot sent inline that got no answer for a long time was lost (a dropped batch, a restart): let Raft send it
    /// again. A streamed one is judged by its stream instead (<see cref="OnSnapshotTransferUpdate"/>): a large snapshot
    /// may take longer than any fixed timeout, and restarting it from scratch each time means it never arrives.
    /// </summary>
    private void RetryLostSnapshots()
    {
        if (_snapshotSentAtTick.Count == 0) return;
        var timeoutTicks = _settings.ElectionTicks * 20;
        foreach (var (peer, sentAt) in _snapshotSentAtTick.ToList())
        {
            var stillWaiting = Node.Role == StateRole.Leader && Node.Tracker.Progress.TryGetValue(peer, out var progress) && progress.State == ProgressState.Snapshot;
            if (!stillWaiting)
            {
                _snapshotSentAtTick.Remove(peer);
                _snapshotStreaming.Remove(peer);
            }
            else if (_snapshotStreaming.Contains(peer))
            {
                _snapshotSentAtTick[peer] = _ticks;
            }
            else if (_ticks - sentAt > timeoutTicks)
            {
                _log.Warning("[group {0}] snapshot to peer {1} unanswered for {2} ticks: sending it again", _spec.GroupId, peer, timeoutTicks);
                Node.ReportSnapshot(peer, succeeded: false);
                _snapshotSentAtTick.Remove(peer);
            }
        }
    }

    private void OnSnapshotTransferUpdate(SnapshotTransferUpdate update)
    {
        var peer = _peerNodes.FirstOrDefault(p => p.Value == update.ToNode && p.Key != _spec.PeerId).Key;
        if (peer == 0 || !_snapshotSentAtTick.ContainsKey(peer)) return;
        switch (update.State)
        {
            case SnapshotTransferState.Queued or SnapshotTransferState.Sending:
                _snapshotStreaming.Add(peer);
                break;
            case SnapshotTransferState.Completed:
                // Every chunk arrived (etcd's SnapshotFinish): Raft probes on from the snapshot. The follower may still be
                // behind the log's start then, when the log grew past the snapshot meanwhile: it gets the next one at once.
                _snapshotStreaming.Remove(peer);
                _snapshotSentAtTick.Remove(peer);
                Node.ReportSnapshot(peer, succeeded: true);
                break;
            case SnapshotTransferState.Abandoned or SnapshotTransferState.Rejected:
                _log.Warning("[group {0}] snapshot stream to peer {1} {2}: sending it again", _spec.GroupId, peer, update.State);
                _snapshotStreaming.Remove(peer);
                _snapshotSentAtTick.Remove(peer);
                Node.ReportSnapshot(peer, succeeded: false);
                break;
            // Superseded: a newer snapshot to the same peer is streaming and reports for itself.
        }
    }

    private void SendMessages(IReadOnlyList<Message> messages)
    {
        if (messages.Count == 0) return;
        var resolved = new List<(ulong, GroupMessage)>(messages.Count);
        foreach (var m in messages)
        {
            if (m.Type == MessageType.Snapshot) _snapshotSentAtTick[m.To] = _ticks;
            if (_peerNodes.TryGetValue(m.To, out var node)) resolved.Add((node, new GroupMessage(_spec.GroupId, m)));
            else _log.Warning("[group {0}] no node known for peer {1}; {2} not sent", _spec.GroupId, m.To, m.Type);
        }
        if (resolved.Count > 0) _coordinator.Tell(new OutboundRaftMessages(resolved));
    }

    private void MergePeers(IReadOnlyDictionary<ulong, ulong> peers)
    {
        foreach (var (peer, node) in peers) _peerNodes[peer] = node;
    }

    // Client requests are activity: a group being read from or written to stays awake.
    private void WakeForRequest()
    {
        _idleTicks = 0;
        Wake();
    }

    // Raft traffic wakes a sleeping replica but is not activity: heartbeats alone must not keep a group awake.
    private void Wake()
    {
        if (!_hibernating) return;
        _hibernating = false;
        // Asleep there were no ticks and so no CheckQuorum: a lease read waits until a quorum answers again.
        _node?.SuspendLease();
        _coordinator.Tell(new GroupAwake(_spec.GroupId));
    }

    private void Hibernate()
    {
        if (_hibernating) return;
        _hibernating = true;
        _coordinator.Tell(new GroupHibernated(_spec.GroupId));
    }

    // Activity is a change of log, commit, term or role; heartbeats alone are idleness.
    private void TrackActivity()
    {
        var mark = (Node.LastIndex, Node.Committed, Node.Term, Node.Role);
        if (mark != _activityMark)
        {
            _activityMark = mark;
            _idleTicks = 0;
            return;
        }
        _idleTicks++;
    }

    /// <summary>
    /// The leader of a settled group puts it to sleep: it sends every follower a heartbeat marked "hibernate"
    /// (followers of that leader stop ticking on receipt) and stops ticking itself. Any proposal, read or real
    /// Raft message wakes a replica; a node becoming unreachable wakes every group of the observing node.
    /// </summary>
    private void MaybeHibernate()
    {
        if (_settings.HibernateAfterTicks <= 0 || _idleTicks < _settings.HibernateAfterTicks) return;
        if (!CanHibernate()) return;
        var signals = new List<(ulong, GroupMessage)>();
        foreach (var (peer, progress) in Node.Tracker.Progress)
        {
            if (peer == _spec.PeerId || !_peerNodes.TryGetValue(peer, out var node)) continue;
            signals.Add((node, new GroupMessage(_spec.GroupId, new Message
            {
                Type = MessageType.Heartbeat, From = _spec.PeerId, To = peer, Term = Node.Term,
                Commit = Math.Min(progress.Match, Node.Committed), Context = HibernateMarker,
            })));
        }
        if (signals.Count > 0) _coordinator.Tell(new OutboundRaftMessages(signals));
        Hibernate();
        _log.Debug("[group {0}] hibernating after {1} idle ticks", _spec.GroupId, _idleTicks);
    }

    // Only the leader of a settled group initiates sleep: every follower has everything and nothing waits.
    private bool CanHibernate()
    {
        if (Node.Role != StateRole.Leader || _pending.Count > 0) return false;
        if (Node.Committed != Node.LastIndex || Node.Applied != Node.Committed) return false;
        return Node.Tracker.Progress.Values.All(p => p.Match == Node.LastIndex);
    }

    private GroupStatus Status() => _node is null
        ? new GroupStatus(_spec.GroupId, _spec.PeerId, StateRole.Follower, 0, 0, 0, 0, 0, 0, _hibernating, ConfState.Empty, new Dictionary<ulong, ulong>(_peerNodes))
        : new GroupStatus(_spec.GroupId, _spec.PeerId, _node.Role, _node.Term, _node.Leader, _node.Committed, _appliedIndex,
            _node.FirstIndex, _node.LastIndex, _hibernating, _node.ConfState, new Dictionary<ulong, ulong>(_peerNodes))
        {
            Matched = _node.Role == StateRole.Leader ? _node.Tracker.Progress.ToDictionary(p => p.Key, p => p.Value.Match) : new Dictionary<ulong, ulong>(),
        };

    /// <summary>
    /// The region moved away from this replica: a tombstone is journaled (so a late create or message cannot bring it back),
    /// then everything before it and every snapshot are deleted and the replica is removed from its node.
    /// </summary>
    private void Destroy(DestroyGroup destroy, IActorRef requester)
    {
        if (_node is not null && _node.ConfState.Voters.Contains(_spec.PeerId) && !destroy.Force)
        {
            requester.Tell(new GroupDestroyed(_spec.GroupId, _spec.PeerId, Destroyed: false, $"replica {_spec.PeerId} is still a voter of {_node.ConfState}"));
            return;
        }
        _destroying = true;
        FailAllPending("replica destroyed");
        Persist(new GroupTombstone(_spec.PeerId), _ =>
        {
            DeleteMessages(LastSequenceNr - 1);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            _tombstoned = true;
            _log.Info("[group {0}] replica {1} destroyed: journal and snapshots deleted, tombstone kept", _spec.GroupId, _spec.PeerId);
            requester.Tell(new GroupDestroyed(_spec.GroupId, _spec.PeerId, Destroyed: true, "destroyed"));
            _coordinator.Tell(new GroupCreated(_spec.GroupId, _spec.PeerId) { Tombstoned = true });
        });
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "[group {0}] journal write {1} failed; replica stops and restarts from the journal", _spec.GroupId, sequenceNr);
        FailAllPending("journal write failed");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "[group {0}] journal rejected write {1}; replica stops", _spec.GroupId, sequenceNr);
        FailAllPending("journal rejected a write");
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "[group {0}] recovery failed (corrupt or unreadable journal): replica does not start", _spec.GroupId);
        base.OnRecoveryFailure(reason, message);
    }

    private void FailAllPending(string why)
    {
        var (proposers, readers) = _pending.DropAll();
        // An accepted entry may already be on followers (the leader sends before its own write), so it may still commit.
        foreach (var sender in proposers) sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.OutcomeUnknown, 0, $"{why}; outcome unknown"));
        foreach (var sender in readers) sender.Tell(new ProposeFailed(_spec.GroupId, RaftFailure.Dropped, 0, $"{why}; read not served"));
    }
}
