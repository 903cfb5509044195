using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>Membership questions the harness asks of a <see cref="ConfState"/>.</summary>
internal static class Membership
{
    public static bool Contains(ConfState cs, ulong id) =>
        cs.Voters.Contains(id) || cs.VotersOutgoing.Contains(id) || cs.Learners.Contains(id) || cs.LearnersNext.Contains(id);
}
