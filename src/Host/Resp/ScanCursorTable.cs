namespace AkkaRaft.Host.Resp;

/// <summary>
/// SCAN cursors of one RESP endpoint. A cursor stands for a position in key order (the key the next page starts at), never
/// for a region, so it stays valid when regions split, merge or move between two pages. Clients parse cursors as 64-bit
/// integers, and keys do not fit one, so the cursor is a random token that maps to the key here. Bounded: at most
/// <see cref="MaxCursors"/> cursors and <see cref="MaxKeyBytes"/> bytes of keys; past either bound the oldest cursors are
/// forgotten, and SCAN with a forgotten (or made-up) cursor answers "ERR invalid or expired cursor". Thread-safe.
/// </summary>
internal sealed class ScanCursorTable
{
    /// <summary>Cursors remembered at most.</summary>
    public const int MaxCursors = 100_000;

    /// <summary>Bytes of keys remembered at most.</summary>
    public const long MaxKeyBytes = 64L * 1024 * 1024;

    private readonly object gate = new();
    private readonly Dictionary<long, byte[]> positions = [];
    private readonly Queue<long> oldestFirst = new();
    private long keyBytes;

    /// <summary>Number of cursors remembered now.</summary>
    public int Count
    {
        get { lock (gate) return positions.Count; }
    }

    /// <summary>A new cursor (never 0, which starts a scan) for the position <paramref name="nextKey"/>.</summary>
    public long Remember(byte[] nextKey)
    {
        lock (gate)
        {
            long token;
            do token = Random.Shared.NextInt64(1, long.MaxValue);
            while (positions.ContainsKey(token));
            positions[token] = nextKey;
            oldestFirst.Enqueue(token);
            keyBytes += nextKey.Length;
            while (positions.Count > MaxCursors || keyBytes > MaxKeyBytes)
            {
                if (positions.Remove(oldestFirst.Dequeue(), out var forgotten)) keyBytes -= forgotten.Length;
            }

            return token;
        }
    }

    /// <summary>The position of <paramref name="cursor"/>: the empty key for 0, null when the cursor is unknown or forgotten.</summary>
    public byte[]? Find(long cursor)
    {
        if (cursor == 0) return [];
        lock (gate) return positions.GetValueOrDefault(cursor);
    }
}
