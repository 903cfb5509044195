using System.Collections.Immutable;
using AkkaRaft.Core.Kv;

namespace AkkaRaft.Core.Regions;

/// <summary>Thrown when bytes are not a valid encoded placement command or snapshot.</summary>
internal sealed class PlacementCodecException : FormatException
{
    /// <summary>Creates the exception with a message saying what is wrong and where.</summary>
    public PlacementCodecException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Versioned binary encoding of <see cref="PlacementCommand"/>: format version, op code, then varints and length-prefixed bytes.</summary>
internal static class PlacementCodec
{
    /// <summary>The format version written first; decoding any other version fails.</summary>
    public const byte FormatVersion = 1;

    private enum OpCode : byte
    {
        Bootstrap = 1,
        StoreHeartbeat = 2,
        AllocateIds = 3,
        ReportSplit = 4,
        ReportRegion = 5,
        SetStoreState = 6,
    }

    /// <summary>Encodes a command.</summary>
    public static byte[] Encode(PlacementCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var writer = new WireWriter();
        writer.WriteByte(FormatVersion);
        switch (command)
        {
            case BootstrapCommand bootstrap:
                writer.WriteByte((byte)OpCode.Bootstrap);
                writer.WriteVarUInt((ulong)bootstrap.StoreIds.Length);
                foreach (var store in bootstrap.StoreIds) writer.WriteVarUInt(store);
                writer.WriteVarUInt((ulong)bootstrap.Ranges.Length);
                foreach (var range in bootstrap.Ranges)
                {
                    writer.WriteBytes(range.Start);
                    writer.WriteBytes(range.End);
                }
                break;
            case StoreHeartbeatCommand heartbeat:
                writer.WriteByte((byte)OpCode.StoreHeartbeat);
                writer.WriteVarUInt(heartbeat.StoreId);
                writer.WriteVarUInt((ulong)heartbeat.Regions.Length);
                foreach (var region in heartbeat.Regions)
                {
                    writer.WriteVarUInt(region.RegionId);
                    writer.WriteVarUInt(region.Epoch.ConfVersion);
                    writer.WriteVarUInt(region.Epoch.Version);
                    writer.WriteByte(region.IsLeader ? (byte)1 : (byte)0);
                    writer.WriteVarUInt(region.Term);
                    writer.WriteVarInt(region.ApproximateSizeBytes);
                    WriteIds(writer, region.DownPeerStores);
                }
                break;
            case AllocateIdsCommand allocate:
                writer.WriteByte((byte)OpCode.AllocateIds);
                writer.WriteVarInt(allocate.Count);
                break;
            case ReportSplitCommand split:
                writer.WriteByte((byte)OpCode.ReportSplit);
                WriteRegion(writer, split.Left);
                WriteRegion(writer, split.Right);
                break;
            case ReportRegionCommand report:
                writer.WriteByte((byte)OpCode.ReportRegion);
                WriteRegion(writer, report.Region);
                break;
            case SetStoreStateCommand state:
                writer.WriteByte((byte)OpCode.SetStoreState);
                writer.WriteVarUInt(state.StoreId);
                writer.WriteByte((byte)state.State);
                break;
            default:
                throw new ArgumentException($"unknown placement command {command.GetType().Name}", nameof(command));
        }
        return writer.ToArray();
    }

