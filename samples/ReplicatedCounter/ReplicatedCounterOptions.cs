namespace ReplicatedCounter;

/// <summary>Where this process sits in the counter's cluster.</summary>
public sealed class ReplicatedCounterOptions
{
    /// <summary>This node's id, at least 1; also its replica's peer id.</summary>
    public ulong NodeId { get; set; } = 1;

    /// <summary>Ids of the nodes that hold the counter's replicas, the same list on every node (default: this node alone).</summary>
    public IReadOnlyList<ulong> ReplicaNodeIds { get; set; } = [1];

    /// <summary>Host name Akka.Remote binds to.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>Akka.Remote port; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Akka addresses of seed nodes (e.g. <c>akka.tcp://replicated-counter@127.0.0.1:4053</c>); empty: this node founds the cluster.</summary>
    public IReadOnlyList<string> SeedNodes { get; set; } = [];

    /// <summary>Where the journal lives (one SQLite file per node).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Raft group id of the counters.</summary>
    public ulong GroupId { get; set; } = 1;

    /// <summary>How long <see cref="ReplicatedCounterClient"/> retries while no leader is known.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (NodeId == 0) throw new ArgumentException("NodeId must be at least 1", nameof(NodeId));
        if (ReplicaNodeIds is null || ReplicaNodeIds.Count == 0 || ReplicaNodeIds.Contains(0UL) || ReplicaNodeIds.Distinct().Count() != ReplicaNodeIds.Count)
            throw new ArgumentException($"ReplicaNodeIds must be distinct non-zero ids, got [{string.Join(", ", ReplicaNodeIds ?? [])}]", nameof(ReplicaNodeIds));
        if (!ReplicaNodeIds.Contains(NodeId)) throw new ArgumentException($"ReplicaNodeIds [{string.Join(", ", ReplicaNodeIds)}] must include this node {NodeId}", nameof(ReplicaNodeIds));
        if (Port is < 0 or > 65535) throw new ArgumentException($"Port must be 0 to 65535, got {Port}", nameof(Port));
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("DataDirectory must not be empty", nameof(DataDirectory));
        if (GroupId == 0) throw new ArgumentException("GroupId 0 is reserved", nameof(GroupId));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"RequestTimeout must be positive, got {RequestTimeout}", nameof(RequestTimeout));
    }
}
