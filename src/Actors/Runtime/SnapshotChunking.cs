using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>One piece of a Raft snapshot message too large for one envelope.</summary>
internal sealed record SnapshotChunk(ulong FromNode, ulong GroupId, ulong TransferId, int Index, int Count, byte[] Data);

/// <summary>
/// The receiver of a snapshot transfer has every chunk below <paramref name="NextIndex"/> (equal to the chunk count once the
/// transfer is complete); sent back for every chunk it takes.
/// </summary>
internal sealed record SnapshotChunkAck(ulong FromNode, ulong GroupId, ulong TransferId, int NextIndex);

/// <summary>Cuts an encoded snapshot message into chunks that each fit an envelope.</summary>
internal static class SnapshotChunker
{
    /// <summary>The wire encoding of <paramref name="message"/> that the chunks of a transfer carry.</summary>
    public static byte[] Encode(Message message)
    {
        var writer = new WireWriter((int)Math.Min(int.MaxValue / 2, message.Size));
        RaftCodec.Write(writer, message);
        return writer.ToArray();
    }

    /// <summary>Number of chunks of at most <paramref name="chunkBytes"/> that carry <paramref name="totalBytes"/>.</summary>
    public static int CountOf(long totalBytes, int chunkBytes) => (int)Math.Max(1, (totalBytes + chunkBytes - 1) / chunkBytes);

    /// <summary>Most chunks a transfer of at most <paramref name="maxSnapshotBytes"/> has at <paramref name="chunkBytes"/> per chunk.</summary>
    public static int MaxChunks(long maxSnapshotBytes, int chunkBytes) => CountOf(maxSnapshotBytes, chunkBytes);

    /// <summary>Chunk <paramref name="index"/> of the encoded message <paramref name="encoded"/>.</summary>
    public static SnapshotChunk Chunk(ulong fromNode, ulong groupId, ulong transferId, byte[] encoded, int index, int chunkBytes)
    {
        var start = (long)index * chunkBytes;
        var end = Math.Min(encoded.Length, start + chunkBytes);
        return new SnapshotChunk(fromNode, groupId, transferId, index, CountOf(encoded.Length, chunkBytes), encoded[(int)start..(int)end]);
    }

    /// <summary>Chunks of at most <paramref name="chunkBytes"/> carrying <paramref name="message"/>.</summary>
    public static IReadOnlyList<SnapshotChunk> Split(ulong fromNode, ulong groupId, ulong transferId, Message message, int chunkBytes)
    {
        var bytes = Encode(message);
        var count = CountOf(bytes.Length, chunkBytes);
        var chunks = new List<SnapshotChunk>(count);
        for (var i = 0; i < count; i++) chunks.Add(Chunk(fromNode, groupId, transferId, bytes, i, chunkBytes));
        return chunks;
    }
}

/// <summary>
/// Reassembles snapshot chunks per (node, transfer). Bounded: at most <c>maxTransfers</c> at once and <c>maxBytes</c> in
/// total; past either bound the least recently active transfer is dropped (its sender then learns from the acks that it
/// must start over). One transfer holds at most <c>maxSnapshotBytes</c> in at most <see cref="MaxChunks"/> chunks
/// (<c>maxSnapshotBytes</c> ÷ <c>chunkBytes</c>): a chunk announcing more is refused before anything is allocated for it,
/// and a transfer growing past the byte bound is dropped. Remembers the last <see cref="CompletedKept"/> completed
/// transfers so late duplicates do not start them again.
/// </summary>
internal sealed class SnapshotAssembler(int maxTransfers, long maxBytes, long maxSnapshotBytes, int chunkBytes)
{
    /// <summary>Completed transfers remembered for duplicate detection.</summary>
    public const int CompletedKept = 64;

    private readonly Dictionary<(ulong Node, ulong Transfer), Assembly> _assemblies = [];
    private readonly Dictionary<(ulong Node, ulong Transfer), int> _completed = [];
    private readonly Queue<(ulong Node, ulong Transfer)> _completedOrder = new();
    private long _order;
    private long _bytes;

    private sealed class Assembly(int count)
    {
        public byte[]?[] Parts { get; } = new byte[]?[count];
        public int Received { get; set; }
        public int NextMissing { get; set; }
        public long Bytes { get; set; }
        public long LastActive { get; set; }
    }

    /// <summary>Transfers in progress.</summary>
    public int InProgress => _assemblies.Count;

    /// <summary>Most chunks one transfer may announce.</summary>
    public int MaxChunks { get; } = SnapshotChunker.MaxChunks(maxSnapshotBytes, chunkBytes);