    /// <summary>Decodes a command; throws <see cref="PlacementCodecException"/> on garbage, truncation or trailing bytes.</summary>
    public static PlacementCommand Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new WireReader(data, "placement command");
            var version = reader.ReadByte("format version");
            if (version != FormatVersion) throw reader.Fail($"format version {version} is not {FormatVersion}");
            var op = reader.ReadByte("op code");
            PlacementCommand command = op switch
            {
                (byte)OpCode.Bootstrap => ReadBootstrap(ref reader),
                (byte)OpCode.StoreHeartbeat => ReadHeartbeat(ref reader),
                (byte)OpCode.AllocateIds => new AllocateIdsCommand(checked((int)reader.ReadVarInt("count"))),
                (byte)OpCode.ReportSplit => new ReportSplitCommand(ReadRegion(ref reader), ReadRegion(ref reader)),
                (byte)OpCode.ReportRegion => new ReportRegionCommand(ReadRegion(ref reader)),
                (byte)OpCode.SetStoreState => new SetStoreStateCommand(reader.ReadVarUInt("store id"), ReadStoreState(ref reader)),
                _ => throw reader.Fail($"unknown op code {op}"),
            };
            reader.EnsureEnd();
            return command;
        }
        catch (Exception e) when (e is KvCodecException or OverflowException)
        {
            throw new PlacementCodecException(e.Message, e);
        }
    }

    private static BootstrapCommand ReadBootstrap(ref WireReader reader)
    {
        var stores = ReadIds(ref reader, "store ids");
        var count = reader.ReadCount("range count", 2);
        var ranges = ImmutableArray.CreateBuilder<KeyRange>(count);
        for (var i = 0; i < count; i++) ranges.Add(new KeyRange(reader.ReadBytes("range start"), reader.ReadBytes("range end")));
        return new BootstrapCommand(stores, ranges.MoveToImmutable());
    }

    private static StoreHeartbeatCommand ReadHeartbeat(ref WireReader reader)
    {
        var store = reader.ReadVarUInt("store id");
        var count = reader.ReadCount("region count", 7);
        var regions = ImmutableArray.CreateBuilder<RegionHeartbeat>(count);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadVarUInt("region id");
            var epoch = new RegionEpoch(reader.ReadVarUInt("conf version"), reader.ReadVarUInt("version"));
            var leaderFlag = reader.ReadByte("leader flag");
            if (leaderFlag > 1) throw reader.Fail($"leader flag {leaderFlag} is not 0 or 1");
            var term = reader.ReadVarUInt("term");
            var size = reader.ReadVarInt("approximate size");
            regions.Add(new RegionHeartbeat(id, epoch, leaderFlag == 1, term, size, ReadIds(ref reader, "down peer stores")));
        }
        return new StoreHeartbeatCommand(store, regions.MoveToImmutable());
    }

    internal static StoreState ReadStoreState(ref WireReader reader)
    {
        var state = reader.ReadByte("store state");
        if (state > (byte)StoreState.Removed) throw reader.Fail($"store state {state} is unknown");
        return (StoreState)state;
    }

    internal static void WriteIds(WireWriter writer, ImmutableArray<ulong> ids)
    {
        writer.WriteVarUInt((ulong)ids.Length);
        foreach (var id in ids) writer.WriteVarUInt(id);
    }

    internal static ImmutableArray<ulong> ReadIds(ref WireReader reader, string field)
    {
        var count = reader.ReadCount(field, 1);
        var ids = ImmutableArray.CreateBuilder<ulong>(count);
        for (var i = 0; i < count; i++) ids.Add(reader.ReadVarUInt(field));
        return ids.MoveToImmutable();
    }

    internal static void WriteRegion(WireWriter writer, Region region)
    {
        writer.WriteVarUInt(region.Id);
        writer.WriteBytes(region.StartKey);
        writer.WriteBytes(region.EndKey);
        writer.WriteVarUInt(region.Epoch.ConfVersion);
        writer.WriteVarUInt(region.Epoch.Version);
        writer.WriteVarUInt((ulong)region.Peers.Length);
        foreach (var peer in region.Peers)
        {
            writer.WriteVarUInt(peer.StoreId);
            writer.WriteVarUInt(peer.PeerId);
            writer.WriteByte((byte)peer.Role);
        }
    }

    internal static Region ReadRegion(ref WireReader reader)
    {
        var id = reader.ReadVarUInt("region id");
        var start = reader.ReadBytes("start key");
        var end = reader.ReadBytes("end key");
        var epoch = new RegionEpoch(reader.ReadVarUInt("conf version"), reader.ReadVarUInt("version"));
        var count = reader.ReadCount("peer count", 3);
        var peers = new List<RegionPeer>(count);
        for (var i = 0; i < count; i++)
        {
            var store = reader.ReadVarUInt("peer store");
            var peer = reader.ReadVarUInt("peer id");
            var role = reader.ReadByte("peer role");
            if (role > (byte)PeerRole.Demoting) throw reader.Fail($"peer role {role} is unknown");
            peers.Add(new RegionPeer(store, peer, (PeerRole)role));
        }
        return new Region(id, start, end, epoch, peers);
    }
}
