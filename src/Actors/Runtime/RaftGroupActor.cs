using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// One replica of one Raft group on Akka: a thin shell over a <see cref="RaftPeer{TReplyTo}"/>. It turns Akka messages
/// and journal callbacks into peer inputs and carries out the peer's effects: Persist/PersistAsync (one journal event
/// per Ready), Tell (to the coordinator and to requesters), SaveSnapshot, DeleteMessages, DeleteSnapshots. Recovery
/// feeds the Akka snapshot and the journal to the peer.
/// </summary>
internal sealed class RaftGroupActor : UntypedPersistentActor
{
    private readonly CreateGroup _spec;
    private readonly IActorRef _coordinator;
    // Created at the first line logged: an adapter (and its log source string) per replica is a few hundred bytes
    // that most replicas, idle, never use.
    private ILoggingAdapter? _log;
    private readonly RaftPeer<IActorRef> _peer;

    /// <summary>Props for a replica hosted by the coordinator of <paramref name="nodeId"/>.</summary>
    public static Props Props(ulong nodeId, CreateGroup spec, RaftSettings settings, IActorRef coordinator) =>
        Akka.Actor.Props.Create(() => new RaftGroupActor(nodeId, spec, settings, coordinator));

    /// <summary>Creates the actor; state is recovered before any command is handled.</summary>
    public RaftGroupActor(ulong nodeId, CreateGroup spec, RaftSettings settings, IActorRef coordinator)
    {
        _spec = spec;
        _coordinator = coordinator;
        // Different replicas (and restarts) get different election timeouts.
        var seed = HashCode.Combine(nodeId, spec.GroupId, spec.PeerId, Environment.TickCount);
        _peer = new RaftPeer<IActorRef>(nodeId, spec, PeerOptions.From(settings, spec.PeerId, seed, Context.System.Log.IsDebugEnabled), spec.StateMachineFactory());
        PersistenceId = $"raft-{nodeId}-{spec.GroupId}-{spec.PeerId}";
        JournalPluginId = settings.JournalPluginId;
        SnapshotPluginId = settings.SnapshotPluginId;
    }

    private ILoggingAdapter GroupLog => _log ??= Log.WithContext("group", _spec.GroupId);

