namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    private ulong _pendingConfIndex;
    private ulong _uncommittedBytes;

    private void BecomeLeader()
    {
        // Invariant: only a candidate that won becomes leader.
        if (Role == StateRole.Follower) throw new InvalidOperationException("invalid transition [follower -> leader]");
        var voted = Tracker.Votes.Where(v => v.Value).Select(v => v.Key).ToList();
        Reset(Term);
        // The voters that just granted their votes were heard from: a membership change right after the election needs no wait.
        foreach (var id in voted)
        {
            if (Tracker.Progress.TryGetValue(id, out var granted)) granted.RecentActive = true;
        }
        Leader = Id;
        Role = StateRole.Leader;
        var self = Tracker.Progress[Id];
        self.BecomeReplicate();
        self.RecentActive = true;
        self.Match = StableLastIndex();
        // Conservatively treat any unapplied entry as a possible conf change (etcd does the same).
        _pendingConfIndex = _log.LastIndex();
        // §8: a no-op of the new term lets earlier entries commit (§5.4.2) and read index start.
        AppendEntries([Entry.Normal(0, 0)]);
    }

    /// <summary>Proposes a client command. Only the leader accepts; others answer NotLeader with a hint.</summary>
    public ProposeResult Propose(byte[] data)
    {
        if (Role != StateRole.Leader) return ProposeResult.Refused(RefusalReason.NotLeader, Leader, $"replica {Id} is not the leader");
        if (LeadTransferee != 0) return ProposeResult.Refused(RefusalReason.TransferInProgress, LeadTransferee, $"leadership is moving to {LeadTransferee}");
        if ((ulong)data.Length > _config.MaxProposalBytes)
        {
            return ProposeResult.Refused(RefusalReason.TooLarge, Id, $"proposal of {data.Length} bytes exceeds the limit of {_config.MaxProposalBytes}");
        }
        if (!Tracker.Progress.ContainsKey(Id)) return ProposeResult.Refused(RefusalReason.NotLeader, 0, $"replica {Id} was removed from the group");
        var entry = new Entry(Term, _log.LastIndex() + 1, EntryType.Normal, data);
        if (!WithinUncommittedLimit(entry)) return ProposeResult.Refused(RefusalReason.Busy, Id, $"more than {_config.MaxUncommittedBytes} bytes are waiting to commit");
        AppendEntries([entry]);
        BroadcastAppend();
        return ProposeResult.Ok(entry.Index, entry.Term);
    }

    private bool WithinUncommittedLimit(Entry entry)
    {
        if (_config.MaxUncommittedBytes == 0 || _uncommittedBytes == 0) return true; // always allow one, so large entries make progress
        return _uncommittedBytes + (ulong)entry.Data.Length <= _config.MaxUncommittedBytes;
    }

    private void AppendEntries(IReadOnlyList<Entry> entries)
    {
        var last = _log.LastIndex();
        var stamped = new List<Entry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            stamped.Add(entries[i] with { Term = Term, Index = last + 1 + (ulong)i });
            _uncommittedBytes += (ulong)entries[i].Data.Length;
        }
        _log.Append(stamped);
        // The leader's own entries count towards commit only once durable (acknowledged in Advance).
    }

    private StepResult StepLeader(Message m)
    {
        if (m.Type == MessageType.ReadIndex)
        {
            return HandleReadIndexRequest(m.From, m.Context);
        }
        if (!Tracker.Progress.TryGetValue(m.From, out var progress))
        {
            return StepResult.Ignore($"{m.Type} from {m.From}, which is not a member ({Tracker.Config})");
        }
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                if (!m.Reject && m.Index > _log.LastIndex())
                {
                    // A peer cannot have more of our log than we do: trusting it would push Match past the log and break SendAppend.
                    return StepResult.Ignore($"{m.From} acknowledged index {m.Index} beyond our last index {_log.LastIndex()}");
                }
                progress.RecentActive = true;
                HandleAppendResponse(m, progress);
                return StepResult.Processed;
            case MessageType.HeartbeatResponse:
                progress.RecentActive = true;
                progress.ProbeSent = false;
                // Appends lost on the wire never free their slots: free one so a full window cannot stall the follower forever (etcd does the same).
                if (progress.State == ProgressState.Replicate && progress.Inflights.Full) progress.Inflights.FreeFirstOne();
                if (progress.Match < _log.LastIndex()) SendAppend(m.From);
                // Lease mode confirms reads this way too while the lease is not held.
                if (m.Context.Length > 0) ConfirmReads(m.From, m.Context);
                return StepResult.Processed;
            default:
                return StepResult.Ignore($"{m.Type} from {m.From} has no meaning for the leader");
        }
    }

    private void HandleAppendResponse(Message m, Progress progress)
    {
        if (m.Reject)
        {
            var nextProbe = m.RejectHint;
            if (m.LogTerm > 0)
            {
                // Skip every entry of ours whose term is above the follower's conflicting term.
                nextProbe = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            }
            if (progress.MaybeDecrTo(m.Index, nextProbe))
            {
                if (progress.State == ProgressState.Replicate) progress.BecomeProbe();
                SendAppend(m.From);
            }
            return;
        }
        var wasPaused = progress.IsPaused;
        if (!progress.MaybeUpdate(m.Index) && !(progress.Match == m.Index && progress.State == ProgressState.Probe)) return;
        switch (progress.State)
        {
            case ProgressState.Probe:
                progress.BecomeReplicate();
                break;
            case ProgressState.Snapshot when progress.Match + 1 >= _log.FirstIndex():
                // The snapshot (or appends) caught the follower up: resume normal replication.
                progress.BecomeProbe();
                progress.BecomeReplicate();
                break;
            case ProgressState.Snapshot when progress.Match >= progress.PendingSnapshot:
                // The follower installed the snapshot, but the log was compacted past it meanwhile: probe, which sends the
                // newer snapshot now instead of waiting for the snapshot to be reported lost.
                progress.BecomeProbe();
                break;
            case ProgressState.Replicate:
                progress.Inflights.FreeLE(m.Index);
                break;
        }
        if (MaybeCommit())
        {
            BroadcastAppend();
        }
        else if (wasPaused)
        {
            SendAppend(m.From);
        }
        // Keep the pipeline full while there is more to send.
        while (SendAppend(m.From, sendIfEmpty: false)) { }
        if (m.From == LeadTransferee && progress.Match == _log.LastIndex())
        {
            SendTimeoutNow(m.From);
        }
    }

    private bool MaybeCommit()
    {
        var before = _log.Committed;
        if (!_log.MaybeCommit(Tracker.Committed(), Term)) return false;
        ReleaseEntriesCommitted(before);
        return true;
    }

    private void ReleaseEntriesCommitted(ulong before)
    {
        // Uncommitted-bytes accounting: entries now committed no longer count.
        var committed = _log.Committed;
        if (committed <= before) return;
        var low = Math.Max(before + 1, _log.FirstIndex());
        ulong released = 0;
        foreach (var e in _log.Slice(low, committed + 1, ulong.MaxValue)) released += (ulong)e.Data.Length;
        _uncommittedBytes = released >= _uncommittedBytes ? 0 : _uncommittedBytes - released;
        ReleaseReadIndexWaitingForCommit();
    }

    private void BroadcastAppend()
    {
        foreach (var id in Tracker.Progress.Keys.Order().ToList())
        {
            if (id != Id) SendAppend(id);
        }
    }

    /// <summary>Sends entries (or a snapshot when they are compacted) to <paramref name="to"/>; false when nothing was sent.</summary>
    private bool SendAppend(ulong to, bool sendIfEmpty = true)
    {
        var progress = Tracker.Progress[to];
        if (progress.IsPaused) return false;
        var prevIndex = progress.Next - 1;
        var prevTerm = _log.Term(prevIndex);
        var entries = prevTerm is null ? null : _log.TrySlice(progress.Next, _log.LastIndex() + 1, _config.MaxSizePerMessage);
        if (prevTerm is null || entries is null) return SendSnapshot(to, progress);
        if (entries.Count == 0 && !sendIfEmpty) return false;
        ulong bytes = 0;
        foreach (var e in entries) bytes += e.Size;
        Send(new Message
        {
            Type = MessageType.Append, To = to, From = Id, Term = Term,
            Index = prevIndex, LogTerm = prevTerm.Value, Entries = entries, Commit = _log.Committed,
        }, afterPersist: false);
        progress.SentEntries(entries.Count, bytes, entries.Count > 0 ? entries[^1].Index : prevIndex);
        return true;
    }

    private bool SendSnapshot(ulong to, Progress progress)
    {
        // A peer we have not heard from is probably down: don't ship it a snapshot yet.
        if (!progress.RecentActive) return false;
        var snapshot = _log.Snapshot();
        // Invariant: entries are compacted only after a snapshot covering them exists.
        if (snapshot.IsEmpty) throw new InvalidOperationException($"replica {Id}: peer {to} needs a snapshot but none exists");
        progress.BecomeSnapshot(snapshot.Metadata.Index);
        Send(new Message { Type = MessageType.Snapshot, To = to, From = Id, Term = Term, Snapshot = snapshot }, afterPersist: false);
        return true;
    }

    private void BroadcastHeartbeat(byte[] context)
    {
        foreach (var (id, progress) in Tracker.Progress.OrderBy(p => p.Key))
        {
            if (id == Id) continue;
            // Commit is capped at the follower's match so it never commits entries it may not have.
            Send(new Message
            {
                Type = MessageType.Heartbeat, To = id, From = Id, Term = Term,
                Commit = Math.Min(progress.Match, _log.Committed), Context = context,
            }, afterPersist: false);
        }
    }

    private void SendTimeoutNow(ulong to)
    {
        _timeoutNowSentThisTerm = true;
        Send(new Message { Type = MessageType.TimeoutNow, To = to, From = Id, Term = Term }, afterPersist: false);
    }

    /// <summary>Asks the leader to hand leadership to <paramref name="transferee"/> (§3.10).</summary>
    public ProposeResult TransferLeader(ulong transferee)
    {
        if (Role != StateRole.Leader) return ProposeResult.Refused(RefusalReason.NotLeader, Leader, $"replica {Id} is not the leader");
        if (transferee == Id) return ProposeResult.Ok(_log.LastIndex(), Term);
        if (!Tracker.Progress.TryGetValue(transferee, out var progress) || !Tracker.Config.IsVoter(transferee))
        {
            return ProposeResult.Refused(RefusalReason.UnknownPeer, Id, $"{transferee} is not a voter ({Tracker.Config})");
        }
        if (LeadTransferee == transferee) return ProposeResult.Ok(_log.LastIndex(), Term);
        LeadTransferee = transferee;
        // The transfer must complete within one election timeout or it is abandoned.
        _electionElapsed = 0;
        if (progress.Match == _log.LastIndex()) SendTimeoutNow(transferee); else SendAppend(transferee);
        return ProposeResult.Ok(_log.LastIndex(), Term);
    }

    /// <summary>Tells the leader a peer could not be reached: stop pipelining to it.</summary>
    public void ReportUnreachable(ulong peer)
    {
        if (Role != StateRole.Leader || !Tracker.Progress.TryGetValue(peer, out var progress)) return;
        if (progress.State == ProgressState.Replicate) progress.BecomeProbe();
    }

    /// <summary>Tells the leader whether a snapshot sent to <paramref name="peer"/> arrived.</summary>
    public void ReportSnapshot(ulong peer, bool succeeded)
    {
        if (Role != StateRole.Leader || !Tracker.Progress.TryGetValue(peer, out var progress)) return;
        if (progress.State != ProgressState.Snapshot) return;
        // On failure probe from the match again; on success from just past the snapshot.
        if (!succeeded) progress.ForgetPendingSnapshot();
        progress.BecomeProbe();
        // Wait for the next heartbeat response before probing again.
        progress.ProbeSent = true;
    }

    /// <summary>Called from Advance: the leader's own entries up to <paramref name="index"/> are durable.</summary>
    private void AcknowledgeOwnEntries(ulong index)
    {
        if (Role != StateRole.Leader || !Tracker.Progress.TryGetValue(Id, out var self)) return;
        if (self.MaybeUpdate(index) && MaybeCommit()) BroadcastAppend();
    }
}
