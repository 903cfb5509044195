namespace AkkaRaft.Core.Raft;

/// <summary>Sliding window of appends sent to one follower and not yet acknowledged, bounded in count and bytes.</summary>
internal sealed class Inflights
{
    // Created by the first append: a follower's progress (every replica keeps one per peer) holds none while idle.
    private Queue<(ulong Index, ulong Bytes)>? _window;

    /// <summary>Creates a window of at most <paramref name="maxCount"/> messages and <paramref name="maxBytes"/> bytes (0 = unbounded bytes).</summary>
    public Inflights(int maxCount, ulong maxBytes)
    {
        MaxCount = maxCount;
        MaxBytes = maxBytes;
    }

    /// <summary>Message count limit.</summary>
    public int MaxCount { get; }
    /// <summary>Byte limit (0 = none).</summary>
    public ulong MaxBytes { get; }
    /// <summary>Messages in flight.</summary>
    public int Count => _window?.Count ?? 0;
    /// <summary>Bytes in flight.</summary>
    public ulong Bytes { get; private set; }

    /// <summary>True when no more appends may be sent.</summary>
    public bool Full => Count >= MaxCount || (MaxBytes > 0 && Bytes >= MaxBytes);

    /// <summary>Records an append whose last entry is <paramref name="index"/>.</summary>
    public void Add(ulong index, ulong bytes)
    {
        // Invariant: callers check Full first; the window never grows past its bound.
        if (Count >= MaxCount) throw new InvalidOperationException("inflights: window is full");
        (_window ??= new Queue<(ulong Index, ulong Bytes)>()).Enqueue((index, bytes));
        Bytes += bytes;
    }

    /// <summary>Frees every append up to and including <paramref name="index"/>.</summary>
    public void FreeLE(ulong index)
    {
        if (_window is null) return;
        while (_window.Count > 0 && _window.Peek().Index <= index)
        {
            Bytes -= _window.Dequeue().Bytes;
        }
    }

    /// <summary>Frees the oldest append (its acknowledgement is presumed lost), so a full window can send again.</summary>
    public void FreeFirstOne()
    {
        if (_window is { Count: > 0 }) Bytes -= _window.Dequeue().Bytes;
    }

    /// <summary>Empties the window.</summary>
    public void Reset()
    {
        // Dropped, not cleared: a reset window (a follower probed again, or gone quiet) gives its buffer back.
        _window = null;
        Bytes = 0;
    }
}
