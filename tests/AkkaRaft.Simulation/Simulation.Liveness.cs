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
    /// <summary>
    /// Heals the network, restarts every crashed node, then requires each group — asleep or not — to elect a leader
    /// and commit a fresh proposal on a quorum.
    /// </summary>
    private void RunLivenessPhase()
    {
        _network.Heal();
        _network.DropRate = 0;
        _network.DuplicateRate = 0;
        foreach (var node in _crashedNodes.Order().ToList()) Restart(node);
        Log("liveness phase: network healed, every node up");
        AwaitProbeEverywhere();
        if (_runtime.HibernateAfterTicks > 0) CrashASleepingLeaderAndAwaitElection();
    }

    /// <summary>Every group elects a leader that commits a fresh proposal on a quorum, and every member catches up.</summary>
    private void AwaitProbeEverywhere()
    {
        var deadline = _step + _options.LivenessTicks;
        for (; _step < deadline; _step++)
        {
            Step(faultPhase: false);
            foreach (var group in _groups) group.LivenessSatisfied = group.LivenessSatisfied || ProbeCommittedOnQuorum(group);
            if (_groups.All(g => g.LivenessSatisfied && EveryMemberApplied(g)))
            {
                Log($"liveness reached after {_options.LivenessTicks - (deadline - _step)} ticks");
                return;
            }
        }
        var behind = _groups.Where(g => g.LivenessSatisfied && !EveryMemberApplied(g)).ToList();
        if (behind.Count > 0 && _groups.All(g => g.LivenessSatisfied))
        {
            var laggards = behind.Select(g =>
            {
                var cs = g.Leader()?.Raft?.ConfState;
                var missing = g.Replicas.Values.Where(r => cs is not null && Membership.Contains(cs, r.Id) && !r.HasLivenessProbe(g));
                return $"group {g.Id}: {string.Join("; ", missing.Select(r => $"{r} {r.Raft?.ToString() ?? "not running"}"))}";
            });
            throw new InvariantViolationException($"liveness: members never caught up within {_options.LivenessTicks} ticks after healing: {string.Join(" | ", laggards)}");
        }
        var stuck = _groups.Where(g => !g.LivenessSatisfied).Select(g =>
        {
            var leader = g.Leader()?.Raft;
            var replicas = string.Join("; ", g.Replicas.Values.Where(r => r.Alive).Select(r => $"{r.Raft}{(r.Asleep ? " asleep" : "")}"));
            return $"group {g.Id} (leader {(leader is null ? "none" : $"{leader.Id} {leader.ConfState}")}; {replicas})";
        });
        throw new InvariantViolationException($"liveness: no leader with a committed fresh proposal within {_options.LivenessTicks} ticks after healing: {string.Join(" | ", stuck)}");
    }

    /// <summary>
    /// With no traffic every group falls asleep; then the node of a leader crashes (if every group keeps a quorum
    /// elsewhere). The sleeping replicas must wake up (the node notices the crash), elect and commit a fresh proposal.
    /// </summary>
    private void CrashASleepingLeaderAndAwaitElection()
    {
        var deadline = _step + _options.LivenessTicks;
        for (; !_groups.All(AsleepEverywhere); _step++)
        {
            if (_step >= deadline)
            {
                var awake = _groups.Where(g => !AsleepEverywhere(g)).Select(g => $"group {g.Id} (leader {g.Leader()?.Id.ToString() ?? "none"}): {string.Join("; ", g.Live.Where(r => !r.Asleep).Select(r => $"{r.Raft}"))}");
                throw new InvariantViolationException($"hibernation: groups without traffic still awake {_options.LivenessTicks} ticks later: {string.Join(" | ", awake)}");
            }
            Step(faultPhase: false);
        }
        var node = _groups.Select(g => g.Leader()).Where(l => l is not null).Select(l => l!.Node)
            .FirstOrDefault(n => _groups.All(g => KeepsQuorumWithout(g, n)));
        if (node == 0) return;
        Log($"every group asleep: crash n{node}, which hosts a leader");
        Crash(node);
        foreach (var group in _groups)
        {
            group.LivenessSatisfied = false;
            group.LivenessProbeIndex = 0;
            group.LivenessProbeTerm = 0;
        }
        deadline = _step + _options.LivenessTicks;
        for (; _step < deadline; _step++)
        {
            Step(faultPhase: false);
            foreach (var group in _groups) group.LivenessSatisfied = group.LivenessSatisfied || ProbeCommittedOnQuorum(group);
            if (_groups.All(g => g.LivenessSatisfied))
            {
                Log($"elected and committed after the crash within {_options.LivenessTicks - (deadline - _step)} ticks");
                return;
            }
        }
        var stuck = _groups.Where(g => !g.LivenessSatisfied).Select(g => $"group {g.Id}: {string.Join("; ", g.Live.Select(r => $"{r.Raft}{(r.Asleep ? " asleep" : "")}"))}");
        throw new InvariantViolationException($"liveness: sleeping groups did not elect and commit within {_options.LivenessTicks} ticks after n{node} crashed: {string.Join(" | ", stuck)}");
    }

    private static bool KeepsQuorumWithout(SimulatedGroup group, int node)
    {
        var cs = group.Leader()?.Raft?.ConfState;
        if (cs is null) return false;
        bool? Up(ulong id) => group.Replicas.TryGetValue(id, out var r) && r.Alive && r.Node != node ? true : null;
        return Quorum.JointVote(cs.Voters, cs.VotersOutgoing, Up) == VoteResult.Won;
    }

    private void LivenessTraffic(SimulatedGroup group)
    {
        if (group.LivenessSatisfied) return;
        var leader = group.Leader();
        if (leader is null || group.LivenessProbeTerm == leader.Raft!.Term) return;
        var term = leader.Raft.Term;
        var request = Propose(group, leader, Liveness.Probe(group.Id, group.NextPayload++), RequestKind.LivenessProbe);
        if (request.Answer is null) group.LivenessProbeTerm = term;
        Log($"g{group.Id} liveness probe to leader {leader.Id} (term {term}): {request.Answer?.ToString() ?? "accepted"}");
    }

    /// <summary>With everything healed and up, every member of the configuration catches up, not only a quorum.</summary>
    private static bool EveryMemberApplied(SimulatedGroup group)
    {
        var cs = group.Leader()?.Raft?.ConfState;
        if (cs is null) return false;
        return group.Replicas.Values.Where(r => Membership.Contains(cs, r.Id)).All(r => r.HasLivenessProbe(group));
    }

    private static bool ProbeCommittedOnQuorum(SimulatedGroup group)
    {
        var leader = group.Leader()?.Raft;
        if (leader is null) return false;
        var cs = leader.ConfState;
        bool? Applied(ulong id) => group.Replicas.TryGetValue(id, out var r) && r.HasLivenessProbe(group) ? true : null;
        return Quorum.JointVote(cs.Voters, cs.VotersOutgoing, Applied) == VoteResult.Won;
    }
}
