namespace AkkaRaft.Core.Raft;

/// <summary>Computes the next membership from the current one and a change, or says why it is not allowed (etcd's confchange.Changer).</summary>
internal sealed class MembershipChanger
{
    private readonly ProgressTracker _tracker;
    private readonly ulong _lastIndex;

    /// <summary>Creates a changer over the tracker's current state; new peers start probing after <paramref name="lastIndex"/>.</summary>
    public MembershipChanger(ProgressTracker tracker, ulong lastIndex)
    {
        _tracker = tracker;
        _lastIndex = lastIndex;
    }

    /// <summary>The result of a change: the new membership and progress map, or an error.</summary>
    public readonly record struct Outcome(TrackerConfig? Config, Dictionary<ulong, Progress>? Progress, string? Error)
    {
        /// <summary>True when the change is allowed.</summary>
        public bool Ok => Error is null;

        internal static Outcome Fail(string error) => new(null, null, error);
    }

    /// <summary>Applies <paramref name="change"/> as described by its transition.</summary>
    public Outcome Apply(ConfChange change)
    {
        if (change.IsLeaveJoint) return LeaveJoint();
        var (useJoint, autoLeave) = change.JointMode();
        return useJoint ? EnterJoint(autoLeave, change.Changes) : Simple(change.Changes);
    }

    /// <summary>Enters a joint configuration: outgoing = current voters, incoming = current voters with the changes.</summary>
    public Outcome EnterJoint(bool autoLeave, IReadOnlyList<ConfChangeSingle> changes)
    {
        var (config, progress) = Copy();
        if (config.IsJoint) return Outcome.Fail("configuration is already joint");
        if (config.Voters.Count == 0) return Outcome.Fail("cannot make a zero-voter configuration joint");
        foreach (var id in config.Voters) config.VotersOutgoing.Add(id);
        var error = ApplyChanges(config, progress, changes);
        if (error is not null) return Outcome.Fail(error);
        config.AutoLeave = autoLeave;
        return Check(config, progress);
    }

    /// <summary>Leaves a joint configuration: outgoing voters are dropped, pending learners become learners.</summary>
    public Outcome LeaveJoint()
    {
        var (config, progress) = Copy();
        if (!config.IsJoint) return Outcome.Fail("cannot leave a non-joint configuration");
        foreach (var id in config.LearnersNext)
        {
            config.Learners.Add(id);
        }
        config.LearnersNext.Clear();
        foreach (var id in config.VotersOutgoing)
        {
            if (!config.Voters.Contains(id) && !config.Learners.Contains(id)) progress.Remove(id);
        }
        config.VotersOutgoing.Clear();
        config.AutoLeave = false;
        return Check(config, progress);
    }

    /// <summary>Applies changes that alter at most one voter directly (no joint state).</summary>
    public Outcome Simple(IReadOnlyList<ConfChangeSingle> changes)
    {
        var (config, progress) = Copy();
        if (config.IsJoint) return Outcome.Fail("cannot apply a simple change while joint; leave the joint configuration first");
        var error = ApplyChanges(config, progress, changes);
        if (error is not null) return Outcome.Fail(error);
        var changed = config.Voters.Except(_tracker.Config.Voters).Count() + _tracker.Config.Voters.Except(config.Voters).Count();
        if (changed > 1) return Outcome.Fail("more than one voter changed without joint consensus");
        return Check(config, progress);
    }

    private string? ApplyChanges(TrackerConfig config, Dictionary<ulong, Progress> progress, IReadOnlyList<ConfChangeSingle> changes)
    {
        foreach (var change in changes)
        {
            if (change.NodeId == 0) continue; // etcd ignores id 0
            switch (change.Type)
            {
                case ConfChangeType.AddNode: MakeVoter(config, progress, change.NodeId); break;
                case ConfChangeType.AddLearnerNode: MakeLearner(config, progress, change.NodeId); break;
                case ConfChangeType.RemoveNode: Remove(config, progress, change.NodeId); break;
                default: return $"unknown change type {change.Type}";
            }
        }
        if (config.Voters.Count == 0) return "removed all voters";
        return null;
    }

    private void MakeVoter(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.ContainsKey(id))
        {
            InitProgress(config, progress, id, isLearner: false);
            return;
        }
        config.Learners.Remove(id);
        config.LearnersNext.Remove(id);
        config.Voters.Add(id);
    }

    private void MakeLearner(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.TryGetValue(id, out var pr))
        {
            InitProgress(config, progress, id, isLearner: true);
            return;
        }
        if (config.Learners.Contains(id)) return;
        Remove(config, progress, id);
        progress[id] = pr;
        // A voter of the outgoing half stays a voter until the joint config is left.
        if (config.VotersOutgoing.Contains(id))
        {
            config.LearnersNext.Add(id);
        }
        else
        {
            config.Learners.Add(id);
        }
    }

    private static void Remove(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.ContainsKey(id)) return;
        config.Voters.Remove(id);
        config.Learners.Remove(id);
        config.LearnersNext.Remove(id);
        if (!config.VotersOutgoing.Contains(id)) progress.Remove(id);
    }

    private void InitProgress(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id, bool isLearner)
    {
        if (isLearner) config.Learners.Add(id); else config.Voters.Add(id);
        progress[id] = new Progress(Math.Max(_lastIndex, 1), _tracker.MaxInflight, _tracker.MaxInflightBytes, isLearner)
        {
            // New peers count as active so CheckQuorum does not depose the leader right after adding them.
            RecentActive = true,
        };
    }

    private static Outcome Check(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        // Invariant: every member has progress, learners and voters are disjoint.
        foreach (var id in config.AllVoters.Concat(config.Learners).Concat(config.LearnersNext))
        {
            if (!progress.ContainsKey(id)) throw new InvalidOperationException($"no progress for member {id}");
        }
        foreach (var id in config.LearnersNext)
        {
            if (!config.VotersOutgoing.Contains(id)) throw new InvalidOperationException($"{id} is in learners_next but not an outgoing voter");
        }
        if (config.Learners.Overlaps(config.Voters) || config.Learners.Overlaps(config.VotersOutgoing))
        {
            throw new InvalidOperationException("a learner is also a voter");
        }
        if (!config.IsJoint && (config.LearnersNext.Count > 0 || config.AutoLeave))
        {
            throw new InvalidOperationException("learners_next or auto-leave set outside a joint configuration");
        }
        return new Outcome(config, progress, null);
    }

    private (TrackerConfig, Dictionary<ulong, Progress>) Copy()
    {
        var config = _tracker.Config.Clone();
        // Progress objects are shared: the changer never mutates them, the node syncs learner flags after applying.
        var progress = new Dictionary<ulong, Progress>(_tracker.Progress);
        return (config, progress);
    }
}
