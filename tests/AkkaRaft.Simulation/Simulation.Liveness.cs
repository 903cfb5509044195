using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>Liveness probes: proposals marked so the state machine can recognise them.</summary>
internal static class Liveness
{
    private const ulong Marker = 0x4C4956454E455353; // "LIVENESS"

    public static byte[] Probe(ulong groupId, ulong attempt)
    {
        var bytes = new byte[24];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), Marker);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 8), groupId);
        BitConverter.TryWriteBytes(bytes.AsSpan(16, 8), attempt);
        return bytes;
    }

    public static bool IsProbe(byte[] data) => data.Length == 24 && BitConverter.ToUInt64(data, 0) == Marker;
}

public sealed partial class Simulation
{
    /// <summary>Heals the network, restarts every crashed node, then requires each group to elect a leader and commit a fresh proposal on a quorum.</summary>
    private void RunLivenessPhase()
    {
        _network.Heal();
        _network.DropRate = 0;
        _network.DuplicateRate = 0;
        foreach (var node in _crashedNodes.Order().ToList()) Restart(node);
        Log("liveness phase: network healed, every node up");
        var deadline = _step + _options.LivenessTicks;
        for (; _step < deadline; _step++)
        {
            // Snapshots keep being taken: a leader whose only snapshot predates a new replica's addition needs a fresh one to catch it up.
            CompactSome(Math.Max(_rates.Compaction, 0.05));
            Step(faultPhase: false);
            foreach (var group in _groups) group.LivenessSatisfied = group.LivenessSatisfied || ProbeCommittedOnQuorum(group);
            if (_groups.All(g => g.LivenessSatisfied))
            {
                Log($"liveness reached after {_options.LivenessTicks - (deadline - _step)} ticks");
                return;
            }
        }
        var stuck = _groups.Where(g => !g.LivenessSatisfied).Select(g =>
        {
            var leader = g.Leader();
            var replicas = string.Join("; ", g.Replicas.Values.Where(r => r.Alive).Select(r => $"{r.Raft}"));
            return $"group {g.Id} (leader {(leader is null ? "none" : $"{leader.Id} {leader.ConfState}")}; {replicas})";
        });
        throw new InvariantViolationException($"liveness: no leader with a committed fresh proposal within {_options.LivenessTicks} ticks after healing: {string.Join(" | ", stuck)}");
    }

    private void LivenessTraffic(SimulatedGroup group)
    {
        if (group.LivenessSatisfied) return;
        var leader = group.Leader();
        if (leader is null || group.LivenessProbeTerm == leader.Term) return;
        var result = leader.Propose(Liveness.Probe(group.Id, group.NextPayload++));
        if (result.Accepted) group.LivenessProbeTerm = leader.Term;
        Log($"g{group.Id} liveness probe to leader {leader.Id} (term {leader.Term}): {result}");
    }

    private static bool ProbeCommittedOnQuorum(SimulatedGroup group)
    {
        var leader = group.Leader();
        if (leader is null) return false;
        var cs = leader.ConfState;
        bool? Applied(ulong id) => group.Replicas.TryGetValue(id, out var r) && r.AppliedLivenessProbe ? true : null;
        return Quorum.JointVote(cs.Voters, cs.VotersOutgoing, Applied) == VoteResult.Won;
    }
}
