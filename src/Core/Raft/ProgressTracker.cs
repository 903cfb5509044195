namespace AkkaRaft.Core.Raft;

/// <summary>The active membership as sets (etcd's tracker.Config).</summary>
internal sealed class TrackerConfig
{
    /// <summary>Incoming voters.</summary>
    public HashSet<ulong> Voters { get; init; } = [];
    /// <summary>Outgoing voters; non-empty only while joint.</summary>
    public HashSet<ulong> VotersOutgoing { get; init; } = [];
    /// <summary>Learners.</summary>
    public HashSet<ulong> Learners { get; init; } = [];
    /// <summary>Voters being demoted: they become learners when the joint config is left.</summary>
    public HashSet<ulong> LearnersNext { get; init; } = [];
    /// <summary>Leave the joint config automatically once it commits.</summary>
    public bool AutoLeave { get; set; }

    /// <summary>True while joint.</summary>
    public bool IsJoint => VotersOutgoing.Count > 0;

    /// <summary>A deep copy.</summary>
    public TrackerConfig Clone() => new()
    {
        Voters = [.. Voters],
        VotersOutgoing = [.. VotersOutgoing],
        Learners = [.. Learners],
        LearnersNext = [.. LearnersNext],
        AutoLeave = AutoLeave,
    };

    /// <summary>As a serializable <see cref="ConfState"/>.</summary>
    public ConfState ToConfState() => new(
        [.. Voters.Order()], [.. VotersOutgoing.Order()], [.. Learners.Order()], [.. LearnersNext.Order()], AutoLeave);

    /// <summary>From a <see cref="ConfState"/>.</summary>
    public static TrackerConfig From(ConfState cs) => new()
    {
        Voters = [.. cs.Voters],
        VotersOutgoing = [.. cs.VotersOutgoing],
        Learners = [.. cs.Learners],
        LearnersNext = [.. cs.LearnersNext],
        AutoLeave = cs.AutoLeave,
    };

    /// <summary>Every voter of either half.</summary>
    public IEnumerable<ulong> AllVoters => Voters.Union(VotersOutgoing);

    /// <summary>True when <paramref name="id"/> votes in either half.</summary>
    public bool IsVoter(ulong id) => Voters.Contains(id) || VotersOutgoing.Contains(id);

    /// <inheritdoc />
    public override string ToString() => ToConfState().ToString();
}

/// <summary>Membership plus per-peer progress and votes (etcd's tracker.ProgressTracker).</summary>
internal sealed class ProgressTracker
{
    /// <summary>Creates an empty tracker.</summary>
    public ProgressTracker(int maxInflight, ulong maxInflightBytes)
    {
        MaxInflight = maxInflight;
        MaxInflightBytes = maxInflightBytes;
    }

    /// <summary>Window size per peer.</summary>
    public int MaxInflight { get; }
    /// <summary>Window bytes per peer.</summary>
    public ulong MaxInflightBytes { get; }
    /// <summary>Current membership.</summary>
    public TrackerConfig Config { get; set; } = new();
    /// <summary>Progress of every voter and learner.</summary>
    public Dictionary<ulong, Progress> Progress { get; set; } = [];
    /// <summary>Votes received in the current campaign.</summary>
    public Dictionary<ulong, bool> Votes { get; } = [];

    /// <summary>Largest index committed by the current (possibly joint) quorum.</summary>
    public ulong Committed() => Quorum.JointCommitted(Config.Voters, Config.VotersOutgoing,
        id => Progress.TryGetValue(id, out var pr) ? pr.Match : null);

    /// <summary>True when a quorum was heard from recently; resets the activity flags (self counts as active).</summary>
    public bool QuorumActive(ulong self)
    {
        var active = Quorum.JointVote(Config.Voters, Config.VotersOutgoing,
            id => id == self || (Progress.TryGetValue(id, out var pr) && pr.RecentActive) ? true : false);
        return active == VoteResult.Won;
    }

    /// <summary>Voter ids in ascending order.</summary>
    public IReadOnlyList<ulong> VoterIds() => [.. Config.AllVoters.Order()];

    /// <summary>Forgets the votes of the last campaign.</summary>
    public void ResetVotes() => Votes.Clear();

    /// <summary>Records a vote (first answer wins).</summary>
    public void RecordVote(ulong id, bool granted) => Votes.TryAdd(id, granted);

    /// <summary>Counts votes: granted, rejected, outcome.</summary>
    public (int Granted, int Rejected, VoteResult Result) TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (var (id, _) in Progress)
        {
            if (!Config.IsVoter(id)) continue;
            if (!Votes.TryGetValue(id, out var v)) continue;
            if (v) granted++; else rejected++;
        }
        var result = Quorum.JointVote(Config.Voters, Config.VotersOutgoing, id => Votes.TryGetValue(id, out var v) ? v : null);
        return (granted, rejected, result);
    }

    /// <summary>True when only this replica votes (single-node group).</summary>
    public bool IsSingleton(ulong self) => Config.Voters.Count == 1 && Config.Voters.Contains(self) && !Config.IsJoint;
}
