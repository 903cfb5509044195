using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>Encodes "peer lives on node" pairs into a membership change's context, so every replica learns where new peers live.</summary>
internal static class PeerNodeCodec
{
    /// <summary>Encodes the pairs (empty input gives empty bytes).</summary>
    public static byte[] Encode(IReadOnlyDictionary<ulong, ulong> peerNodes)
    {
        if (peerNodes.Count == 0) return [];
        var w = new WireWriter();
        w.VarUInt((ulong)peerNodes.Count);
        foreach (var (peer, node) in peerNodes.OrderBy(p => p.Key))
        {
            w.VarUInt(peer);
            w.VarUInt(node);
        }
        return w.ToArray();
    }

    /// <summary>Decodes the pairs; empty bytes give an empty map. Throws <see cref="RaftCodecException"/> on garbage.</summary>
    public static IReadOnlyDictionary<ulong, ulong> Decode(byte[] context)
    {
        if (context.Length == 0) return new Dictionary<ulong, ulong>();
        var r = new WireReader(context);
        var count = r.Count(2, "peer");
        var result = new Dictionary<ulong, ulong>(count);
        for (var i = 0; i < count; i++) result[r.VarUInt()] = r.VarUInt();
        r.End();
        return result;
    }
}
