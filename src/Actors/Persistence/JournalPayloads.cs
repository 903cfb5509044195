using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using AkkaSerialization = Akka.Serialization.Serialization;

namespace AkkaRaft.Actors.Persistence;

/// <summary>Turns events and snapshots into rows and back with the actor system's serializer for their type.</summary>
internal sealed class JournalPayloads(ExtendedActorSystem system)
{
    private readonly AkkaSerialization _serialization = system.Serialization;

    /// <summary>The row of one event; throws if its payload cannot be serialized (the caller rejects its AtomicWrite).</summary>
    public EventRow ToRow(IPersistentRepresentation persistent)
    {
        // Tags are for a query side this journal does not have.
        var payload = persistent.Payload is Tagged tagged ? tagged.Payload : persistent.Payload;
        var (serializerId, manifest, bytes) = Serialize(payload);
        return new EventRow(
            persistent.PersistenceId,
            persistent.SequenceNr,
            serializerId,
            manifest,
            string.IsNullOrEmpty(persistent.Manifest) ? null : persistent.Manifest,
            persistent.WriterGuid,
            persistent.Timestamp,
            bytes);
    }

    /// <summary>The event of a row; a payload that cannot be deserialized fails with a message naming the event.</summary>
    public Persistent FromRow(EventRow row, string databasePath)
    {
        var payload = Deserialize(row.Payload, row.SerializerId, row.Manifest,
            () => $"journal database '{databasePath}': event {row.SequenceNr} of persistence id '{row.PersistenceId}'");
        return new Persistent(payload, row.SequenceNr, row.PersistenceId, row.EventManifest ?? "", false, ActorRefs.NoSender, row.WriterUuid ?? "", row.Timestamp);
    }

    /// <summary>The row of one snapshot.</summary>
    public SnapshotRow ToRow(SnapshotMetadata metadata, object snapshot)
    {
        var (serializerId, manifest, bytes) = Serialize(snapshot);
        return new SnapshotRow(metadata.PersistenceId, metadata.SequenceNr, metadata.Timestamp.Ticks, serializerId, manifest, bytes);
    }

    /// <summary>The snapshot of a row; a payload that cannot be deserialized fails with a message naming the snapshot.</summary>
    public SelectedSnapshot FromRow(SnapshotRow row, string databasePath)
    {
        var snapshot = Deserialize(row.Payload, row.SerializerId, row.Manifest,
            () => $"journal database '{databasePath}': snapshot {row.SequenceNr} of persistence id '{row.PersistenceId}'");
        var metadata = new SnapshotMetadata(row.PersistenceId, row.SequenceNr, new DateTime(row.CreatedTicks, DateTimeKind.Utc));
        return new SelectedSnapshot(metadata, snapshot);
    }

    private (int SerializerId, string? Manifest, byte[] Bytes) Serialize(object payload)
    {
        var serializer = _serialization.FindSerializerFor(payload);
        var manifest = AkkaSerialization.ManifestFor(serializer, payload);
        // With transport information, so actor references inside a payload serialize with this system's address.
        var bytes = AkkaSerialization.WithTransport(system, (serializer, payload), static s => s.serializer.ToBinary(s.payload));
        return (serializer.Identifier, string.IsNullOrEmpty(manifest) ? null : manifest, bytes);
    }

    private object Deserialize(byte[] bytes, int serializerId, string? manifest, Func<string> what)
    {
        try
        {
            return _serialization.Deserialize(bytes, serializerId, manifest ?? "");
        }
        catch (Exception e)
        {
            throw new JournalStorageException($"{what()} (serializer {serializerId}, manifest '{manifest}', {bytes.Length} bytes) cannot be deserialized: {e.Message}", e);
        }
    }
}
