using System.Globalization;
using System.Text;

namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// A seeded random stream of Redis commands over a small key pool, so commands keep meeting the same keys: strings and
/// counters, multi-key commands, SET's options, wrong types, bad arguments and edge values. The same seed and lane give
/// the same stream. Keys hold the seed and the lane, so lanes run side by side without touching each other's keys and a seed
/// starts from no keys whatever ran before; keys start with letters on both sides of the host's initial split key "m", so
/// every lane crosses regions.
/// </summary>
public sealed class CommandGenerator
{
    private static readonly string[] IntegerEdges =
    [
        "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999999",
        "abc", "", "1.5", "+1", " 1", "1 ", "01", "-0", "1e3", "-", "9223372036854775807a", // not "0x10": see KnownDifferences
    ];

    private static readonly string[] ExpiryEdges =
    [
        "0", "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775806", "9223372036854775", "9223372036854776",
        "abc", "", "1.5", "+100", "18446744073709551616",
    ];

    private readonly Random random;
    private readonly byte[][] keys;
    private readonly bool wholeKeyspace;

    /// <summary>A stream for <paramref name="lane"/> of <paramref name="seed"/>; <paramref name="wholeKeyspace"/> adds commands over every key (DBSIZE).</summary>
    public CommandGenerator(int seed, int lane, bool wholeKeyspace)
    {
        // Not HashCode.Combine: it is salted per process, and a seed must give the same stream in every run.
        random = new Random(unchecked((seed * 1_000_003) + lane));
        this.wholeKeyspace = wholeKeyspace;
        var pool = new List<byte[]>();
        foreach (var letter in "ahmsz")
        {
            for (var i = 0; i < 3; i++) pool.Add(Encoding.ASCII.GetBytes($"{letter}{seed}.{lane}:{i}"));
        }

        pool.Add([.. Encoding.ASCII.GetBytes($"b{seed}.{lane}"), 0, 0xFF, (byte)'\r', (byte)'\n']); // binary, with CR LF inside
        pool.Add(Encoding.ASCII.GetBytes($"n{seed}.{lane}:" + new string('k', 300))); // a long key
        if (wholeKeyspace) pool.Add([]); // the empty key is a key too (only where one stream owns the whole keyspace)
        keys = [.. pool];
    }

    /// <summary>The next command: name first, then its arguments.</summary>
    public byte[][] Next()
    {
        var roll = random.Next(1000);
        return roll switch
        {
            < 150 => Command(Name("GET"), Key()),
            < 330 => Set(),
            < 380 => Command(Name("SETNX"), Key(), Value()),
            < 420 => Command(Name(random.Next(2) == 0 ? "SETEX" : "PSETEX"), Key(), Expiry(), Value()),
            < 480 => [Name(random.Next(2) == 0 ? "DEL" : "UNLINK"), .. Keys(1, 4)],
            < 540 => [Name("EXISTS"), .. Keys(1, 4)],
            < 590 => [Name("MGET"), .. Keys(1, 5)],
            < 640 => Mset(),
            < 730 => Command(Name(random.Next(2) == 0 ? "INCR" : "DECR"), Key()),
            < 820 => Command(Name(random.Next(2) == 0 ? "INCRBY" : "DECRBY"), Key(), IntegerArgument()),
            < 850 when wholeKeyspace => Keyspace(),
            < 880 => WrongArity(),
            _ => Typed(),
        };
    }

    private static readonly string[] Patterns = ["*", "a*", "*:1", "?1.*", "[a-h]*", "[^a-m]*", "b*", "nomatch*", "\\*", "*k", "n*k", ""];

    /// <summary>Commands over the whole keyspace (only where one stream owns it).</summary>
    private byte[][] Keyspace() => random.Next(20) switch
    {
        < 8 => Command(Name("DBSIZE")),
        < 15 => Command(Name("KEYS"), Ascii(Patterns[random.Next(Patterns.Length)])),
        < 19 => Command(Name("RANDOMKEY")),
        _ => random.Next(10) == 0 ? Command(Name(random.Next(2) == 0 ? "FLUSHDB" : "FLUSHALL")) : Command(Name("DBSIZE")),
    };

