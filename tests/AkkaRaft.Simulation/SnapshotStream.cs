using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Simulation;

/// <summary>
/// A snapshot the sending node streams in acknowledged chunks (the coordinator's OutgoingSnapshots): the sending replica
/// hears how it stands (queued/sending, then completed, abandoned, rejected or superseded), as the group actor does.
/// </summary>
internal sealed class SnapshotStream(long id, SimulatedReplica from, int toNode)
{
    public long Id { get; } = id;
    public SimulatedReplica From { get; } = from;
    public int Incarnation { get; } = from.Incarnation;
    public int ToNode { get; } = toNode;
    /// <summary>A newer snapshot to the same node replaced this one: it stops, and reports nothing more.</summary>
    public bool Superseded { get; set; }
}

/// <summary>A stream's report to its sending replica, due at a step.</summary>
internal sealed record TransferReport(long Due, SnapshotStream Stream, SnapshotTransferState State);
