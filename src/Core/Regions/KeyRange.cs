namespace AkkaRaft.Core.Regions;

/// <summary>A half-open key range [<see cref="Start"/>, <see cref="End"/>) where an empty key means unbounded.</summary>
internal readonly record struct KeyRange(byte[] Start, byte[] End)
{
    /// <summary>
    /// The ranges cut by <paramref name="splitKeys"/> in the order given (not sorted, not checked), so that
    /// <see cref="LayoutValidation"/> can name the regions at fault when the keys are unsorted or repeated.
    /// </summary>
    public static IReadOnlyList<KeyRange> FromSplitKeys(IReadOnlyList<byte[]> splitKeys)
    {
        ArgumentNullException.ThrowIfNull(splitKeys);
        var ranges = new List<KeyRange>(splitKeys.Count + 1);
        for (var i = 0; i <= splitKeys.Count; i++)
        {
            ranges.Add(new KeyRange(i == 0 ? [] : splitKeys[i - 1], i == splitKeys.Count ? [] : splitKeys[i]));
        }
        return ranges;
    }

    /// <summary>Content equality of both keys.</summary>
    public bool Equals(KeyRange other) =>
        ByteKeyComparer.Instance.Equals(Start, other.Start) && ByteKeyComparer.Instance.Equals(End, other.End);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Start?.Length ?? 0, End?.Length ?? 0);

    /// <summary>Renders as <c>["", "m")</c>.</summary>
    public override string ToString() => KeyText.Range(Start, End);
}
