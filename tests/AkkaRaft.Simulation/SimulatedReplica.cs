using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// One replica of one group hosted on a physical node: a <see cref="RaftPeer{TReplyTo}"/> (requests are ids) with its
/// in-memory state machine, both lost on a crash, over a <see cref="SimulatedJournal"/> that survives it.
/// </summary>
internal sealed class SimulatedReplica(ulong groupId, ulong id, int node, CreateGroup spec, long createdAt)
{
    public ulong GroupId { get; } = groupId;
    public ulong Id { get; } = id;
    public int Node { get; } = node;
    public CreateGroup Spec { get; } = spec;
    public long CreatedAt { get; } = createdAt;
    public SimulatedJournal Journal { get; } = new();

    /// <summary>The running peer, or null while crashed.</summary>
    public RaftPeer<ulong>? Peer { get; set; }
    public SimulatedStateMachine? Machine { get; set; }
    /// <summary>Starts of this replica so far (answers must come from the incarnation that was asked).</summary>
    public int Incarnation { get; set; }
    /// <summary>The node's coordinator believes the group sleeps here (it sends no ticks).</summary>
    public bool Asleep { get; set; }
    /// <summary>Ticks this incarnation handled awake: the clock of its request deadlines.</summary>
    public long AwakeTicks { get; set; }

    public RaftNode? Raft => Peer?.Raft;

    /// <summary>Highest commit this incarnation of the node reported (must never go back while it lives).</summary>
    public ulong CommittedSeen { get; set; }
    /// <summary>Seen in a leader's configuration at least once.</summary>
    public bool EverMember { get; set; }
    /// <summary>The state machine reflects the group's liveness probe (applied, or restored from a snapshot after it).</summary>
    public bool HasLivenessProbe(SimulatedGroup group) =>
        group.LivenessProbeIndex > 0 && Alive && Machine!.AppliedIndex >= group.LivenessProbeIndex;

    /// <summary>Destroyed for good: its tombstone is durable.</summary>
    public bool Gone => Journal.HasDurableTombstone;

    public bool Alive => Raft is not null && !Gone;

    public override string ToString() => $"g{GroupId}/r{Id}@n{Node}";
}
