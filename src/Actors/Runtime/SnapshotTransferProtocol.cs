using Akka.Actor;

namespace AkkaRaft.Actors.Runtime;

/// <summary>Asks a node's coordinator for its outgoing snapshot transfers; answered with <see cref="SnapshotTransfers"/>.</summary>
internal sealed record GetSnapshotTransfers : INoSerializationVerificationNeeded
{
    /// <summary>The instance.</summary>
    public static GetSnapshotTransfers Instance { get; } = new();
}

/// <summary>Outgoing snapshot transfers of a node: those queued or sending, and the last few finished ones (newest last).</summary>
internal sealed record SnapshotTransfers(ulong NodeId, IReadOnlyList<SnapshotTransferProgress> Active, IReadOnlyList<SnapshotTransferProgress> Finished);

/// <summary>Where an outgoing snapshot transfer stands.</summary>
internal enum SnapshotTransferState : byte
{
    /// <summary>Waiting for a free transfer slot.</summary>
    Queued,
    /// <summary>Chunks are going out.</summary>
    Sending,
    /// <summary>The receiver acknowledged every chunk.</summary>
    Completed,
    /// <summary>The group sent a different snapshot to the same node; this one was given up.</summary>
    Superseded,
    /// <summary>The receiver acknowledged nothing for several ack timeouts in a row; given up (Raft resends later).</summary>
    Abandoned,
    /// <summary>Every slot and the queue were full; never started (Raft resends later).</summary>
    Rejected,
}

/// <summary>Progress of one outgoing snapshot transfer.</summary>
/// <param name="GroupId">Raft group of the snapshot.</param>
/// <param name="ToNode">Destination node.</param>
/// <param name="TransferId">Id of the transfer (unique per sending node).</param>
/// <param name="State">Where it stands.</param>
/// <param name="BytesSent">Chunk bytes put on the wire, resends included.</param>
/// <param name="BytesAcknowledged">Bytes the receiver confirmed holding.</param>
/// <param name="TotalBytes">Size of the encoded snapshot message.</param>
/// <param name="ChunkCount">Chunks the snapshot is cut into.</param>
/// <param name="StartedAt">When the transfer was offered.</param>
/// <param name="FinishedAt">When it completed or was given up; null while active.</param>
/// <param name="ChunksResent">Chunks sent more than once (after an ack timeout or a receiver that lost its partial copy).</param>
internal sealed record SnapshotTransferProgress(
    ulong GroupId, ulong ToNode, ulong TransferId, SnapshotTransferState State, long BytesSent, long BytesAcknowledged, long TotalBytes,
    int ChunkCount, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int ChunksResent);

/// <summary>
/// The coordinator tells a group where a streamed snapshot of it to <paramref name="ToNode"/> stands: while one is
/// queued or sending, the group does not time it out itself (the stream detects loss by its own ack timeouts); once it
/// ends, the group either waits for the receiver's answer (completed) or lets Raft send it again (abandoned, rejected).
/// </summary>
internal sealed record SnapshotTransferUpdate(ulong GroupId, ulong ToNode, SnapshotTransferState State) : INoSerializationVerificationNeeded;

/// <summary>Test hook: outgoing snapshot chunks for which <paramref name="Drop"/> answers true are not sent (as if the link lost them).</summary>
internal sealed record DropOutgoingSnapshotChunks(Func<ulong, SnapshotChunk, bool> Drop) : INoSerializationVerificationNeeded;
