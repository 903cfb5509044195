using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>One Raft group: its replicas and the history the invariant checker compares them against.</summary>
internal sealed class SimulatedGroup(ulong id, IReadOnlyList<ulong> bootstrapVoters)
{
    public ulong Id { get; } = id;
    public IReadOnlyList<ulong> BootstrapVoters { get; } = bootstrapVoters;
    public SortedDictionary<ulong, SimulatedReplica> Replicas { get; } = [];
    public ulong NextReplicaId { get; set; } = 100;
    public ulong NextPayload { get; set; } = 1;
    /// <summary>No client traffic for now: lets the group settle and hibernate.</summary>
    public bool Quiet { get; set; }

    /// <summary>Term → the only replica allowed to lead in it.</summary>
    public Dictionary<ulong, ulong> LeaderOfTerm { get; } = [];
    /// <summary>Index → state machine chain after applying it (first replica to apply decides).</summary>
    public Dictionary<ulong, ulong> ChainAt { get; } = [];
    /// <summary>Index → hash of the command or membership change applied there.</summary>
    public Dictionary<ulong, ulong> ContentAppliedAt { get; } = [];
    /// <summary>Hashes of every command or membership change applied anywhere.</summary>
    public HashSet<ulong> AppliedContents { get; } = [];
    /// <summary>Highest index any state machine applied or restored: every read begun later must reflect it.</summary>
    public ulong MaxAppliedIndex { get; set; }
    /// <summary>Payload hash → the answer that said it was definitely not applied.</summary>
    public Dictionary<ulong, string> RefusedPayloads { get; } = [];
    /// <summary>(index, term) → content hash of the entry; entries with equal index and term must be equal.</summary>
    public Dictionary<(ulong Index, ulong Term), ulong> ContentAt { get; } = [];
    /// <summary>(index, term) of every entry written that changes the state machine (a command or a membership change).</summary>
    public HashSet<(ulong Index, ulong Term)> StateEntries { get; } = [];
    /// <summary>(index, term) → term of the entry before it; with content uniqueness this gives log matching by induction.</summary>
    public Dictionary<(ulong Index, ulong Term), ulong> PreviousTermAt { get; } = [];
    /// <summary>Index → (term, an upper bound of the term in which it was committed).</summary>
    public Dictionary<ulong, (ulong Term, ulong CommitTermBound)> Committed { get; } = [];
    public ulong MaxCommitted { get; set; }

    /// <summary>Payload of the liveness probe and the term of the leader that accepted it (0 = not accepted yet).</summary>
    public ulong LivenessProbeTerm { get; set; }
    /// <summary>Index of the first liveness probe any state machine applied (0 = none yet).</summary>
    public ulong LivenessProbeIndex { get; set; }
    public bool LivenessSatisfied { get; set; }

    public IEnumerable<SimulatedReplica> Live => Replicas.Values.Where(r => r.Alive);

    /// <summary>
    /// The live leader with the highest term, unless a member of its configuration has moved to a later term. Replicas
    /// outside its configuration (removed, but not yet aware of it) may campaign in later terms without deposing it.
    /// </summary>
    public SimulatedReplica? Leader()
    {
        SimulatedReplica? best = null;
        foreach (var r in Live)
        {
            if (r.Raft!.Role == StateRole.Leader && (best is null || r.Raft.Term > best.Raft!.Term)) best = r;
        }
        if (best is null) return null;
        var members = best.Raft!.ConfState;
        var term = best.Raft.Term;
        return Live.All(r => r.Raft!.Term <= term || !Membership.Contains(members, r.Id)) ? best : null;
    }

    public byte[] NewPayload()
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, Id);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), NextPayload++);
        return bytes;
    }
}
