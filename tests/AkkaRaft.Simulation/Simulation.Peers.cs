using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>The simulator as the replicas' host: it starts peers from their journal and carries out their effects as the group actor does.</summary>
public sealed partial class Simulation
{
    /// <summary>Starts an incarnation: a fresh peer and state machine recover from the durable journal, as the group actor does.</summary>
    private void Start(SimulatedReplica replica)
    {
        var group = GroupOf(replica);
        replica.Incarnation++;
        replica.Asleep = false;
        replica.AwakeTicks = 0;
        var options = new PeerOptions
        {
            Raft = new RaftConfig
            {
                Id = replica.Id,
                ElectionTicks = RuntimeSettings.ElectionTicks,
                HeartbeatTicks = _runtime.HeartbeatTicks,
                RandomSeed = _random.Next(),
                MaxSizePerMessage = 256,
                MaxInflightMessages = 4,
                PreVote = _options.PreVote,
                CheckQuorum = _options.CheckQuorum,
                MaxPendingReads = _runtime.MaxPendingReads,
                MaxApplyBytes = _runtime.MaxApplyBytes,
            },
            HibernateAfterTicks = _runtime.HibernateAfterTicks,
            SnapshotEveryEntries = _runtime.SnapshotEveryEntries,
            FollowerCatchUpLogBytes = _runtime.FollowerCatchUpLogBytes,
            MaxPendingProposals = _runtime.MaxPendingProposals,
            MaxPendingReads = _runtime.MaxPendingReads,
            DebugEnabled = Tracing,
        };
        var machine = new SimulatedStateMachine(group, replica);
        var peer = new RaftPeer<ulong>((ulong)replica.Node, replica.Spec, options, machine);
        replica.Machine = machine;
        replica.Peer = peer;
        var journal = replica.Journal;
        var from = 0L;
        if (journal.Snapshots.Count > 0)
        {
            var (sequenceNr, snapshot) = journal.Snapshots[^1];
            Execute(replica, peer.RecoverSnapshot(snapshot, sequenceNr));
            from = sequenceNr;
        }
        foreach (var (sequenceNr, @event) in journal.Events.Where(e => e.SequenceNr > from).ToList())
        {
            Execute(replica, @event switch
            {
                RaftLogWritten written => peer.RecoverWrite(written),
                GroupTombstone => peer.RecoverTombstone(),
                _ => throw new InvariantViolationException($"{replica}: unknown journal event {@event}"),
            });
        }
        Execute(replica, peer.RecoveryCompleted(journalEmpty: journal.HighestDurable == 0));
        if (journal.HasDurableTombstone && peer.Raft is not null)
        {
            throw new InvariantViolationException($"[group {group.Id}] tombstone: {replica} runs again although its tombstone is durable");
        }
        replica.CommittedSeen = peer.Raft?.Committed ?? 0;
    }