    /// <summary>Bytes held by transfers in progress.</summary>
    public long BytesHeld => _bytes;

    /// <summary>
    /// The index of the first chunk of the transfer not received yet: the chunk count once it completed, 0 when unknown
    /// (never seen, or dropped by the bounds).
    /// </summary>
    public int NextIndex(ulong fromNode, ulong transferId)
    {
        var key = (fromNode, transferId);
        if (_completed.TryGetValue(key, out var count)) return count;
        return _assemblies.TryGetValue(key, out var assembly) ? assembly.NextMissing : 0;
    }

    /// <summary>Adds a chunk; returns the whole message when this was the last missing piece. Bad chunks throw <see cref="RaftCodecException"/>.</summary>
    public Message? Add(SnapshotChunk chunk)
    {
        // Every check on the header comes before any allocation sized by it: a hostile count must not cost memory.
        if (chunk.Count <= 0 || chunk.Index < 0 || chunk.Index >= chunk.Count)
        {
            throw new RaftCodecException($"snapshot chunk {chunk.Index} of {chunk.Count} is out of range");
        }
        if (chunk.Count > MaxChunks)
        {
            throw new RaftCodecException(
                $"snapshot transfer {chunk.TransferId} announces {chunk.Count} chunks; at most {MaxChunks} fit in {maxSnapshotBytes} bytes (snapshot.max-bytes) at {chunkBytes} bytes per chunk");
        }
        if (chunk.Data.Length == 0 || chunk.Data.Length > maxSnapshotBytes)
        {
            throw new RaftCodecException($"snapshot chunk {chunk.Index} of transfer {chunk.TransferId} carries {chunk.Data.Length} bytes (1..{maxSnapshotBytes} allowed)");
        }
        var key = (chunk.FromNode, chunk.TransferId);
        if (_completed.TryGetValue(key, out var completedCount))
        {
            if (completedCount == chunk.Count) return null; // a late duplicate of a transfer already delivered
            throw new RaftCodecException($"snapshot transfer {chunk.TransferId} changed its chunk count");
        }
        if (!_assemblies.TryGetValue(key, out var assembly))
        {
            while (_assemblies.Count >= maxTransfers) DropLeastRecentlyActive();
            _assemblies[key] = assembly = new Assembly(chunk.Count);
        }
        if (assembly.Parts.Length != chunk.Count) throw new RaftCodecException($"snapshot transfer {chunk.TransferId} changed its chunk count");
        assembly.LastActive = _order++;
        if (assembly.Parts[chunk.Index] is not null) return null; // duplicate
        if (assembly.Bytes + chunk.Data.Length > maxSnapshotBytes)
        {
            // It can never complete within the bound: drop what it holds rather than keep growing.
            Remove(key);
            throw new RaftCodecException(
                $"snapshot transfer {chunk.TransferId} would hold {assembly.Bytes + chunk.Data.Length} bytes, more than {maxSnapshotBytes} (snapshot.max-bytes); dropped");
        }
        assembly.Parts[chunk.Index] = chunk.Data;
        assembly.Received++;
        assembly.Bytes += chunk.Data.Length;
        _bytes += chunk.Data.Length;
        while (assembly.NextMissing < chunk.Count && assembly.Parts[assembly.NextMissing] is not null) assembly.NextMissing++;
        while (_bytes > maxBytes && _assemblies.Count > 1) DropLeastRecentlyActive();
        if (assembly.Received < chunk.Count) return null;
        Remove(key);
        RememberCompleted(key, chunk.Count);
        var whole = new byte[assembly.Bytes];
        var offset = 0;
        foreach (var part in assembly.Parts)
        {
            Buffer.BlockCopy(part!, 0, whole, offset, part!.Length);
            offset += part.Length;
        }
        var reader = new WireReader(whole);
        var message = RaftCodec.ReadMessage(ref reader);
        reader.End();
        if (message.Type != MessageType.Snapshot) throw new RaftCodecException($"snapshot transfer {chunk.TransferId} carried a {message.Type}");
        return message;
    }

    private void RememberCompleted((ulong, ulong) key, int count)
    {
        _completed[key] = count;
        _completedOrder.Enqueue(key);
        while (_completedOrder.Count > CompletedKept) _completed.Remove(_completedOrder.Dequeue());
    }

    private void DropLeastRecentlyActive()
    {
        var oldest = _assemblies.MinBy(a => a.Value.LastActive).Key;
        Remove(oldest);
    }

    private void Remove((ulong, ulong) key)
    {
        if (_assemblies.Remove(key, out var assembly)) _bytes -= assembly.Bytes;
    }
}