    /// <summary>
    /// SCAN's options for a full iteration to compare after a pipeline (MATCH, COUNT, TYPE), or null for none this time.
    /// Only for whole-keyspace streams; drawn from the same seeded stream, so it replays too.
    /// </summary>
    public string[]? NextFullScan()
    {
        if (!wholeKeyspace || random.Next(8) != 0) return null;
        var options = new List<string>();
        if (random.Next(2) == 0) options.AddRange(["MATCH", Patterns[random.Next(Patterns.Length)]]);
        if (random.Next(2) == 0) options.AddRange(["COUNT", random.Next(1, 30).ToString(CultureInfo.InvariantCulture)]);
        if (random.Next(3) == 0) options.AddRange(["TYPE", new[] { "string", "hash", "list", "set", "zset", "nosuchtype" }[random.Next(6)]]);
        return [.. options];
    }

    // Sorted-set scores and ranges are read by strtod: hexadecimal, empty, leading space and out-of-range inputs too.
    private static readonly string[] ZsetScoreEdges = ["0x10", "0x1p4", "-0X.8", "0x", "", " 1", "1e400", "-1e400", "1e-400", "4e-320", "(0x10", "( 1", "("];

    private static readonly string[] Scores = ["0", "1", "-1", "1.5", "-2.25", "10", "1e3", "inf", "-inf", "+inf", "nan", "abc", "3.0000000000000001", "(1", "(-inf"];

    /// <summary>Hashes, lists, sets, sorted sets and generic key commands, on the same keys as the strings (so types collide).</summary>
    private byte[][] Typed()
    {
        var key = Key();
        return random.Next(40) switch
        {
            0 => [Name("HSET"), key, .. FieldValues()],
            1 => Command(Name("HGET"), key, Field()),
            2 => [Name("HDEL"), key, Field(), .. random.Next(2) == 0 ? [] : new[] { Field() }],
            3 => Command(Name("HLEN"), key),
            4 => Command(Name("HINCRBY"), key, Field(), IntegerArgument()),
            5 => [Name("HMGET"), key, Field(), Field()],
            6 => Command(Name("HEXISTS"), key, Field()),
            7 => Command(Name("HSTRLEN"), key, Field()),
            8 => [Name(random.Next(2) == 0 ? "LPUSH" : "RPUSH"), key, .. Members(1, 3)],
            9 => random.Next(2) == 0 ? Command(Name(random.Next(2) == 0 ? "LPOP" : "RPOP"), key) : Command(Name("LPOP"), key, Ascii(random.Next(-1, 4).ToString(CultureInfo.InvariantCulture))),
            10 => Command(Name("LRANGE"), key, SmallIndex(), SmallIndex()),
            11 => Command(Name("LLEN"), key),
            12 => Command(Name("LINDEX"), key, SmallIndex()),
            13 => Command(Name("LSET"), key, SmallIndex(), Member()),
            14 => Command(Name("LREM"), key, SmallIndex(), Member()),
            15 => Command(Name("LTRIM"), key, SmallIndex(), SmallIndex()),
            16 => Command(Name("LINSERT"), key, Name(random.Next(2) == 0 ? "BEFORE" : "AFTER"), Member(), Member()),
            17 => [Name("SADD"), key, .. Members(1, 3)],
            18 => [Name("SREM"), key, .. Members(1, 2)],
            19 => Command(Name("SISMEMBER"), key, Member()),
            20 => Command(Name("SCARD"), key),
            21 => Command(Name("SMEMBERS"), key),
            22 => [Name("SINTER"), .. SameRegionKeys(1, 3)],
            23 => [Name("ZADD"), key, .. ZaddOptions(), .. ScoreMembers()],
            24 => Command(Name("ZINCRBY"), key, ZsetScore(), Member()),
            25 => [Name("ZREM"), key, .. Members(1, 2)],
            26 => Command(Name("ZSCORE"), key, Member()),
            27 => Command(Name("ZCARD"), key),
            28 => random.Next(2) == 0 ? Command(Name("ZRANGE"), key, SmallIndex(), SmallIndex()) : Command(Name("ZRANGE"), key, SmallIndex(), SmallIndex(), Name("WITHSCORES")),
            29 => Command(Name("ZRANGEBYSCORE"), key, ZsetScore(), ZsetScore()),
            30 => Command(Name("ZRANK"), key, Member()),
            31 => Command(Name("ZCOUNT"), key, ZsetScore(), ZsetScore()),
            32 => Command(Name(random.Next(2) == 0 ? "ZPOPMIN" : "ZPOPMAX"), key),
            33 => Command(Name("TYPE"), key),
            34 => random.Next(2) == 0 ? Command(Name("EXPIRE"), key, Ascii(random.Next(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture))) : Command(Name("PERSIST"), key),
            35 => Command(Name("APPEND"), key, Value()),
            36 => Command(Name("STRLEN"), key),
            37 => random.Next(2) == 0 ? Command(Name("GETRANGE"), key, SmallIndex(), SmallIndex()) : Command(Name("SETRANGE"), key, Ascii(random.Next(0, 20).ToString(CultureInfo.InvariantCulture)), Member()),
            38 => random.Next(2) == 0 ? Command(Name("GETDEL"), key) : Command(Name("INCRBYFLOAT"), key, Score()),
            _ => [Name("RENAME"), .. SameRegionKeys(2, 2)],
        };
    }

