namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    /// <summary>
    /// The runtime's failure detector lost the node of <paramref name="leader"/> (a closed connection, an unreachable member):
    /// a follower of that leader forgets it, which ends its lease (peers that lost the leader too can win its votes), and
    /// campaigns within <see cref="RaftConfig.SuspectedLeaderCampaignTicks"/> ticks instead of a whole election timeout.
    /// Liveness only: the election is an ordinary one (PreVote, votes, terms). A live leader's next heartbeat cancels the
    /// campaign; at worst a false suspicion costs one election. Ignored with lease-based reads, whose safety rests on the
    /// followers honouring the lease for a whole election timeout.
    /// </summary>
    public StepResult LeaderSuspected(ulong leader)
    {
        if (leader == 0 || leader == Id) return StepResult.Ignore($"replica {leader} cannot be the leader replica {Id} lost");
        if (Role != StateRole.Follower) return StepResult.Ignore($"replica {Id} is {Role}: it has no leader to lose");
        if (Leader != leader) return StepResult.Ignore($"replica {Id} follows {Leader}, not {leader}");
        if (_config.ReadOnlyMode == ReadOnlyMode.LeaseBased)
        {
            // The leader cannot know it was forgotten and may go on serving reads from its lease (etcd's ForgetLeader refuses too).
            return StepResult.Ignore($"replica {Id} keeps honouring leader {leader}'s lease: reads are lease-based");
        }
        Leader = 0;
        // Staggered over 1..n ticks so the survivors do not all campaign at once and split the vote.
        var delay = 1 + _random.Next(_config.SuspectedLeaderCampaignTicks);
        _electionElapsed = Math.Max(_electionElapsed, _randomizedElectionTimeout - delay);
        return StepResult.Processed;
    }

    private StepResult StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                Leader = m.From;
                HandleAppend(m);
                return StepResult.Processed;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                Leader = m.From;
                HandleHeartbeat(m);
                return StepResult.Processed;
            case MessageType.Snapshot:
                _electionElapsed = 0;
                Leader = m.From;
                return HandleSnapshot(m);
            case MessageType.TimeoutNow:
                if (!Promotable) return StepResult.Ignore("TimeoutNow received by a replica that cannot lead");
                // Leader transfer: campaign at once, skipping PreVote and the peers' leases.
                Hup(transfer: true);
                return StepResult.Processed;
            case MessageType.ReadIndexResponse:
                AddReadState(new ReadState(m.Index, m.Context));
                return StepResult.Processed;
            default:
                return StepResult.Ignore($"{m.Type} from {m.From} has no meaning for a follower");
        }
    }

    private void HandleAppend(Message m)
    {
        if (m.Index < _log.Committed)
        {
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = _log.Committed }, afterPersist: true);
            return;
        }
        var lastNew = _log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries);
        if (lastNew is { } index)
        {
            // Acknowledged only once durable: the leader counts this replica towards commit.
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = index }, afterPersist: true);
            return;
        }
        // Fast back-off (etcd): point the leader at the last index whose term is <= the term it probed with.
        var hintIndex = Math.Min(m.Index, _log.LastIndex());
        var (conflictIndex, conflictTerm) = _log.FindConflictByTerm(hintIndex, m.LogTerm);
        Send(new Message
        {
            Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term,
            Index = m.Index, Reject = true, RejectHint = conflictIndex, LogTerm = conflictTerm,
        }, afterPersist: true);
    }

    private void HandleHeartbeat(Message m)
    {
        _log.CommitTo(Math.Min(m.Commit, _log.LastIndex()));
        Send(new Message { Type = MessageType.HeartbeatResponse, To = m.From, From = Id, Term = Term, Context = m.Context }, afterPersist: false);
    }

    private StepResult HandleSnapshot(Message m)
    {
        var snapshot = m.Snapshot;
        if (snapshot is null || snapshot.IsEmpty) return StepResult.Ignore($"snapshot message from {m.From} without a snapshot");
        var result = Restore(snapshot);
        var index = result.Status == StepStatus.Processed ? _log.LastIndex() : _log.Committed;
        Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = index }, afterPersist: true);
        return result;
    }

    private StepResult Restore(Snapshot snapshot)
    {
        var meta = snapshot.Metadata;
        if (meta.Index <= _log.Committed)
        {
            return StepResult.Ignore($"snapshot at {meta.Index} is not newer than committed {_log.Committed}");
        }
        var cs = meta.ConfState;
        var member = cs.Voters.Contains(Id) || cs.VotersOutgoing.Contains(Id) || cs.Learners.Contains(Id) || cs.LearnersNext.Contains(Id);
        if (!member)
        {
            return StepResult.Ignore($"snapshot at {meta.Index} does not include replica {Id} ({cs})");
        }
        if (_log.MatchTerm(meta.Index, meta.Term))
        {
            // We already have the snapshot's last entry: just move commit forward.
            _log.CommitTo(meta.Index);
            return StepResult.Ignore($"snapshot at {meta.Index} already covered by the log; commit moved forward");
        }
        _log.Restore(snapshot);
        ApplyConfState(cs);
        return StepResult.Processed;
    }
}
