using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>String commands beyond GET/SET/INCRBY/MSET (t_string.c).</summary>
public static partial class RedisCommandTable
{
    /// <summary>Redis's proto-max-bulk-len default: SETRANGE and APPEND may not grow a string past it.</summary>
    public const long MaxStringBytes = 512L * 1024 * 1024;

    private static IEnumerable<RedisCommandSpec> StringCommands() =>
    [
        Write("append", 3, 1, 1, 1, "string", "Appends to a string; the new length.", Append),
        Read("strlen", 2, 1, 1, 1, "string", "Length of a string.", StrLen),
        Read("getrange", 4, 1, 1, 1, "string", "A substring.", GetRange),
        Read("substr", 4, 1, 1, 1, "string", "A substring (old name of GETRANGE).", GetRange),
        Write("setrange", 4, 1, 1, 1, "string", "Overwrites part of a string.", SetRange),
        Write("getdel", 2, 1, 1, 1, "string", "Returns a string and deletes it.", GetDel),
        Write("getex", -2, 1, 1, 1, "string", "Returns a string and sets or clears its expiry.", GetEx),
        Write("incrbyfloat", 3, 1, 1, 1, "string", "Increments a float value.", IncrByFloat),
        Write("getset", 3, 1, 1, 1, "string", "Sets a string and returns the old one (clears the expiry).", GetSet),
        Write("msetnx", -3, 1, -1, 2, "string", "Sets several keys only if none exists (keys in one region).", MSetNx),
    ];

    private static KvResult Append(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindString(a[1], out var current) is { } error) return error;
        if (!ks.TryGet(a[1], out var stored)) stored = new StoredValue(Array.Empty<byte>(), null);
        var length = (current?.Length ?? 0) + (long)a[2].Length;
        if (length > MaxStringBytes) return new KvResult.ErrorResult("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        ks.Put(a[1], stored with { Value = (byte[])[.. current ?? [], .. a[2]] });
        return new KvResult.IntegerResult(length);
    }

    private static KvResult StrLen(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindString(a[1], out var value) is { } error) return error;
        return new KvResult.IntegerResult(value?.Length ?? 0);
    }

    private static KvResult GetRange(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var start) || !RedisArgs.TryInteger(a[3], out var end)) return RedisErrors.NotInteger;
        if (ks.FindString(a[1], out var value) is { } error) return error;
        if (value is null || (start < 0 && end < 0 && start > end)) return new KvResult.ValueResult([]);
        long length = value.Length;
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= length) end = length - 1;
        if (start > end || length == 0) return new KvResult.ValueResult([]);
        return new KvResult.ValueResult(value.AsSpan((int)start, (int)(end - start + 1)).ToArray());
    }

    private static KvResult SetRange(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var offset)) return RedisErrors.NotInteger;
        if (offset < 0) return RedisErrors.Argument("ERR offset is out of range");
        if (ks.FindString(a[1], out var current) is { } error) return error;
        if (a[3].Length == 0) return new KvResult.IntegerResult(current?.Length ?? 0);
        if (offset + a[3].Length > MaxStringBytes) return new KvResult.ErrorResult("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        current ??= [];
        var next = new byte[Math.Max(current.Length, offset + a[3].Length)];
        current.CopyTo(next, 0);
        a[3].CopyTo(next, offset);
        var expiry = ks.TryGet(a[1], out var stored) ? stored.ExpireAtMs : null;
        ks.Put(a[1], new StoredValue(next, expiry));
        return new KvResult.IntegerResult(next.Length);
    }

    private static KvResult GetDel(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindString(a[1], out var value) is { } error) return error;
        if (value is not null) ks.Delete(a[1]);
        return new KvResult.ValueResult(value);
    }

    private static KvResult GetEx(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        long? amount = null;
        long unitMs = 1;
        bool absolute = false, persist = false;
        for (var i = 2; i < a.Length; i++)
        {
            var option = RedisArgs.Keyword(a[i]);
            if (option == "PERSIST" && amount is null && !persist) persist = true;
            else if (option is "EX" or "PX" or "EXAT" or "PXAT" && amount is null && !persist && i + 1 < a.Length)
            {
                if (!RedisArgs.TryInteger(a[++i], out var value)) return RedisErrors.NotInteger;
                amount = value;
                unitMs = option is "EX" or "EXAT" ? 1000 : 1;
                absolute = option is "EXAT" or "PXAT";
            }
            else return RedisErrors.Syntax;
        }
        if (ks.FindString(a[1], out var current) is { } error) return error;
        if (current is null) return new KvResult.ValueResult(null);
        if (amount is { } when)
        {
            // Checked after the lookup, as Redis does: a missing key answers nil whatever the time.
            if (when <= 0 || when > long.MaxValue / unitMs) return new KvResult.ErrorResult("ERR invalid expire time in 'getex' command");
            when *= unitMs;
            if (!absolute)
            {
                if (when > long.MaxValue - ks.NowMs) return new KvResult.ErrorResult("ERR invalid expire time in 'getex' command");
                when += ks.NowMs;
            }
            ks.SetExpiry(a[1], when);
        }
        else if (persist) ks.SetExpiry(a[1], null);
        return new KvResult.ValueResult(current);
    }

    private static KvResult IncrByFloat(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindString(a[1], out var current) is { } error) return error;
        if ((current is not null && !RedisArgs.TryDouble(current, out _)) || !RedisArgs.TryDouble(a[2], out _))
            return new KvResult.ErrorResult(RedisErrors.NotFloat.Message);
        if (RedisArgs.AddFloats(current ?? "0"u8.ToArray(), a[2]) is not { } sum) return RedisErrors.NaNOrInfinity;
        var expiry = ks.TryGet(a[1], out var stored) ? stored.ExpireAtMs : null;
        ks.Put(a[1], new StoredValue(sum, expiry));
        return new KvResult.ValueResult(sum);
    }

    private static KvResult GetSet(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindString(a[1], out var old) is { } error) return error;
        ks.Put(a[1], new StoredValue(a[2], null));
        return new KvResult.ValueResult(old);
    }

    private static KvResult MSetNx(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (a.Length % 2 == 0) return RedisErrors.WrongArity("msetnx");
        for (var i = 1; i < a.Length; i += 2)
            if (ks.Exists(a[i])) return new KvResult.IntegerResult(0);
        for (var i = 1; i < a.Length; i += 2) ks.Put(a[i], new StoredValue(a[i + 1], null));
        return new KvResult.IntegerResult(1);
    }
}