    /// <summary>Carries out a replica's effects as the group actor does, checking what only the host can see.</summary>
    private void Execute(SimulatedReplica replica, IReadOnlyList<PeerEffect> effects)
    {
        var group = GroupOf(replica);
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case PersistEvent write:
                    if (replica.Journal.HasDurableTombstone || replica.Journal.HasTombstoneInFlight)
                    {
                        throw new InvariantViolationException($"[group {group.Id}] tombstone: {replica} writes {write.Event.GetType().Name} after its tombstone");
                    }
                    if (write.Event is RaftLogWritten written) InvariantChecker.CheckEntriesWritten(group, replica, written.Entries);
                    replica.Journal.InFlight.Add((++replica.Journal.LastSequenceNr, write));
                    Count(write.Event is GroupTombstone ? "journal.tombstones" : "journal.writes");
                    break;
                case SendRaftMessages send:
                    if (replica.Gone) throw new InvariantViolationException($"[group {group.Id}] tombstone: {replica} sends after its tombstone");
                    foreach (var (node, message) in send.Messages) Send(group, replica, (int)node, message.Message);
                    break;
                case ReplyTo<ulong> reply:
                    if (!_requests.TryGetValue(reply.Requester, out var request))
                    {
                        throw new InvariantViolationException($"[group {group.Id}] {replica} answers request {reply.Requester} nobody made");
                    }
                    if (Tracing) Log($"{replica} answers {request}: {reply.Answer}");
                    InvariantChecker.CheckAnswer(group, replica, request, reply.Answer);
                    Count($"{request.Kind.ToString().ToLowerInvariant()}.{Outcome(reply.Answer)}");
                    break;
                case SaveGroupSnapshot save:
                    replica.Journal.SnapshotsInFlight.Add((replica.Journal.LastSequenceNr, save.Snapshot));
                    Count("journal.snapshots");
                    break;
                case DeleteJournal delete:
                    replica.Journal.Events.RemoveAll(e => e.SequenceNr <= delete.ToSequenceNr);
                    Execute(replica, replica.Peer!.JournalDeleted(delete.ToSequenceNr));
                    break;
                case DeleteSavedSnapshots delete:
                    replica.Journal.Snapshots.RemoveAll(s => s.SequenceNr <= delete.ToSequenceNr);
                    break;
                case ReportStarted { Tombstoned: true } when !replica.Journal.HasDurableTombstone:
                    throw new InvariantViolationException($"[group {group.Id}] tombstone: {replica} reports itself destroyed without a durable tombstone");
                case ReportStarted started:
                    if (started.Tombstoned) Count("tombstone.reports");
                    if (Tracing) Log($"{replica} {(started.Tombstoned ? "is destroyed (tombstone)" : $"runs: {replica.Raft}")}");
                    break;
                case ReportHibernation hibernation:
                    replica.Asleep = hibernation.Asleep;
                    Count(hibernation.Asleep ? "hibernation.sleeps" : "hibernation.wakes");
                    if (Tracing) Log($"{replica} {(hibernation.Asleep ? "hibernates" : "wakes up")}");
                    break;
                case ScheduleReadFlush:
                    // The actor tells itself: the flush comes after what is already in its mailbox (this step's ticks and deliveries).
                    _readFlushes.Add((replica, replica.Incarnation));
                    break;
                case LogLine line:
                    if (Tracing) Log($"{replica} {line.Level}: {line.Text}");
                    break;
                default:
                    throw new InvariantViolationException($"[group {group.Id}] {replica} asks for an effect the simulator does not expect: {effect}");
            }
        }
    }

    /// <summary>The journal completes writes in order, each step with the seed's chance; a durable write goes back to the peer.</summary>
    private void CompleteWrites(SimulatedGroup group, SimulatedReplica replica, double chance)
    {
        var journal = replica.Journal;
        for (var rounds = 0; replica.Peer is not null && journal.InFlight.Count > 0; rounds++)
        {
            if (rounds > 1000) throw new InvariantViolationException($"[group {group.Id}] {replica} writes without end");
            if (_random.NextDouble() >= chance) break;
            var (sequenceNr, write) = journal.InFlight[0];
            journal.InFlight.RemoveAt(0);
            if (write.Event is RaftLogWritten { HardState: { } hardState })
            {
                InvariantChecker.CheckDurableHardState(group, replica, journal.DurableHardState, hardState);
                journal.DurableHardState = hardState;
            }
            journal.Events.Add((sequenceNr, write.Event));
            journal.HighestDurable = sequenceNr;
            if (Tracing && write.Event is GroupTombstone) Log($"{replica} tombstone durable at {sequenceNr}");
            Execute(replica, replica.Peer.Persisted(write.WriteId, sequenceNr));
        }
        while (replica.Peer is not null && journal.SnapshotsInFlight.Count > 0 && _random.NextDouble() < chance)
        {
            var (sequenceNr, snapshot) = journal.SnapshotsInFlight[0];
            journal.SnapshotsInFlight.RemoveAt(0);
            journal.Snapshots.Add((sequenceNr, snapshot));
            Execute(replica, replica.Peer.SnapshotSaved(sequenceNr));
        }
    }

    /// <summary>Runs the read flushes replicas asked for this step, skipping incarnations that crashed meanwhile.</summary>
    private void FlushReads()
    {
        var due = _readFlushes.ToList();
        _readFlushes.Clear();
        foreach (var (replica, incarnation) in due)
        {
            if (replica.Peer is null || replica.Incarnation != incarnation) continue;
            Count("read.flushes");
            Execute(replica, replica.Peer.FlushReads());
        }
    }

    private ClientRequest NewRequest(RequestKind kind, SimulatedReplica replica, ulong payloadHash = 0, ulong readFloor = 0)
    {
        var request = new ClientRequest(_nextRequest++, kind, replica, _step) { PayloadHash = payloadHash, ReadFloor = readFloor };
        _requests[request.Id] = request;
        _unanswered.Add(request);
        return request;
    }

    private void CheckRequestDeadlines()
    {
        var deadline = RuntimeSettings.ElectionTicks * 5;
        foreach (var lost in _unanswered.Where(r => r.Answer is null && r.Lost)) Count($"{lost.Kind.ToString().ToLowerInvariant()}.lost");
        _unanswered.RemoveAll(r => r.Answer is not null || r.Lost);
        foreach (var request in _unanswered) InvariantChecker.CheckAnswerDeadline(GroupOf(request.Replica), request, deadline);
    }
}
