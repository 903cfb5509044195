namespace AkkaRaft.Core.Regions;

/// <summary>A sampled key and the bytes it accounts for (its entry, or the entries up to the next sample).</summary>
internal readonly record struct KeySize(byte[] Key, long SizeBytes);

/// <summary>Chooses where to split a region so both halves hold about the same number of bytes.</summary>
internal static class SplitPlanning
{
    /// <summary>
    /// Picks a split key from <paramref name="sortedSample"/> (strictly increasing keys) so the bytes before it are
    /// closest to half the total. Keys outside the region are ignored. The result is a sampled key strictly above the
    /// region's start with at least one sampled key on each side; null when no such key exists (fewer than two keys).
    /// </summary>
    public static byte[]? ChooseSplitKey(Region region, IReadOnlyList<KeySize> sortedSample)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(sortedSample);
        var inRegion = new List<KeySize>(sortedSample.Count);
        for (var i = 0; i < sortedSample.Count; i++)
        {
            var sample = sortedSample[i];
            if (sample.SizeBytes < 0)
                throw new ArgumentException($"sample {KeyText.Quote(sample.Key)} has a negative size {sample.SizeBytes}", nameof(sortedSample));
            if (i > 0 && ByteKeyComparer.Instance.Compare(sortedSample[i - 1].Key, sample.Key) >= 0)
                throw new ArgumentException($"sample keys must be strictly increasing: {KeyText.Quote(sortedSample[i - 1].Key)} then {KeyText.Quote(sample.Key)}", nameof(sortedSample));
            if (region.Contains(sample.Key)) inRegion.Add(sample);
        }
        if (inRegion.Count < 2) return null;

        long total = 0;
        foreach (var sample in inRegion) total = checked(total + sample.SizeBytes);

        // Candidate i splits before inRegion[i]: index 0 would leave the left half empty (and may equal the start key).
        var best = -1;
        long bestDistance = long.MaxValue;
        long before = inRegion[0].SizeBytes;
        for (var i = 1; i < inRegion.Count; i++)
        {
            // With no sizes at all, fall back to splitting by key count.
            var distance = total == 0 ? Math.Abs(2L * i - inRegion.Count) : Math.Abs(2 * before - total);
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
            before += inRegion[i].SizeBytes;
        }
        return (byte[])inRegion[best].Key.Clone();
    }
}
