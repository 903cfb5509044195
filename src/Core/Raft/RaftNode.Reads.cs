namespace AkkaRaft.Core.Raft;

public sealed partial class RaftNode
{
    private readonly PendingReads _pendingReads;
    private readonly List<(ulong From, byte[] Context)> _readIndexWaitingForCommit = [];
    private readonly List<ReadState> _readStates = [];

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
        if (Tracker.IsSingleton(Id) || _config.ReadOnlyMode == ReadOnlyMode.LeaseBased)
        {
            RespondRead(from, index, context);
            return;
        }
        _pendingReads.Add(index, from, context, Id);
        BroadcastHeartbeat(context);
    }

    private void ConfirmReads(ulong from, byte[] context)
    {
        var acks = _pendingReads.Ack(from, context);
        if (acks is null) return;
        if (Quorum.JointVote(Tracker.Config.Voters, Tracker.Config.VotersOutgoing, id => acks.Contains(id) ? true : null) != VoteResult.Won) return;
        foreach (var request in _pendingReads.ReleaseThrough(context)) RespondRead(request.From, request.Index, request.Context);
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
