using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>One piece of a Raft snapshot message too large for one envelope.</summary>
public sealed record SnapshotChunk(ulong FromNode, ulong GroupId, ulong TransferId, int Index, int Count, byte[] Data);

/// <summary>Cuts an encoded snapshot message into chunks that each fit an envelope.</summary>
public static class SnapshotChunker
{
    /// <summary>Chunks of at most <paramref name="chunkBytes"/> carrying <paramref name="message"/>.</summary>
    public static IReadOnlyList<SnapshotChunk> Split(ulong fromNode, ulong groupId, ulong transferId, Message message, int chunkBytes)
    {
        var writer = new WireWriter((int)Math.Min(int.MaxValue / 2, message.Size));
        RaftCodec.Write(writer, message);
        var bytes = writer.ToArray();
        var count = Math.Max(1, (bytes.Length + chunkBytes - 1) / chunkBytes);
        var chunks = new List<SnapshotChunk>(count);
        for (var i = 0; i < count; i++)
        {
            var start = i * chunkBytes;
            chunks.Add(new SnapshotChunk(fromNode, groupId, transferId, i, count, bytes[start..Math.Min(bytes.Length, start + chunkBytes)]));
        }
        return chunks;
    }
}

/// <summary>
/// Reassembles snapshot chunks per (node, transfer). Bounded: at most <c>maxTransfers</c> at once and
/// <c>maxBytes</c> in total; past either bound the oldest transfer is dropped (the leader resends the snapshot).
/// </summary>
public sealed class SnapshotAssembler(int maxTransfers, long maxBytes)
{
    private readonly Dictionary<(ulong Node, ulong Transfer), Assembly> _assemblies = [];
    private long _order;
    private long _bytes;

    private sealed class Assembly(int count, long order)
    {
        public byte[]?[] Parts { get; } = new byte[]?[count];
        public int Received { get; set; }
        public long Bytes { get; set; }
        public long Order { get; } = order;
    }

    /// <summary>Transfers in progress.</summary>
    public int InProgress => _assemblies.Count;

    /// <summary>Adds a chunk; returns the whole message when this was the last missing piece. Bad chunks throw <see cref="RaftCodecException"/>.</summary>
    public Message? Add(SnapshotChunk chunk)
    {
        if (chunk.Count <= 0 || chunk.Index < 0 || chunk.Index >= chunk.Count)
        {
            throw new RaftCodecException($"snapshot chunk {chunk.Index} of {chunk.Count} is out of range");
        }
        var key = (chunk.FromNode, chunk.TransferId);
        if (!_assemblies.TryGetValue(key, out var assembly))
        {
            while (_assemblies.Count >= maxTransfers) DropOldest();
            _assemblies[key] = assembly = new Assembly(chunk.Count, _order++);
        }
        if (assembly.Parts.Length != chunk.Count) throw new RaftCodecException($"snapshot transfer {chunk.TransferId} changed its chunk count");
        if (assembly.Parts[chunk.Index] is not null) return null; // duplicate
        assembly.Parts[chunk.Index] = chunk.Data;
        assembly.Received++;
        assembly.Bytes += chunk.Data.Length;
        _bytes += chunk.Data.Length;
        while (_bytes > maxBytes && _assemblies.Count > 1) DropOldest();
        if (assembly.Received < chunk.Count) return null;
        Remove(key);
        var whole = assembly.Parts.SelectMany(p => p!).ToArray();
        var reader = new WireReader(whole);
        var message = RaftCodec.ReadMessage(ref reader);
        reader.End();
        if (message.Type != MessageType.Snapshot) throw new RaftCodecException($"snapshot transfer {chunk.TransferId} carried a {message.Type}");
        return message;
    }

    private void DropOldest()
    {
        var oldest = _assemblies.MinBy(a => a.Value.Order).Key;
        Remove(oldest);
    }

    private void Remove((ulong, ulong) key)
    {
        if (_assemblies.Remove(key, out var assembly)) _bytes -= assembly.Bytes;
    }
}
