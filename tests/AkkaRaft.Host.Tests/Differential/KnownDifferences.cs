namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// Where the host may answer differently from redis-server on purpose, by design of a replicated, range-partitioned store.
/// Each entry names the command and the reason; everything else must match byte for byte.
/// </summary>
public static class KnownDifferences
{
    /// <summary>Why <paramref name="hostReply"/> may differ from <paramref name="redisReply"/> for <paramref name="command"/>; null when it may not.</summary>
    public static string? Explain(byte[][] command, byte[] redisReply, byte[] hostReply) => null;
}
