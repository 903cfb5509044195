namespace AkkaRaft.Core.Regions;

/// <summary>Orders and compares keys as unsigned bytes, lexicographically (ordinal), like every range store.</summary>
internal sealed class ByteKeyComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    /// <summary>The single shared instance.</summary>
    public static readonly ByteKeyComparer Instance = new();

    private ByteKeyComparer()
    {
    }

    /// <summary>Ordinal comparison: a proper prefix sorts first; null sorts before everything.</summary>
    public int Compare(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        return x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>True when both arrays hold the same bytes.</summary>
    public bool Equals(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null) return false;
        return x.AsSpan().SequenceEqual(y);
    }

    /// <summary>Content hash, consistent with <see cref="Equals(byte[], byte[])"/>.</summary>
    public int GetHashCode(byte[] obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }

    /// <summary>Compares two range ends where an empty end means "unbounded" (sorts after every key).</summary>
    public static int CompareEnds(byte[] endA, byte[] endB)
    {
        if (endA.Length == 0) return endB.Length == 0 ? 0 : 1;
        if (endB.Length == 0) return -1;
        return endA.AsSpan().SequenceCompareTo(endB);
    }

    /// <summary>True when <paramref name="key"/> lies before the range end <paramref name="end"/> (empty end = unbounded).</summary>
    public static bool IsBeforeEnd(ReadOnlySpan<byte> key, byte[] end) =>
        end.Length == 0 || key.SequenceCompareTo(end) < 0;
}
