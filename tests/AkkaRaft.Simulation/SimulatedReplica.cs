using System.Buffers.Binary;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// One replica of one group hosted on a physical node. The storage and the state machine (applied index, a hash
/// chain over applied entries, the applied membership) are durable; the <see cref="RaftNode"/> and a not-yet-persisted
/// <see cref="Pending"/> Ready are lost on a crash.
/// </summary>
internal sealed class SimulatedReplica(ulong groupId, ulong id, int node, MemoryStorage storage, ConfState bootstrap, long createdAt)
{
    public ulong GroupId { get; } = groupId;
    public ulong Id { get; } = id;
    public int Node { get; } = node;
    public MemoryStorage Storage { get; } = storage;
    public long CreatedAt { get; } = createdAt;

    /// <summary>The live Raft state machine, or null while crashed.</summary>
    public RaftNode? Raft { get; set; }
    /// <summary>A Ready taken but not yet persisted; lost on a crash.</summary>
    public Ready? Pending { get; set; }

    public ulong AppliedIndex { get; set; }
    /// <summary>Hash chain over every entry applied so far: two replicas agree on it iff they applied the same entries.</summary>
    public ulong AppliedChain { get; set; }
    /// <summary>Membership as of <see cref="AppliedIndex"/>, kept by the application (like etcd's ConfState in the app's snapshot).</summary>
    public ConfState AppliedConf { get; set; } = bootstrap;

    /// <summary>Highest commit this incarnation of the node reported (must never go back while it lives).</summary>
    public ulong CommittedSeen { get; set; }
    /// <summary>Seen in a leader's configuration at least once.</summary>
    public bool EverMember { get; set; }
    /// <summary>Removed from the group and garbage-collected.</summary>
    public bool Destroyed { get; set; }
    /// <summary>Applied the group's liveness probe of the current liveness phase.</summary>
    public bool AppliedLivenessProbe { get; set; }

    public bool Alive => Raft is not null && !Destroyed;

    /// <summary>State machine bytes stored in snapshots: applied index and chain.</summary>
    public byte[] StateBytes()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, AppliedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), AppliedChain);
        return bytes;
    }

    public static (ulong Index, ulong Chain) DecodeState(byte[] data) =>
        data.Length == 16
            ? (BinaryPrimitives.ReadUInt64LittleEndian(data), BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8)))
            : throw new InvariantViolationException($"snapshot data of {data.Length} bytes is not a simulator state");

    public override string ToString() => $"g{GroupId}/r{Id}@n{Node}";
}
