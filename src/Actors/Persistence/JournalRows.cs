namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// One journaled event as stored: Akka's serializer id and manifest next to the payload bytes; the event adapter
/// manifest and the writer's id (for Akka's replay filter) as the Persistent carried them (null when empty).
/// </summary>
internal sealed record EventRow(
    string PersistenceId, long SequenceNr, int SerializerId, string? Manifest, string? EventManifest, string? WriterUuid, long Timestamp, byte[] Payload);

/// <summary>One snapshot as stored; CreatedTicks is the metadata timestamp in ticks.</summary>
internal sealed record SnapshotRow(string PersistenceId, long SequenceNr, long CreatedTicks, int SerializerId, string? Manifest, byte[] Payload);