    /// <summary>Keys that all lie on one side of the initial split key "m", so multi-key typed commands stay in one region.</summary>
    private byte[][] SameRegionKeys(int min, int max)
    {
        var left = random.Next(2) == 0;
        var side = keys.Where(k => (k.Length == 0 || k[0] < (byte)'m') == left).ToArray();
        var count = random.Next(min, max + 1);
        var chosen = new byte[count][];
        for (var i = 0; i < count; i++) chosen[i] = side[random.Next(side.Length)];
        return chosen;
    }

    private byte[] Field() => Ascii("f" + random.Next(4).ToString(CultureInfo.InvariantCulture));

    private byte[][] FieldValues()
    {
        var pairs = random.Next(1, 3);
        var arguments = new List<byte[]>();
        for (var i = 0; i < pairs; i++)
        {
            arguments.Add(Field());
            arguments.Add(random.Next(2) == 0 ? Value() : Ascii(random.Next(-5, 5).ToString(CultureInfo.InvariantCulture)));
        }

        return [.. arguments];
    }

    private byte[] Member() => random.Next(10) == 0 ? Value() : Ascii("m" + random.Next(5).ToString(CultureInfo.InvariantCulture));

    private byte[][] Members(int min, int max)
    {
        var count = random.Next(min, max + 1);
        var chosen = new byte[count][];
        for (var i = 0; i < count; i++) chosen[i] = Member();
        return chosen;
    }

    private byte[] SmallIndex() => Ascii(random.Next(-4, 5).ToString(CultureInfo.InvariantCulture));

    private byte[] ZsetScore() => random.Next(6) == 0 ? Ascii(ZsetScoreEdges[random.Next(ZsetScoreEdges.Length)]) : Score();

    private byte[] Score() => random.Next(3) == 0 ? Ascii(Scores[random.Next(Scores.Length)]) : Ascii(random.Next(-10, 10).ToString(CultureInfo.InvariantCulture));

    private byte[][] ZaddOptions() => random.Next(6) switch
    {
        0 => [Name("NX")],
        1 => [Name("XX")],
        2 => [Name("CH")],
        3 => [Name("INCR")],
        _ => [],
    };

    private byte[][] ScoreMembers()
    {
        var pairs = random.Next(1, 3);
        var arguments = new List<byte[]>();
        for (var i = 0; i < pairs; i++)
        {
            arguments.Add(ZsetScore());
            arguments.Add(Member());
        }

        return [.. arguments];
    }

