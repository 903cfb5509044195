namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    /// <summary>Proposes a membership change; refused with a reason when not allowed or unsafe.</summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        if (Role != StateRole.Leader) return ProposeResult.Refused(RefusalReason.NotLeader, Leader, $"replica {Id} is not the leader");
        if (LeadTransferee != 0) return ProposeResult.Refused(RefusalReason.TransferInProgress, LeadTransferee, $"leadership is moving to {LeadTransferee}");
        // Like Propose: a leader that was removed from the group must not keep changing its membership.
        if (!Tracker.Progress.ContainsKey(Id)) return ProposeResult.Refused(RefusalReason.NotLeader, 0, $"replica {Id} was removed from the group");
        if (_pendingConfIndex > _log.Applied)
        {
            return ProposeResult.Refused(RefusalReason.ConfChangePending, Id,
                $"a membership change at index {_pendingConfIndex} is not applied yet (applied {_log.Applied})");
        }
        var refusal = CheckConfChange(change);
        if (refusal is not null) return refusal.Value;
        return AppendConfChange(change);
    }

    private ProposeResult AppendConfChange(ConfChange change)
    {
        var entry = new Entry(Term, _log.LastIndex() + 1, EntryType.ConfChange, change.Encode());
        AppendEntries([entry]);
        _pendingConfIndex = entry.Index;
        BroadcastAppend();
        return ProposeResult.Ok(entry.Index, entry.Term);
    }

    private ProposeResult? CheckConfChange(ConfChange change)
    {
        var joint = Tracker.Config.IsJoint;
        if (joint && !change.IsLeaveJoint)
        {
            return ProposeResult.Refused(RefusalReason.InvalidConfChange, Id, $"configuration {Tracker.Config} is joint: leave it before another change");
        }
        if (!joint && change.IsLeaveJoint)
        {
            return ProposeResult.Refused(RefusalReason.InvalidConfChange, Id, "not in a joint configuration: nothing to leave");
        }
        var outcome = new MembershipChanger(Tracker, _log.LastIndex()).Apply(change);
        if (!outcome.Ok) return ProposeResult.Refused(RefusalReason.InvalidConfChange, Id, outcome.Error!);
        var next = outcome.Config!;
        // Refuse a change whose resulting quorum could not be reached with the peers heard from recently. Not RecentActive:
        // it is false for every peer right after each CheckQuorum round, until the peer answers again.
        bool Reachable(ulong id) => id == Id || (Tracker.Progress.TryGetValue(id, out var pr) && pr.Reachable);
        if (Quorum.JointVote(next.Voters, next.VotersOutgoing, id => Reachable(id)) != VoteResult.Won)
        {
            var reachable = next.AllVoters.Where(Reachable).Order();
            return ProposeResult.Refused(RefusalReason.WouldLoseQuorum, Id,
                $"change {change} would leave {next} without a reachable quorum (reachable voters: {string.Join(' ', reachable)})");
        }
        return null;
    }

    /// <summary>Applies a committed membership change (called from Advance for every committed conf change entry).</summary>
    private void ApplyConfChange(ConfChange change)
    {
        var outcome = new MembershipChanger(Tracker, _log.LastIndex()).Apply(change);
        // Invariant: a committed change is applied on every replica; if it cannot be, replicas would diverge.
        if (!outcome.Ok) throw new InvalidOperationException($"replica {Id}: committed conf change {change} cannot be applied: {outcome.Error}");
        SwitchToConfig(outcome.Config!, outcome.Progress!);
    }

    private void ApplyConfState(ConfState cs)
    {
        var progress = new Dictionary<ulong, Progress>();
        var last = _log.LastIndex();
        foreach (var id in cs.Voters.Concat(cs.VotersOutgoing).Concat(cs.Learners).Concat(cs.LearnersNext).Distinct())
        {
            progress[id] = new Progress(last + 1, _config.MaxInflightMessages, _config.MaxInflightBytes, isLearner: false) { RecentActive = true };
        }
        Tracker = new ProgressTracker(_config.MaxInflightMessages, _config.MaxInflightBytes) { Config = TrackerConfig.From(cs), Progress = progress };
        SyncLearnerFlags();
        if (Tracker.Progress.TryGetValue(Id, out var self)) self.MaybeUpdate(StableLastIndex());
    }

    private void SwitchToConfig(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        Tracker.Config = config;
        Tracker.Progress = progress;
        SyncLearnerFlags();
        if (Role != StateRole.Leader) return;
        if (!Tracker.Progress.ContainsKey(Id) || IsLearner)
        {
            // The leader was removed or demoted: step down (etcd's StepDownOnRemoval). Staying leader would keep
            // heartbeating the remaining voters, whose leases then ignore every vote request: no new leader, ever.
            // A learner never leads, either: a replica may win an election before applying its own demotion.
            BecomeFollower(Term, 0);
            return;
        }
        // The quorum may have shrunk: some entries may now be committed.
        if (MaybeCommit()) BroadcastAppend(); else BroadcastAppendToNewPeers();
        if (LeadTransferee != 0 && !Tracker.Config.IsVoter(LeadTransferee)) LeadTransferee = 0;
    }

    private void BroadcastAppendToNewPeers()
    {
        foreach (var (id, progress) in Tracker.Progress.OrderBy(p => p.Key))
        {
            if (id != Id && progress.Match == 0 && !progress.ProbeSent) SendAppend(id);
        }
    }

    private void SyncLearnerFlags()
    {
        foreach (var (id, progress) in Tracker.Progress) progress.IsLearner = Tracker.Config.Learners.Contains(id);
    }

    /// <summary>After applying: leave an auto-leave joint configuration once it is applied (leader only).</summary>
    private void MaybeAutoLeaveJoint()
    {
        if (Role != StateRole.Leader || !Tracker.Config.IsJoint || !Tracker.Config.AutoLeave) return;
        if (_pendingConfIndex > _log.Applied) return;
        if (!Tracker.Progress.ContainsKey(Id)) return;
        AppendConfChange(ConfChange.LeaveJoint);
    }
}
