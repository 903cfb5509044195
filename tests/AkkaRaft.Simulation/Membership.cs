using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>The application's own copy of the membership: applies committed changes to a <see cref="ConfState"/> (as etcd applications do).</summary>
internal static class Membership
{
    public static ConfState Apply(ConfState current, ConfChange change)
    {
        var members = current.Voters.Concat(current.VotersOutgoing).Concat(current.Learners).Concat(current.LearnersNext).Distinct();
        var tracker = new ProgressTracker(1, 0)
        {
            Config = TrackerConfig.From(current),
            Progress = members.ToDictionary(id => id, _ => new Progress(1, 1, 0, isLearner: false)),
        };
        var outcome = new MembershipChanger(tracker, 1).Apply(change);
        if (!outcome.Ok) throw new InvariantViolationException($"committed conf change {change} cannot be applied to {current}: {outcome.Error}");
        return outcome.Config!.ToConfState();
    }

    public static bool Contains(ConfState cs, ulong id) =>
        cs.Voters.Contains(id) || cs.VotersOutgoing.Contains(id) || cs.Learners.Contains(id) || cs.LearnersNext.Contains(id);
}
