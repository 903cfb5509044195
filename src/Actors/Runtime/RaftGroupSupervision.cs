namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// How the coordinator brings back a replica that stopped on its own (a journal failure, a crash): after a backoff that
/// doubles with each consecutive failure, with jitter, from the journal. The coordinator supervises its replicas itself
/// (no backoff supervisor actor per replica: that would double the actors, ~2.8 KB each, on a node with thousands).
/// </summary>
internal static class RaftGroupSupervision
{
    /// <summary>Wait before the first restart.</summary>
    public static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between restarts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Up to this fraction of the wait is added at random, so replicas failing together do not restart together.</summary>
    public const double RandomFactor = 0.2;

    /// <summary>The wait before restart number <paramref name="failures"/> (1 = the first) with <paramref name="jitter"/> in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="failures"/> is below 1 or <paramref name="jitter"/> outside [0, 1).</exception>
    public static TimeSpan RestartDelay(int failures, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        if (jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "must be in [0, 1)");
        var doublings = Math.Min(failures - 1, 16);
        var wait = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * Math.Pow(2, doublings));
        return TimeSpan.FromMilliseconds(wait * (1 + RandomFactor * jitter));
    }
}