    /// <inheritdoc />
    /// <remarks>
    /// The peer id is part of it: a replica re-added to a node after a move away gets a new peer id and so a fresh journal,
    /// never the tombstoned one of its predecessor.
    /// </remarks>
    public override string PersistenceId { get; }

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: RaftGroupSnapshot snapshot } offer:
                Execute(_peer.RecoverSnapshot(snapshot, offer.Metadata.SequenceNr));
                break;
            case RaftLogWritten written:
                Execute(_peer.RecoverWrite(written));
                break;
            case GroupTombstone:
                Execute(_peer.RecoverTombstone());
                break;
            case RecoveryCompleted:
                Execute(_peer.RecoveryCompleted(journalEmpty: LastSequenceNr == 0));
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case GroupTick:
                Execute(_peer.Tick());
                break;
            case InboundRaftMessage inbound:
                Execute(_peer.Step(inbound.FromNode, inbound.Message));
                break;
            case Propose propose:
                Execute(_peer.Propose(propose.Data, Sender));
                break;
            case ProposeMembership change:
                Execute(_peer.ProposeMembership(change.Change, change.PeerNodes, Sender));
                break;
            case ReadRequest read:
                Execute(_peer.Read(read.Query, Sender));
                break;
            case FlushReadBatch:
                Execute(_peer.FlushReads());
                break;
            case TransferLeadership transfer:
                Execute(_peer.TransferLeadership(transfer.TransfereePeer, Sender));
                break;
            case WakeUp:
                Execute(_peer.Wake());
                break;
            case PeerNodeLost lost:
                Execute(_peer.NodeLost(lost.NodeId));
                break;
            case GetGroupStatus:
                Sender.Tell(_peer.Status());
                break;
            case PeekState peek:
                Sender.Tell(_peer.Peek(peek.Query));
                break;
            case DestroyGroup destroy:
                Execute(_peer.Destroy(destroy.Force, Sender));
                break;
            case SnapshotTransferUpdate update:
                Execute(_peer.SnapshotTransferUpdate(update.ToNode, update.State));
                break;
            case GroupCreated spawned:
                Execute(_peer.SpawnedGroupStarted(spawned.GroupId));
                break;
            case SaveSnapshotSuccess success:
                Execute(_peer.SnapshotSaved(success.Metadata.SequenceNr));
                break;
            case SaveSnapshotFailure failure:
                GroupLog.Warning("[group {0}] snapshot failed, journal kept: {1}", _spec.GroupId, failure.Cause.Message);
                break;
            case DeleteMessagesSuccess deleted:
                Execute(_peer.JournalDeleted(deleted.ToSequenceNr));
                break;
            case DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure deleteFailure:
                GroupLog.Warning("[group {0}] journal compaction failed: {1}", _spec.GroupId, deleteFailure.Cause.Message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Execute(IReadOnlyList<PeerEffect> effects)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case SendRaftMessages send:
                    _coordinator.Tell(new OutboundRaftMessages(send.Messages));
                    break;
                case ReplyTo<IActorRef> reply:
                    reply.Requester.Tell(reply.Answer);
                    break;
                case PersistEvent write:
                    MakeDurable(write);
                    break;
                case SaveGroupSnapshot save:
                    SaveSnapshot(save.Snapshot);
                    break;
                case DeleteJournal delete:
                    DeleteMessages(delete.ToSequenceNr);
                    break;
                case DeleteSavedSnapshots delete:
                    DeleteSnapshots(delete.ToSequenceNr == long.MaxValue ? SnapshotSelectionCriteria.Latest : new SnapshotSelectionCriteria(delete.ToSequenceNr));
                    break;
                case SpawnGroup spawn:
                    // The coordinator answers GroupCreated to this actor once the new group runs.
                    _coordinator.Tell(spawn.Spec, Self);
                    break;
                case ReportStarted started:
                    _coordinator.Tell(new GroupCreated(_spec.GroupId, _spec.PeerId) { Tombstoned = started.Tombstoned });
                    break;
                case ReportHibernation { Asleep: true }:
                    _coordinator.Tell(new GroupHibernated(_spec.GroupId));
                    break;
                case ReportHibernation:
                    _coordinator.Tell(new GroupAwake(_spec.GroupId));
                    break;
                case ScheduleReadFlush:
                    // Behind the messages already in the mailbox: reads among them join this batch.
                    Self.Tell(FlushReadBatch.Instance);
                    break;
                case LogLine line:
                    WriteLog(line);
                    break;
                default:
                    // Invariant: every effect the peer can ask for is carried out here.
                    throw new InvalidOperationException($"[group {_spec.GroupId}] unknown peer effect {effect}");
            }
        }
    }

    // Self-sent flush point of the read batch (see ScheduleReadFlush).
    private sealed record FlushReadBatch : INoSerializationVerificationNeeded
    {
        public static readonly FlushReadBatch Instance = new();
    }

    private void MakeDurable(PersistEvent write)
    {
        // Akka numbers an event when its write batch goes to the journal, not when it is handed to Persist; inside the
        // handler LastSequenceNr is that event's own number.
        if (write.InputsWait)
        {
            // Commands are stashed until the write is durable.
            Persist(write.Event, _ => Execute(_peer.Persisted(write.WriteId, LastSequenceNr)));
        }
        else
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var entries = (write.Event as RaftLogWritten)?.Entries.Count ?? 0;
            // PersistAsync keeps commands flowing during the write; they join the next Ready (group commit).
            PersistAsync(write.Event, _ =>
            {
                RaftMetrics.JournalWriteLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, RaftMetrics.Group(_spec.GroupId));
                if (entries > 0) RaftMetrics.EntriesPerWrite.Record(entries, RaftMetrics.Group(_spec.GroupId));
                Execute(_peer.Persisted(write.WriteId, LastSequenceNr));
            });
        }
    }

    private void WriteLog(LogLine line)
    {
        // Every replica logs its start at Info: with Info off that must not create its adapter.
        var level = line.Level switch
        {
            PeerLogLevel.Debug => LogLevel.DebugLevel,
            PeerLogLevel.Info => LogLevel.InfoLevel,
            PeerLogLevel.Warning => LogLevel.WarningLevel,
            _ => LogLevel.ErrorLevel,
        };
        if (!Log.IsEnabled(level)) return;
        switch (line.Level)
        {
            case PeerLogLevel.Debug: GroupLog.Debug("{0}", line.Text); break;
            case PeerLogLevel.Info: GroupLog.Info("{0}", line.Text); break;
            case PeerLogLevel.Warning: GroupLog.Warning("{0}", line.Text); break;
            default: GroupLog.Error("{0}", line.Text); break;
        }
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        GroupLog.Error(cause, "[group {0}] journal write {1} failed; replica stops and restarts from the journal", _spec.GroupId, sequenceNr);
        Execute(_peer.WriteFailed("journal write failed"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        GroupLog.Error(cause, "[group {0}] journal rejected write {1}; replica stops", _spec.GroupId, sequenceNr);
        Execute(_peer.WriteFailed("journal rejected a write"));
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        // The replica stops; the coordinator starts it again from the journal after a backoff (RaftGroupSupervision).
        if (reason is Akka.Pattern.OpenCircuitException or TimeoutException)
            GroupLog.Warning("[group {0}] journal unavailable during recovery ({1}): the replica retries after a backoff", _spec.GroupId, reason.Message);
        else
            GroupLog.Error(reason, "[group {0}] recovery failed (corrupt or unreadable journal): the replica retries after a backoff", _spec.GroupId);
        base.OnRecoveryFailure(reason, message);
    }
}
