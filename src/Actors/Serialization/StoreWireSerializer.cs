using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Binary serializer for the client data path's one request and one reply (<see cref="StoreRequest"/>,
/// <see cref="StoreReply"/>): they cross nodes whenever a router's region is led elsewhere, so they get varints and
/// length-prefixed bytes instead of Hyperion's type names. Every payload starts with a format version; malformed bytes
/// fail with a <see cref="SerializationException"/> saying what was wrong. Limits: at most
/// <see cref="MaxRegions"/> regions in a reply, at most <see cref="MaxPeers"/> peers in a region.
/// </summary>
public sealed class StoreWireSerializer : SerializerWithStringManifest
{
    /// <summary>Identifier written next to every payload; never change it once data exists.</summary>
    public const int SerializerId = 4713;

    /// <summary>Most regions a reply may carry (an EpochNotMatch names the request's keys' regions).</summary>
    public const int MaxRegions = 1024;

    /// <summary>Most peers a region may list.</summary>
    public const int MaxPeers = 64;

    private const byte FormatVersion = 1;
    private const string RequestManifest = "SQ";
    private const string ReplyManifest = "SP";

    /// <summary>Created by Akka from configuration.</summary>
    public StoreWireSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        StoreRequest => RequestManifest,
        StoreReply => ReplyManifest,
        _ => throw new SerializationException($"StoreWireSerializer cannot serialize {o.GetType()}"),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var w = new WireWriter(64);
        w.Byte(FormatVersion);
        switch (obj)
        {
            case StoreRequest request:
                w.VarUInt(ZigZag(request.RequestId));
                w.VarUInt(request.TargetStore);
                w.VarUInt(request.RegionId);
                w.VarUInt(request.ConfVersion);
                w.VarUInt(request.Version);
                w.Bool(request.Command is not null);
                if (request.Command is { } command) w.Bytes(command);
                break;
            case StoreReply reply:
                w.VarUInt(ZigZag(reply.RequestId));
                w.Byte((byte)reply.Kind);
                w.Bool(reply.Value is not null);
                if (reply.Value is { } value) w.Bytes(value);
                w.VarUInt(ZigZag(reply.Number));
                w.VarUInt(reply.LeaderStore);
                w.VarUInt((ulong)reply.Regions.Length);
                foreach (var region in reply.Regions) WriteRegion(w, region);
                w.Bytes(Encoding.UTF8.GetBytes(reply.Detail));
                break;
            default:
                throw new SerializationException($"StoreWireSerializer cannot serialize {obj.GetType()}");
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

    private static object Decode(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes);
        var version = r.Byte();
        if (version != FormatVersion) throw new SerializationException($"unknown format version {version} for manifest {manifest}");
        object result;
        switch (manifest)
        {
            case RequestManifest:
            {
                var id = UnZigZag(r.VarUInt());
                var target = r.VarUInt();
                var region = r.VarUInt();
                var confVersion = r.VarUInt();
                var regionVersion = r.VarUInt();
                var command = r.Bool() ? r.Bytes() : null;
                result = new StoreRequest(target, region, command, confVersion, regionVersion) { RequestId = id };
                break;
            }
            case ReplyManifest:
            {
                var id = UnZigZag(r.VarUInt());
                var kind = r.Byte();
                if (kind > (byte)StoreReplyKind.Reply) throw new SerializationException($"unknown store reply kind {kind}");
                var value = r.Bool() ? r.Bytes() : null;
                var number = UnZigZag(r.VarUInt());
                var leader = r.VarUInt();
                var count = r.Count(10, "region");
                if (count > MaxRegions) throw new SerializationException($"{count} regions in one reply exceed {MaxRegions}");
                var regions = new RegionDescriptor[count];
                for (var i = 0; i < count; i++) regions[i] = ReadRegion(ref r);
                var detail = Encoding.UTF8.GetString(r.Bytes());
                result = new StoreReply((StoreReplyKind)kind, value, number, leader, regions, detail) { RequestId = id };
                break;
            }
            default:
                throw new SerializationException($"unknown manifest '{manifest}'");
        }
        r.End();
        return result;
    }

    private static void WriteRegion(WireWriter w, RegionDescriptor region)
    {
        w.VarUInt(region.Id);
        w.Bytes(region.StartKey);
        w.Bytes(region.EndKey);
        w.VarUInt(region.ConfVersion);
        w.VarUInt(region.Version);
        // Invariant: the three peer arrays describe the same peers.
        if (region.PeerIds.Length != region.PeerStores.Length || region.PeerRoles.Length != region.PeerStores.Length)
            throw new InvalidOperationException($"region {region.Id}: peer arrays of different lengths");
        w.VarUInt((ulong)region.PeerStores.Length);
        for (var i = 0; i < region.PeerStores.Length; i++)
        {
            w.VarUInt(region.PeerStores[i]);
            w.VarUInt(region.PeerIds[i]);
            w.Byte(region.PeerRoles[i]);
        }
        w.VarUInt(region.LeaderStore);
        w.VarUInt(ZigZag(region.ApproximateSizeBytes));
    }

    private static RegionDescriptor ReadRegion(ref WireReader r)
    {
        var id = r.VarUInt();
        var start = r.Bytes();
        var end = r.Bytes();
        var confVersion = r.VarUInt();
        var version = r.VarUInt();
        var peers = r.Count(3, "peer");
        if (peers > MaxPeers) throw new SerializationException($"region {id}: {peers} peers exceed {MaxPeers}");
        var stores = new ulong[peers];
        var ids = new ulong[peers];
        var roles = new byte[peers];
        for (var i = 0; i < peers; i++)
        {
            stores[i] = r.VarUInt();
            ids[i] = r.VarUInt();
            roles[i] = r.Byte();
        }
        return new RegionDescriptor(id, start, end, confVersion, version, stores, ids, roles, r.VarUInt(), UnZigZag(r.VarUInt()));
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
