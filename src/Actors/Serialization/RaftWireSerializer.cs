using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Binary serializer for the hot path: batches of Raft messages between nodes and the journal's events and snapshots.
/// Every payload starts with a format version; unknown versions, manifests and malformed bytes fail with a
/// <see cref="SerializationException"/> that says what was wrong.
/// </summary>
internal sealed class RaftWireSerializer : SerializerWithStringManifest
{
    /// <summary>Identifier written next to every payload; never change it once data exists.</summary>
    public const int SerializerId = 4712;

    private const byte FormatVersion = 1;
    private const string BatchManifest = "RB";
    private const string UnknownGroupManifest = "UG";
    private const string HelloManifest = "NH";
    private const string LogWrittenManifest = "LW";
    private const string GroupSnapshotManifest = "GS";
    private const string SnapshotChunkManifest = "SC";
    private const string TombstoneManifest = "GT";
    private const string SnapshotChunkAckManifest = "SA";

    // Most chunks a snapshot transfer may announce (snapshot.max-bytes ÷ snapshot.chunk-bytes of this node).
    private readonly int _maxSnapshotChunks;

    /// <summary>Created by Akka from configuration.</summary>
    public RaftWireSerializer(ExtendedActorSystem system) : base(system)
    {
        var settings = RaftSettings.Create(system.Settings.Config);
        _maxSnapshotChunks = SnapshotChunker.MaxChunks(settings.SnapshotMaxBytes, settings.SnapshotChunkBytes);
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RaftBatch => BatchManifest,
        UnknownGroupReply => UnknownGroupManifest,
        NodeHello => HelloManifest,
        RaftLogWritten => LogWrittenManifest,
        RaftGroupSnapshot => GroupSnapshotManifest,
        SnapshotChunk => SnapshotChunkManifest,
        GroupTombstone => TombstoneManifest,
        SnapshotChunkAck => SnapshotChunkAckManifest,
        _ => throw new SerializationException($"RaftWireSerializer cannot serialize {o.GetType()}"),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var w = new WireWriter();
        w.Byte(FormatVersion);
        switch (obj)
        {
            case RaftBatch batch:
                w.VarUInt(batch.FromNode);
                w.VarUInt((ulong)batch.Messages.Count);
                foreach (var gm in batch.Messages)
                {
                    w.VarUInt(gm.GroupId);
                    RaftCodec.Write(w, gm.Message);
                }
                break;
            case UnknownGroupReply reply:
                w.VarUInt(reply.FromNode);
                w.VarUInt(reply.GroupId);
                w.VarUInt(reply.ToPeer);
                break;
            case NodeHello hello:
                w.VarUInt(hello.NodeId);
                break;
            case RaftLogWritten written:
                w.Bool(written.HardState is not null);
                if (written.HardState is { } hs) RaftCodec.Write(w, hs);
                RaftCodec.Write(w, written.Entries);
                w.Bool(written.Snapshot is not null);
                if (written.Snapshot is not null) RaftCodec.Write(w, written.Snapshot);
                WritePeers(w, written.PeerNodes);
                break;
            case RaftGroupSnapshot snapshot:
                RaftCodec.Write(w, snapshot.Snapshot);
                RaftCodec.Write(w, snapshot.Tail);
                RaftCodec.Write(w, snapshot.HardState);
                WritePeers(w, snapshot.PeerNodes);
                break;
            case SnapshotChunk chunk:
                w.VarUInt(chunk.FromNode);
                w.VarUInt(chunk.GroupId);
                w.VarUInt(chunk.TransferId);
                w.VarUInt((ulong)chunk.Index);
                w.VarUInt((ulong)chunk.Count);
                w.Bytes(chunk.Data);
                break;
            case GroupTombstone tombstone:
                w.VarUInt(tombstone.PeerId);
                break;
            case SnapshotChunkAck ack:
                w.VarUInt(ack.FromNode);
                w.VarUInt(ack.GroupId);
                w.VarUInt(ack.TransferId);
                w.VarUInt((ulong)ack.NextIndex);
                break;
            default:
                throw new SerializationException($"RaftWireSerializer cannot serialize {obj.GetType()}");
        }
        return w.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return Decode(bytes, manifest);
        }
        catch (RaftCodecException e)
        {
            throw new SerializationException($"malformed {manifest} payload of {bytes.Length} bytes: {e.Message}", e);
        }
    }

    private object Decode(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes);
        var version = r.Byte();
        if (version != FormatVersion) throw new SerializationException($"unknown format version {version} for manifest {manifest}");
        object result;
        switch (manifest)
        {
            case BatchManifest:
            {
                var from = r.VarUInt();
                var count = r.Count(8, "message");
                var messages = new List<GroupMessage>(count);
                for (var i = 0; i < count; i++)
                {
                    var group = r.VarUInt();
                    messages.Add(new GroupMessage(group, RaftCodec.ReadMessage(ref r)));
                }
                result = new RaftBatch(from, messages);
                break;
            }
            case UnknownGroupManifest:
                result = new UnknownGroupReply(r.VarUInt(), r.VarUInt(), r.VarUInt());
                break;
            case HelloManifest:
                result = new NodeHello(r.VarUInt());
                break;
            case LogWrittenManifest:
            {
                HardState? hs = r.Bool() ? RaftCodec.ReadHardState(ref r) : null;
                var entries = RaftCodec.ReadEntries(ref r);
                var snapshot = r.Bool() ? RaftCodec.ReadSnapshot(ref r) : null;
                result = new RaftLogWritten(hs, entries, snapshot, ReadPeers(ref r));
                break;
            }
            case GroupSnapshotManifest:
            {
                var snapshot = RaftCodec.ReadSnapshot(ref r);
                var tail = RaftCodec.ReadEntries(ref r);
                var hs = RaftCodec.ReadHardState(ref r);
                result = new RaftGroupSnapshot(snapshot, tail, hs, ReadPeers(ref r));
                break;
            }
            case SnapshotChunkManifest:
            {
                var from = r.VarUInt();
                var group = r.VarUInt();
                var transfer = r.VarUInt();
                var index = r.VarUInt();
                var count = r.VarUInt();
                if (index >= count || count > int.MaxValue) throw new SerializationException($"snapshot chunk {index} of {count} is out of range");
                if (count > (ulong)_maxSnapshotChunks)
                {
                    throw new SerializationException($"snapshot chunk count {count} exceeds {_maxSnapshotChunks} (snapshot.max-bytes ÷ snapshot.chunk-bytes)");
                }
                result = new SnapshotChunk(from, group, transfer, (int)index, (int)count, r.Bytes());
                break;
            }
            case TombstoneManifest:
                result = new GroupTombstone(r.VarUInt());
                break;
            case SnapshotChunkAckManifest:
            {
                var from = r.VarUInt();
                var group = r.VarUInt();
                var transfer = r.VarUInt();
                var next = r.VarUInt();
                if (next > int.MaxValue) throw new SerializationException($"snapshot chunk ack index {next} is out of range");
                result = new SnapshotChunkAck(from, group, transfer, (int)next);
                break;
            }
            default:
                throw new SerializationException($"unknown manifest '{manifest}'");
        }
        r.End();
        return result;
    }

    private static void WritePeers(WireWriter w, IReadOnlyDictionary<ulong, ulong> peers)
    {
        w.VarUInt((ulong)peers.Count);
        foreach (var (peer, node) in peers.OrderBy(p => p.Key))
        {
            w.VarUInt(peer);
            w.VarUInt(node);
        }
    }

    private static Dictionary<ulong, ulong> ReadPeers(ref WireReader r)
    {
        var count = r.Count(2, "peer");
        var peers = new Dictionary<ulong, ulong>(count);
        for (var i = 0; i < count; i++) peers[r.VarUInt()] = r.VarUInt();
        return peers;
    }
}
