using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Hash commands (t_hash.c).</summary>
public static partial class RedisCommandTable
{
    private static IEnumerable<RedisCommandSpec> HashCommands() =>
    [
        Write("hset", -4, 1, 1, 1, "hash", "Sets fields of a hash; the number of new fields.", HSet),
        Write("hmset", -4, 1, 1, 1, "hash", "Sets fields of a hash; OK.", HSet),
        Write("hsetnx", 4, 1, 1, 1, "hash", "Sets a field only when it does not exist.", HSetNx),
        Read("hget", 3, 1, 1, 1, "hash", "Returns a field's value.", HGet),
        Read("hmget", -3, 1, 1, 1, "hash", "Returns the values of fields.", HMGet),
        Write("hdel", -3, 1, 1, 1, "hash", "Deletes fields; the number removed.", HDel),
        Read("hexists", 3, 1, 1, 1, "hash", "Whether a field exists.", HExists),
        Read("hlen", 2, 1, 1, 1, "hash", "Number of fields.", HLen),
        Read("hgetall", 2, 1, 1, 1, "hash", "All fields and values.", (ks, a) => HGetAll(ks, a, fields: true, values: true)),
        Read("hkeys", 2, 1, 1, 1, "hash", "All field names.", (ks, a) => HGetAll(ks, a, fields: true, values: false)),
        Read("hvals", 2, 1, 1, 1, "hash", "All values.", (ks, a) => HGetAll(ks, a, fields: false, values: true)),
        Write("hincrby", 4, 1, 1, 1, "hash", "Increments an integer field.", HIncrBy),
        Write("hincrbyfloat", 4, 1, 1, 1, "hash", "Increments a float field.", HIncrByFloat),
        Read("hstrlen", 3, 1, 1, 1, "hash", "Length of a field's value.", HStrLen),
        Read("hscan", -3, 1, 1, 1, "hash", "Iterates fields and values (one pass: cursor 0 answers everything).", HScan),
    ];

    private static KvResult HSet(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (a.Length % 2 != 0) return RedisErrors.WrongArity(Text(a[0]).ToLowerInvariant());
        if (ks.FindOrCreate(a[1], out RedisHash hash) is { } error) return error;
        long added = 0;
        for (var i = 2; i < a.Length; i += 2)
            if (hash.Set(a[i], a[i + 1])) added++;
        return RedisArgs.Is(a[0], "HMSET") ? KvResult.Ok : new KvResult.IntegerResult(added);
    }

    private static KvResult HSetNx(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindOrCreate(a[1], out RedisHash hash) is { } error) return error;
        if (hash.TryGet(a[2], out _)) return new KvResult.IntegerResult(0);
        hash.Set(a[2], a[3]);
        return new KvResult.IntegerResult(1);
    }

    private static KvResult HGet(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        return new KvResult.ValueResult(hash is not null && hash.TryGet(a[2], out var value) ? value : null);
    }

    private static KvResult HMGet(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        return RedisArgs.BulkArray(a.Skip(2).Select(f => hash is not null && hash.TryGet(f, out var v) ? v : null));
    }

    private static KvResult HDel(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash, forWrite: true) is { } error) return error;
        if (hash is null) return new KvResult.IntegerResult(0);
        long removed = 0;
        for (var i = 2; i < a.Length; i++)
            if (hash.Remove(a[i])) removed++;
        return new KvResult.IntegerResult(removed);
    }

    private static KvResult HExists(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        return new KvResult.IntegerResult(hash is not null && hash.TryGet(a[2], out _) ? 1 : 0);
    }

    private static KvResult HLen(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        return new KvResult.IntegerResult(hash?.Count ?? 0);
    }

    private static KvResult HGetAll(RedisKeyspace ks, ImmutableArray<byte[]> a, bool fields, bool values)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        if (hash is null) return new KvResult.ArrayResult([]);
        var items = new List<KvResult>(hash.Count * (fields && values ? 2 : 1));
        foreach (var (field, value) in hash.Fields)
        {
            if (fields) items.Add(new KvResult.ValueResult(field));
            if (values) items.Add(new KvResult.ValueResult(value));
        }
        return new KvResult.ArrayResult(items, fields && values ? ArrayShape.Map : ArrayShape.List);
    }

    private static KvResult HIncrBy(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[3], out var delta)) return RedisErrors.NotInteger;
        if (ks.FindOrCreate(a[1], out RedisHash hash) is { } error) return error;
        long current = 0;
        if (hash.TryGet(a[2], out var old) && !RedisArgs.TryInteger(old, out current)) return RedisErrors.HashValueNotInteger;
        if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta)) return RedisErrors.Overflow;
        hash.Set(a[2], KvStateMachine.FormatInteger(current + delta));
        return new KvResult.IntegerResult(current + delta);
    }

    private static KvResult HIncrByFloat(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryDouble(a[3], out var increment)) return RedisErrors.NotFloat;
        if (!double.IsFinite(increment)) return RedisErrors.Argument("ERR value is NaN or Infinity");
        if (ks.FindOrCreate(a[1], out RedisHash hash) is { } error) return error;
        byte[] current = "0"u8.ToArray();
        if (hash.TryGet(a[2], out var old))
        {
            if (!RedisArgs.TryDouble(old, out _)) return RedisErrors.HashValueNotFloat;
            current = old;
        }
        if (RedisArgs.AddFloats(current, a[3]) is not { } sum) return RedisErrors.NaNOrInfinity;
        hash.Set(a[2], sum);
        return new KvResult.ValueResult(sum);
    }

    private static KvResult HStrLen(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        return new KvResult.IntegerResult(hash is not null && hash.TryGet(a[2], out var value) ? value.Length : 0);
    }

    private static KvResult HScan(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ScanOptions.Parse(a) is not { } options) return ScanOptions.LastError(a);
        if (ks.Find(a[1], out RedisHash? hash) is { } error) return error;
        var items = new List<KvResult>();
        if (hash is not null && options.Cursor == 0)
        {
            foreach (var (field, value) in hash.Fields)
            {
                if (!options.Matches(field)) continue;
                items.Add(new KvResult.ValueResult(field));
                items.Add(new KvResult.ValueResult(value));
            }
        }
        return ScanOptions.Reply(items);
    }
}
