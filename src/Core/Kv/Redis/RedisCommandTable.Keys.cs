using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Generic key commands (expire.c, db.c) that work on every type.</summary>
public static partial class RedisCommandTable
{
    private static IEnumerable<RedisCommandSpec> KeyCommands() =>
    [
        Read("type", 2, 1, 1, 1, "generic", "The type of a key's value.", KeyType),
        Write("expire", -3, 1, 1, 1, "generic", "Sets a timeout in seconds (NX XX GT LT).", (ks, a) => Expire(ks, a, 1000, relative: true)),
        Write("pexpire", -3, 1, 1, 1, "generic", "Sets a timeout in milliseconds.", (ks, a) => Expire(ks, a, 1, relative: true)),
        Write("expireat", -3, 1, 1, 1, "generic", "Sets an expiry as a Unix time in seconds.", (ks, a) => Expire(ks, a, 1000, relative: false)),
        Write("pexpireat", -3, 1, 1, 1, "generic", "Sets an expiry as a Unix time in milliseconds.", (ks, a) => Expire(ks, a, 1, relative: false)),
        Read("ttl", 2, 1, 1, 1, "generic", "Seconds to live; -1 without expiry, -2 when absent.", (ks, a) => Ttl(ks, a, milliseconds: false, absolute: false)),
        Read("pttl", 2, 1, 1, 1, "generic", "Milliseconds to live.", (ks, a) => Ttl(ks, a, milliseconds: true, absolute: false)),
        Read("expiretime", 2, 1, 1, 1, "generic", "Expiry as a Unix time in seconds.", (ks, a) => Ttl(ks, a, milliseconds: false, absolute: true)),
        Read("pexpiretime", 2, 1, 1, 1, "generic", "Expiry as a Unix time in milliseconds.", (ks, a) => Ttl(ks, a, milliseconds: true, absolute: true)),
        Write("persist", 2, 1, 1, 1, "generic", "Removes the expiry.", Persist),
        Write("rename", 3, 1, 2, 1, "generic", "Renames a key (both names in one region).", (ks, a) => Rename(ks, a, onlyIfAbsent: false)),
        Write("renamenx", 3, 1, 2, 1, "generic", "Renames a key when the new name is free.", (ks, a) => Rename(ks, a, onlyIfAbsent: true)),
        Write("copy", -3, 1, 2, 1, "generic", "Copies a value (both keys in one region; DB 0 only).", Copy),
        Read("touch", -2, 1, -1, 1, "generic", "Counts existing keys (keys in one region).", Touch),
    ];

    private static KvResult KeyType(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!ks.TryGet(a[1], out var stored)) return new KvResult.StatusResult("none");
        return new KvResult.StatusResult(stored.Type switch
        {
            RedisType.String => "string",
            RedisType.Hash => "hash",
            RedisType.List => "list",
            RedisType.Set => "set",
            _ => "zset",
        });
    }

    private static KvResult Expire(RedisKeyspace ks, ImmutableArray<byte[]> a, long unitMs, bool relative)
    {
        bool nx = false, xx = false, gt = false, lt = false;
        for (var i = 3; i < a.Length; i++)
        {
            var option = RedisArgs.Keyword(a[i]);
            if (option == "NX") nx = true;
            else if (option == "XX") xx = true;
            else if (option == "GT") gt = true;
            else if (option == "LT") lt = true;
            else return RedisErrors.Argument($"ERR Unsupported option {Text(a[i])}");
        }
        if (nx && (xx || gt || lt)) return RedisErrors.Argument("ERR NX and XX, GT or LT options at the same time are not compatible");
        if (gt && lt) return RedisErrors.Argument("ERR GT and LT options at the same time are not compatible");
        if (!RedisArgs.TryInteger(a[2], out var when)) return RedisErrors.NotInteger;
        var name = Text(a[0]).ToLowerInvariant();
        if (when > long.MaxValue / unitMs || when < long.MinValue / unitMs) return RedisErrors.Argument($"ERR invalid expire time in '{name}' command");
        when *= unitMs;
        var baseTime = relative ? ks.NowMs : 0;
        if ((baseTime > 0 && when > long.MaxValue - baseTime) || (baseTime < 0 && when < long.MinValue - baseTime))
            return new KvResult.ErrorResult($"ERR invalid expire time in '{name}' command");
        when += baseTime;
        if (!ks.TryGet(a[1], out var stored)) return new KvResult.IntegerResult(0);
        var current = stored.ExpireAtMs;
        if ((nx && current is not null) || (xx && current is null)
            || (gt && (current is null || when <= current)) || (lt && current is not null && when >= current))
            return new KvResult.IntegerResult(0);
        ks.SetExpiry(a[1], when);
        return new KvResult.IntegerResult(1);
    }

    private static KvResult Ttl(RedisKeyspace ks, ImmutableArray<byte[]> a, bool milliseconds, bool absolute)
    {
        if (!ks.TryGet(a[1], out var stored)) return new KvResult.IntegerResult(-2);
        if (stored.ExpireAtMs is not { } at) return new KvResult.IntegerResult(-1);
        var value = absolute ? at : Math.Max(0, at - ks.NowMs);
        return new KvResult.IntegerResult(milliseconds ? value : (value + 500) / 1000);
    }

    private static KvResult Persist(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!ks.TryGet(a[1], out var stored) || stored.ExpireAtMs is null) return new KvResult.IntegerResult(0);
        ks.SetExpiry(a[1], null);
        return new KvResult.IntegerResult(1);
    }

    private static KvResult Rename(RedisKeyspace ks, ImmutableArray<byte[]> a, bool onlyIfAbsent)
    {
        if (!ks.TryGet(a[1], out var stored)) return RedisErrors.NoSuchKey;
        var same = Regions.ByteKeyComparer.Instance.Equals(a[1], a[2]);
        if (onlyIfAbsent && ks.Exists(a[2])) return new KvResult.IntegerResult(0);
        if (!same)
        {
            ks.Delete(a[1]);
            ks.Put(a[2], stored);
        }
        return onlyIfAbsent ? new KvResult.IntegerResult(1) : KvResult.Ok;
    }

    private static KvResult Copy(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        var replace = false;
        for (var i = 3; i < a.Length; i++)
        {
            if (RedisArgs.Is(a[i], "REPLACE")) replace = true;
            else if (RedisArgs.Is(a[i], "DB") && i + 1 < a.Length)
            {
                if (!RedisArgs.TryInteger(a[++i], out var db)) return RedisErrors.NotInteger;
                if (db != 0) return RedisErrors.Argument("ERR DB index is out of range");
            }
            else return RedisErrors.Syntax;
        }
        if (Regions.ByteKeyComparer.Instance.Equals(a[1], a[2])) return RedisErrors.Argument("ERR source and destination objects are the same");
        if (!ks.TryGet(a[1], out var stored)) return new KvResult.IntegerResult(0);
        if (ks.Exists(a[2]) && !replace) return new KvResult.IntegerResult(0);
        var copy = stored.Value is RedisCollection collection ? collection.Clone() : stored.Value;
        ks.Put(a[2], stored with { Value = copy });
        return new KvResult.IntegerResult(1);
    }

    private static KvResult Touch(RedisKeyspace ks, ImmutableArray<byte[]> a) =>
        new KvResult.IntegerResult(a.Skip(1).LongCount(ks.Exists));
}
