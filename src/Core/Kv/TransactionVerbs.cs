using System.Collections.Frozen;
using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// What may be queued between MULTI and EXEC: every command of <see cref="Redis.RedisCommandTable"/> plus the string and
/// key commands that have dedicated records (GET, SET, DEL, INCRBY, MSET, ...) and PING/ECHO. Arity and key positions
/// follow Redis (negative arity = at least, the verb counted; last key -1 = the last argument).
/// </summary>
internal static class TransactionVerbs
{
    private sealed record Basic(string Name, int Arity, int FirstKey, int LastKey, int Step);

    private static readonly FrozenDictionary<string, Basic> Basics = new Basic[]
    {
        new("get", 2, 1, 1, 1), new("set", -3, 1, 1, 1), new("setnx", 3, 1, 1, 1), new("setex", 4, 1, 1, 1),
        new("psetex", 4, 1, 1, 1), new("del", -2, 1, -1, 1), new("unlink", -2, 1, -1, 1), new("exists", -2, 1, -1, 1),
        new("mget", -2, 1, -1, 1), new("mset", -3, 1, -1, 2), new("incr", 2, 1, 1, 1), new("decr", 2, 1, 1, 1),
        new("incrby", 3, 1, 1, 1), new("decrby", 3, 1, 1, 1), new("ping", -1, 0, 0, 0), new("echo", 2, 0, 0, 0),
    }.ToFrozenDictionary(b => b.Name.ToUpperInvariant(), StringComparer.Ordinal);

    /// <summary>The lower-case name of a command that may be queued, or null for one that may not.</summary>
    public static string? NameOf(ReadOnlySpan<byte> verb)
    {
        if (Redis.RedisCommandTable.Find(verb) is { } spec) return spec.Name;
        return Basics.TryGetValue(Upper(verb), out var basic) ? basic.Name : null;
    }

    /// <summary>
    /// The error Redis gives at queue time (unknown command, wrong arity), which makes EXEC answer EXECABORT; null when the
    /// command may be queued. Every other error is found when the command runs inside EXEC.
    /// </summary>
    public static string? QueueError(IReadOnlyList<byte[]> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0) return "ERR empty command";
        if (Redis.RedisCommandTable.Find(args[0]) is { } spec)
            return spec.ArityAccepts(args.Count) ? null : $"ERR wrong number of arguments for '{spec.Name}' command";
        if (!Basics.TryGetValue(Upper(args[0]), out var basic))
            return $"ERR unknown command '{Redis.RedisCommandTable.Text(args[0])}'";
        var fits = basic.Arity >= 0 ? args.Count == basic.Arity : args.Count >= -basic.Arity;
        if (basic.Name == "mset" && args.Count % 2 == 0) fits = false;
        return fits ? null : $"ERR wrong number of arguments for '{basic.Name}' command";
    }

    /// <summary>The keys of a queueable command (none for PING/ECHO, an unknown verb or a short vector).</summary>
    public static IEnumerable<byte[]> KeysOf(ImmutableArray<byte[]> args)
    {
        if (args.IsDefaultOrEmpty) return [];
        if (Redis.RedisCommandTable.Find(args[0]) is not null) return Redis.RedisCommandTable.KeysOf(args);
        if (!Basics.TryGetValue(Upper(args[0]), out var basic) || basic.FirstKey == 0 || args.Length <= basic.FirstKey) return [];
        var last = basic.LastKey < 0 ? args.Length + basic.LastKey : Math.Min(basic.LastKey, args.Length - 1);
        var keys = new List<byte[]>();
        for (var i = basic.FirstKey; i <= last; i += basic.Step) keys.Add(args[i]);
        return keys;
    }

    /// <summary>The keys a queueable command may change: none for a read (GET, EXISTS, MGET, HGET, ...), PING or ECHO.</summary>
    public static IEnumerable<byte[]> WrittenKeysOf(ImmutableArray<byte[]> args)
    {
        if (args.IsDefaultOrEmpty) return [];
        if (Redis.RedisCommandTable.Find(args[0]) is { } spec) return spec.IsWrite ? Redis.RedisCommandTable.KeysOf(args) : [];
        return NameOf(args[0]) is "get" or "exists" or "mget" or "ping" or "echo" ? [] : KeysOf(args);
    }

    private static string Upper(ReadOnlySpan<byte> verb)
    {
        if (verb.Length is 0 or > 24) return "";
        Span<char> upper = stackalloc char[verb.Length];
        for (var i = 0; i < verb.Length; i++)
        {
            var b = verb[i];
            upper[i] = (char)(b is >= (byte)'a' and <= (byte)'z' ? b - 32 : b);
        }
        return new string(upper);
    }
}
