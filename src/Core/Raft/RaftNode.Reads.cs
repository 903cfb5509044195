namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    private readonly PendingReads _pendingReads;
    private readonly List<(ulong From, byte[] Context)> _readIndexWaitingForCommit = [];
    private readonly List<ReadState> _readStates = [];
    // Lease (LeaseBased mode): held only once a quorum answered a heartbeat sent after this replica became leader and
    // after the last SuspendLease; bumping the generation marks heartbeats sent before a suspension as too old to count.
    private bool _leaseConfirmed;
    private ulong _leaseGeneration;
    // A TimeoutNow lets its receiver campaign past the peers' leases, at any time later in this term (it may be delayed).
    private bool _timeoutNowSentThisTerm;

    /// <summary>
    /// True when this leader may answer a read index from its lease, without a heartbeat round: lease mode, a quorum
    /// confirmed it since the election and the last <see cref="SuspendLease"/>, and no leader transfer was started this term.
    /// </summary>
    public bool LeaseHeld => Role == StateRole.Leader && _config.ReadOnlyMode == ReadOnlyMode.LeaseBased && _leaseConfirmed
        && LeadTransferee == 0 && !_timeoutNowSentThisTerm;

    /// <summary>
    /// The lease must be renewed before it serves reads again: call it when the group wakes from hibernation (no ticks
    /// meant no CheckQuorum, so a new leader may have been elected meanwhile). Until a quorum answers a heartbeat sent
    /// after this call, reads take a heartbeat round as in safe mode.
    /// </summary>
    public void SuspendLease()
    {
        _leaseConfirmed = false;
        _leaseGeneration++;
    }

    /// <summary>
    /// Requests a linearizable read position for <paramref name="context"/> (§6.4). The answer arrives as a
    /// <see cref="ReadState"/> in a later Ready; serve the read once the state machine has applied its index.
    /// </summary>
    public ProposeResult ReadIndex(byte[] context)
    {
        if (context.Length == 0) throw new ArgumentException("read context must not be empty", nameof(context));
        if (Role == StateRole.Leader)
        {
            var step = HandleReadIndexRequest(Id, context);
            return step.Status == StepStatus.Processed
                ? ProposeResult.Ok(_log.Committed, Term)
                : ProposeResult.Refused(RefusalReason.Busy, Id, step.Reason!);
        }
        if (Leader == 0) return ProposeResult.Refused(RefusalReason.NoLeader, 0, $"replica {Id} knows no leader");
        Send(new Message { Type = MessageType.ReadIndex, To = Leader, From = Id, Term = Term, Context = context }, afterPersist: false);
        return ProposeResult.Ok(0, Term);
    }

    private StepResult HandleReadIndexRequest(ulong from, byte[] context)
    {
        if (from != Id && !Tracker.Progress.ContainsKey(from)) return StepResult.Ignore($"read index from non-member {from}");
        if (_pendingReads.Full || _readIndexWaitingForCommit.Count >= _config.MaxPendingReads)
        {
            return StepResult.Ignore($"{_config.MaxPendingReads} reads are already waiting");
        }
        if (!CommittedInCurrentTerm())
        {
            // §6.4: the read index is only valid once an entry of this term has committed.
            _readIndexWaitingForCommit.Add((from, context));
            return StepResult.Processed;
        }
        ServeReadIndex(from, context);
        return StepResult.Processed;
    }

    private bool CommittedInCurrentTerm() => _log.Term(_log.Committed) == Term;

    private void ServeReadIndex(ulong from, byte[] context)
    {
        var index = _log.Committed;
        if (Tracker.IsSingleton(Id) || LeaseHeld)
        {
            RespondRead(from, index, context);
            return;
        }
        // Safe mode, or a lease not (yet) held: confirm leadership with a heartbeat round.
        _pendingReads.Add(index, from, context, Id, _leaseGeneration);
        BroadcastHeartbeat(context);
    }

    private void ConfirmReads(ulong from, byte[] context)
    {
        var acks = _pendingReads.Ack(from, context);
        if (acks is null) return;
        if (Quorum.JointVote(Tracker.Config.Voters, Tracker.Config.VotersOutgoing, id => acks.Contains(id) ? true : null) != VoteResult.Won) return;
        var released = _pendingReads.ReleaseThrough(context);
        // The confirmed request is the last released; only its heartbeats are known to have left after the last suspension.
        if (released.Count > 0 && released[^1].LeaseGeneration == _leaseGeneration) _leaseConfirmed = true;
        foreach (var request in released) RespondRead(request.From, request.Index, request.Context);
    }

    private void RespondRead(ulong to, ulong index, byte[] context)
    {
        if (to == Id)
        {
            AddReadState(new ReadState(index, context));
            return;
        }
        Send(new Message { Type = MessageType.ReadIndexResponse, To = to, From = Id, Term = Term, Index = index, Context = context }, afterPersist: false);
    }

    private void AddReadState(ReadState state)
    {
        // Bounded by MaxPendingReads per Ready: the runtime drains read states on every Ready.
        if (_readStates.Count >= _config.MaxPendingReads) _readStates.RemoveAt(0);
        _readStates.Add(state);
    }

    private void ReleaseReadIndexWaitingForCommit()
    {
        if (_readIndexWaitingForCommit.Count == 0 || !CommittedInCurrentTerm()) return;
        var waiting = _readIndexWaitingForCommit.ToList();
        _readIndexWaitingForCommit.Clear();
        foreach (var (from, context) in waiting) ServeReadIndex(from, context);
    }
}