    private byte[][] Set()
    {
        var arguments = new List<byte[]> { Name("SET"), Key(), Value() };
        var options = random.Next(10) < 4 ? 0 : random.Next(1, 4);
        for (var i = 0; i < options; i++)
        {
            switch (random.Next(12))
            {
                case 0 or 1: arguments.Add(Name("NX")); break;
                case 2 or 3: arguments.Add(Name("XX")); break;
                case 4 or 5: arguments.Add(Name("GET")); break;
                case 6 or 7: arguments.Add(Name("EX")); arguments.Add(Expiry()); break;
                case 8: arguments.Add(Name("PX")); arguments.Add(Expiry()); break;
                case 9: arguments.Add(Name("EX")); break; // missing its number
                case 10: arguments.Add(Name(random.Next(2) == 0 ? "KEEPXX" : "NXX")); break; // not an option
                default: arguments.Add(Name("PX")); arguments.Add(Ascii("100000000")); break;
            }
        }

        return [.. arguments];
    }

    private byte[][] Mset()
    {
        var pairs = random.Next(1, 4);
        var arguments = new List<byte[]> { Name("MSET") };
        for (var i = 0; i < pairs; i++)
        {
            arguments.Add(Key());
            arguments.Add(Value());
        }

        if (random.Next(10) == 0) arguments.RemoveAt(arguments.Count - 1); // a key without its value
        return [.. arguments];
    }

    /// <summary>A supported command with one argument too few or too many.</summary>
    private byte[][] WrongArity() => random.Next(12) switch
    {
        0 => Command(Name("GET")),
        1 => Command(Name("GET"), Key(), Key()),
        2 => Command(Name("SET"), Key()),
        3 => Command(Name("INCR")),
        4 => Command(Name("INCRBY"), Key()),
        5 => Command(Name("DECRBY"), Key(), IntegerArgument(), IntegerArgument()),
        6 => Command(Name("DEL")),
        7 => Command(Name("EXISTS")),
        8 => Command(Name("MGET")),
        9 => Command(Name("MSET"), Key()),
        10 => Command(Name("SETEX"), Key(), Expiry()),
        _ => Command(Name("SETNX"), Key()),
    };

    private static byte[][] Command(params byte[][] arguments) => arguments;

    /// <summary>The command or option name in a random mix of cases (both servers ignore case).</summary>
    private byte[] Name(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        if (random.Next(4) != 0) return bytes;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (random.Next(2) == 0) bytes[i] = (byte)char.ToLowerInvariant((char)bytes[i]);
        }

        return bytes;
    }

    private byte[] Key() => keys[random.Next(keys.Length)];

    private byte[][] Keys(int min, int max)
    {
        var count = random.Next(min, max + 1);
        var chosen = new byte[count][];
        for (var i = 0; i < count; i++) chosen[i] = Key(); // repeats allowed: DEL a a, EXISTS a a
        return chosen;
    }

    private byte[] Value()
    {
        var roll = random.Next(100);
        if (roll < 35) return Ascii("v" + random.Next(1000).ToString(CultureInfo.InvariantCulture));
        if (roll < 60) return Ascii(random.Next(-50, 50).ToString(CultureInfo.InvariantCulture));
        if (roll < 75) return Ascii(IntegerEdges[random.Next(IntegerEdges.Length)]);
        if (roll < 90)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            return bytes;
        }

        if (roll < 99) return [];
        var large = new byte[random.Next(1_000, 100_000)];
        random.NextBytes(large);
        return large;
    }

    private byte[] IntegerArgument() => random.Next(3) == 0
        ? Ascii(IntegerEdges[random.Next(IntegerEdges.Length)])
        : Ascii(random.Next(-100, 100).ToString(CultureInfo.InvariantCulture));

    /// <summary>Mostly valid expiries far in the future (nothing expires while the test runs), sometimes edge values.</summary>
    private byte[] Expiry() => random.Next(4) == 0
        ? Ascii(ExpiryEdges[random.Next(ExpiryEdges.Length)])
        : Ascii(random.Next(100_000, 10_000_000).ToString(CultureInfo.InvariantCulture));

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>A command as readable text: arguments quoted, non-printable bytes as \xHH, long ones shortened.</summary>
    public static string Show(byte[][] command) => string.Join(" ", command.Select(argument =>
    {
        var text = new StringBuilder("\"");
        foreach (var b in argument.Take(40))
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\') text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }

        if (argument.Length > 40) text.Append($"…({argument.Length} bytes)");
        return text.Append('"').ToString();
    }));
}
