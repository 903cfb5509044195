namespace AkkaRaft.Core.Kv;

/// <summary>
/// The time a node stamps the writes of the regions it leads with, and judges their reads by. Plain class with no clock
/// of its own: the caller passes its wall-clock and monotonic readings in.
/// </summary>
/// <remarks>
/// It is the node's wall clock, unless that strays from the cluster's by more than <see cref="MaxOffsetMs"/>: then it is
/// the wall clock plus the median offset to the peers (this node counting as offset 0; with an even count, the lower of
/// the two middle values, so a tie never moves time forward). Offsets come from round trips shorter than the max offset,
/// heard within <see cref="SampleLifetimeMs"/>; with none, the wall clock is used as is. So one node with a clock hours
/// ahead follows the others instead of stamping its own time (CockroachDB's max-offset rule, applied by correcting
/// rather than by stopping the node). It never goes back: no reading is earlier than one given before.
/// A bound in the state machine ("a stamp at most N seconds past the last one") cannot tell an idle region from a fast
/// clock: after an idle hour its clock would trail real time, and reads would keep keys an hour past their expiry.
/// </remarks>
internal sealed class ExpiryClock
{
    private readonly Dictionary<ulong, Sample> _peers = [];
    private long _last = long.MinValue;

    /// <summary>A clock that tolerates <paramref name="maxOffsetMs"/> of disagreement and trusts offsets for <paramref name="sampleLifetimeMs"/>.</summary>
    public ExpiryClock(long maxOffsetMs, long sampleLifetimeMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOffsetMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleLifetimeMs);
        MaxOffsetMs = maxOffsetMs;
        SampleLifetimeMs = sampleLifetimeMs;
    }

    /// <summary>How far this node's wall clock may be from the cluster's median before it is corrected.</summary>
    public long MaxOffsetMs { get; }

    /// <summary>How long a measured offset counts (a silent peer's goes stale).</summary>
    public long SampleLifetimeMs { get; }

    /// <summary>
    /// Records peer <paramref name="peer"/>'s wall clock minus this node's, measured at <paramref name="monotonicMs"/> over a
    /// round trip of <paramref name="roundTripMs"/>; false (ignored) when the round trip leaves more uncertainty than the max offset.
    /// </summary>
    public bool RecordOffset(ulong peer, long offsetMs, long roundTripMs, long monotonicMs)
    {
        if (roundTripMs < 0 || roundTripMs > MaxOffsetMs) return false;
        _peers[peer] = new Sample(offsetMs, monotonicMs);
        return true;
    }

    /// <summary>What is added to the wall clock at <paramref name="monotonicMs"/>: 0 within the max offset of the cluster's median.</summary>
    public long CorrectionMs(long monotonicMs)
    {
        var offsets = new List<long>(_peers.Count + 1) { 0 };
        foreach (var sample in _peers.Values)
            if (monotonicMs - sample.MonotonicMs <= SampleLifetimeMs) offsets.Add(sample.OffsetMs);
        offsets.Sort();
        var median = offsets[(offsets.Count - 1) / 2];
        return median > MaxOffsetMs || median < -MaxOffsetMs ? median : 0;
    }

    /// <summary>The time to stamp or judge by, given the clocks read now; never earlier than any earlier answer.</summary>
    public long Now(long wallMs, long monotonicMs)
    {
        var correction = CorrectionMs(monotonicMs);
        var corrected = correction > 0 && wallMs > long.MaxValue - correction ? long.MaxValue : wallMs + correction;
        if (corrected > _last) _last = corrected;
        return _last;
    }

    private readonly record struct Sample(long OffsetMs, long MonotonicMs);
}
