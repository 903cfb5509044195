namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// How replies are compared, and where the host may answer differently from redis-server on purpose. Everything not listed
/// here must match byte for byte.
/// <list type="bullet">
/// <item>Replies whose element order Redis leaves to its hash tables (SMEMBERS, SINTER, HGETALL, ...) are compared as
/// multisets (HGETALL as field-value pairs): both servers are right in any order.</item>
/// <item>Not a difference but kept out of the streams: multi-key commands of the typed keyspace whose keys lie in different
/// regions are refused with CROSSSLOT by the host (one Raft group per command); the generator keeps their keys on one
/// side of the split key. RANDOMKEY is compared as "a key or nil"; SCAN by the set of keys a full iteration returns
/// (Redis's cursors are hash positions, the host's stand for key positions). Randomized commands (SPOP, SRANDMEMBER) and TTL/PTTL (their answer depends on
/// when each server runs them) are left out of the byte comparison.</item>
/// </list>
/// </summary>
public static class KnownDifferences
{
    private static readonly HashSet<string> UnorderedReplies = new(StringComparer.OrdinalIgnoreCase)
    {
        "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS", "KEYS",
    };

    /// <summary>The reply as it is compared: unordered replies with their elements sorted, others as they are.</summary>
    public static byte[] Normalize(byte[][] command, byte[] reply)
    {
        var verb = System.Text.Encoding.ASCII.GetString(command[0]);
        // A random key: both must agree whether there is one, not on which.
        if (verb.Equals("RANDOMKEY", StringComparison.OrdinalIgnoreCase) && reply.Length > 0 && reply[0] == (byte)'$' && reply[1] != (byte)'-') return "$some key"u8.ToArray();
        var pairs = verb.Equals("HGETALL", StringComparison.OrdinalIgnoreCase);
        if (!pairs && !UnorderedReplies.Contains(verb)) return reply;
        if (reply.Length == 0 || reply[0] is not ((byte)'*' or (byte)'~' or (byte)'%')) return reply;
        var elements = SplitFlatArray(reply);
        if (elements is null) return reply;
        var groups = pairs
            ? elements.Chunk(2).Select(p => p.SelectMany(e => e).ToArray()).ToList()
            : elements;
        groups.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return [reply[0], .. System.Text.Encoding.ASCII.GetBytes($"{(reply[0] == (byte)'%' ? elements.Count / 2 : elements.Count)}\r\n"), .. groups.SelectMany(g => g)];
    }

    /// <summary>Why <paramref name="hostReply"/> may differ from <paramref name="redisReply"/> for <paramref name="command"/>; null when it may not.</summary>
    public static string? Explain(byte[][] command, byte[] redisReply, byte[] hostReply) => null;

    /// <summary>The raw elements of an array of bulk strings, or null when the reply is anything else.</summary>
    private static List<byte[]>? SplitFlatArray(byte[] reply)
    {
        var span = reply.AsSpan();
        var headerEnd = span.IndexOf("\r\n"u8);
        var count = int.Parse(span[1..headerEnd], provider: System.Globalization.CultureInfo.InvariantCulture) * (reply[0] == (byte)'%' ? 2 : 1);
        var position = headerEnd + 2;
        var elements = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var length = RespWire.Measure(span[position..]);
            if (length < 0 || span[position] is not ((byte)'$' or (byte)':' or (byte)',')) return null;
            elements.Add(span.Slice(position, length).ToArray());
            position += length;
        }

        return elements;
    }
}
