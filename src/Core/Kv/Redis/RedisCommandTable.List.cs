using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>List commands (t_list.c).</summary>
public static partial class RedisCommandTable
{
    private static IEnumerable<RedisCommandSpec> ListCommands() =>
    [
        Write("lpush", -3, 1, 1, 1, "list", "Prepends elements; the new length.", (ks, a) => Push(ks, a, head: true, onlyIfExists: false)),
        Write("rpush", -3, 1, 1, 1, "list", "Appends elements; the new length.", (ks, a) => Push(ks, a, head: false, onlyIfExists: false)),
        Write("lpushx", -3, 1, 1, 1, "list", "Prepends only to an existing list.", (ks, a) => Push(ks, a, head: true, onlyIfExists: true)),
        Write("rpushx", -3, 1, 1, 1, "list", "Appends only to an existing list.", (ks, a) => Push(ks, a, head: false, onlyIfExists: true)),
        Write("lpop", -2, 1, 1, 1, "list", "Removes and returns the first elements.", (ks, a) => Pop(ks, a, head: true)),
        Write("rpop", -2, 1, 1, 1, "list", "Removes and returns the last elements.", (ks, a) => Pop(ks, a, head: false)),
        Read("llen", 2, 1, 1, 1, "list", "Length of a list.", LLen),
        Read("lrange", 4, 1, 1, 1, "list", "Elements in an index range.", LRange),
        Read("lindex", 3, 1, 1, 1, "list", "Element at an index.", LIndex),
        Write("lset", 4, 1, 1, 1, "list", "Replaces the element at an index.", LSet),
        Write("lrem", 4, 1, 1, 1, "list", "Removes occurrences of an element.", LRem),
        Write("ltrim", 4, 1, 1, 1, "list", "Keeps only an index range.", LTrim),
        Write("linsert", 5, 1, 1, 1, "list", "Inserts before or after a pivot.", LInsert),
        Read("lpos", -3, 1, 1, 1, "list", "Indexes of matching elements.", LPos),
        Write("lmove", 5, 1, 2, 1, "list", "Pops from one list and pushes to another (both in one region).", LMove),
        Write("rpoplpush", 3, 1, 2, 1, "list", "LMOVE source destination RIGHT LEFT (old name).", (ks, a) => LMove(ks, [a[0], a[1], a[2], "RIGHT"u8.ToArray(), "LEFT"u8.ToArray()])),
    ];

    private static KvResult Push(RedisKeyspace ks, ImmutableArray<byte[]> a, bool head, bool onlyIfExists)
    {
        RedisList list;
        if (onlyIfExists)
        {
            if (ks.Find(a[1], out RedisList? existing, forWrite: true) is { } error) return error;
            if (existing is null) return new KvResult.IntegerResult(0);
            list = existing;
        }
        else if (ks.FindOrCreate(a[1], out list) is { } error) return error;
        for (var i = 2; i < a.Length; i++)
        {
            if (head) list.Insert(0, a[i]);
            else list.Add(a[i]);
        }
        return new KvResult.IntegerResult(list.Count);
    }

    private static KvResult Pop(RedisKeyspace ks, ImmutableArray<byte[]> a, bool head)
    {
        if (a.Length > 3) return RedisErrors.WrongArity(head ? "lpop" : "rpop");
        long? count = null;
        if (a.Length == 3)
        {
            if (!RedisArgs.TryInteger(a[2], out var n) || n < 0) return RedisErrors.MustBePositive;
            count = n;
        }
        if (ks.Find(a[1], out RedisList? list, forWrite: true) is { } error) return error;
        if (list is null) return count is null ? new KvResult.ValueResult(null) : new KvResult.ArrayResult(null);
        if (count is null) return new KvResult.ValueResult(list.RemoveAt(head ? 0 : list.Count - 1));
        var popped = new List<KvResult>();
        while (popped.Count < count && list.Count > 0) popped.Add(new KvResult.ValueResult(list.RemoveAt(head ? 0 : list.Count - 1)));
        return new KvResult.ArrayResult(popped);
    }

    private static KvResult LLen(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisList? list) is { } error) return error;
        return new KvResult.IntegerResult(list?.Count ?? 0);
    }

    /// <summary>Redis's index range rule (LRANGE, LTRIM, ZRANGE by rank): [start, end] clamped; empty when start &gt; end.</summary>
    internal static (int Start, int Count) IndexRange(long start, long end, int length)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length) return (0, 0);
        if (end >= length) end = length - 1;
        return ((int)start, (int)(end - start + 1));
    }

    private static KvResult LRange(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var start) || !RedisArgs.TryInteger(a[3], out var end)) return RedisErrors.NotInteger;
        if (ks.Find(a[1], out RedisList? list) is { } error) return error;
        if (list is null) return new KvResult.ArrayResult([]);
        var (from, count) = IndexRange(start, end, list.Count);
        return RedisArgs.BulkArray(list.Items.Skip(from).Take(count));
    }

    private static KvResult LIndex(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        // Redis looks the key up before it parses the index: a missing key answers nil whatever the index.
        if (ks.Find(a[1], out RedisList? list) is { } error) return error;
        if (list is null) return new KvResult.ValueResult(null);
        if (!RedisArgs.TryInteger(a[2], out var index)) return new KvResult.ErrorResult(RedisErrors.NotInteger.Message);
        index = RedisArgs.Normalize(index, list.Count);
        return new KvResult.ValueResult(index >= 0 && index < list.Count ? list[(int)index] : null);
    }

    private static KvResult LSet(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisList? list, forWrite: true) is { } error) return error;
        if (list is null) return RedisErrors.NoSuchKey;
        if (!RedisArgs.TryInteger(a[2], out var index)) return new KvResult.ErrorResult(RedisErrors.NotInteger.Message);
        index = RedisArgs.Normalize(index, list.Count);
        if (index < 0 || index >= list.Count) return RedisErrors.IndexOutOfRange;
        list.Replace((int)index, a[3]);
        return KvResult.Ok;
    }

    private static KvResult LRem(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var count)) return RedisErrors.NotInteger;
        if (ks.Find(a[1], out RedisList? list, forWrite: true) is { } error) return error;
        if (list is null) return new KvResult.IntegerResult(0);
        long removed = 0;
        var comparer = Regions.ByteKeyComparer.Instance;
        if (count >= 0)
        {
            for (var i = 0; i < list.Count && (count == 0 || removed < count);)
            {
                if (comparer.Equals(list[i], a[3])) { list.RemoveAt(i); removed++; }
                else i++;
            }
        }
        else
        {
            for (var i = list.Count - 1; i >= 0 && removed < -count; i--)
            {
                if (comparer.Equals(list[i], a[3])) { list.RemoveAt(i); removed++; }
            }
        }
        return new KvResult.IntegerResult(removed);
    }

    private static KvResult LTrim(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var start) || !RedisArgs.TryInteger(a[3], out var end)) return RedisErrors.NotInteger;
        if (ks.Find(a[1], out RedisList? list, forWrite: true) is { } error) return error;
        if (list is null) return KvResult.Ok;
        var (from, count) = IndexRange(start, end, list.Count);
        list.Keep(from, count);
        return KvResult.Ok;
    }

    private static KvResult LInsert(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        bool after;
        if (RedisArgs.Is(a[2], "AFTER")) after = true;
        else if (RedisArgs.Is(a[2], "BEFORE")) after = false;
        else return RedisErrors.Syntax;
        if (ks.Find(a[1], out RedisList? list, forWrite: true) is { } error) return error;
        if (list is null) return new KvResult.IntegerResult(0);
        for (var i = 0; i < list.Count; i++)
        {
            if (!Regions.ByteKeyComparer.Instance.Equals(list[i], a[3])) continue;
            list.Insert(after ? i + 1 : i, a[4]);
            return new KvResult.IntegerResult(list.Count);
        }
        return new KvResult.IntegerResult(-1);
    }

    private static KvResult LPos(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        long rank = 1, maxLength = 0;
        long? count = null;
        for (var i = 3; i < a.Length; i++)
        {
            var last = i + 1 >= a.Length;
            if (RedisArgs.Is(a[i], "RANK") && !last)
            {
                if (!RedisArgs.TryInteger(a[++i], out rank)) return RedisErrors.NotInteger;
                if (rank is 0 or long.MinValue)
                    return RedisErrors.Argument("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
            else if (RedisArgs.Is(a[i], "COUNT") && !last)
            {
                if (!RedisArgs.TryInteger(a[++i], out var n)) return RedisErrors.NotInteger;
                if (n < 0) return RedisErrors.Argument("ERR COUNT can't be negative");
                count = n;
            }
            else if (RedisArgs.Is(a[i], "MAXLEN") && !last)
            {
                if (!RedisArgs.TryInteger(a[++i], out maxLength)) return RedisErrors.NotInteger;
                if (maxLength < 0) return RedisErrors.Argument("ERR MAXLEN can't be negative");
            }
            else return RedisErrors.Syntax;
        }
        if (ks.Find(a[1], out RedisList? list) is { } error) return error;
        if (list is null) return count is null ? new KvResult.ValueResult(null) : new KvResult.ArrayResult([]);
        var matches = new List<KvResult>();
        var wanted = count is null ? 1 : count == 0 ? long.MaxValue : count.Value;
        var skip = Math.Abs(rank) - 1;
        var scanned = 0L;
        for (var step = 0; step < list.Count && matches.Count < wanted && (maxLength == 0 || scanned < maxLength); step++, scanned++)
        {
            var index = rank > 0 ? step : list.Count - 1 - step;
            if (!Regions.ByteKeyComparer.Instance.Equals(list[index], a[2])) continue;
            if (skip > 0) { skip--; continue; }
            matches.Add(new KvResult.IntegerResult(index));
        }
        if (count is null) return matches.Count == 0 ? new KvResult.ValueResult(null) : matches[0];
        return new KvResult.ArrayResult(matches);
    }

    private static KvResult LMove(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        bool fromHead, toHead;
        if (RedisArgs.Is(a[3], "LEFT")) fromHead = true;
        else if (RedisArgs.Is(a[3], "RIGHT")) fromHead = false;
        else return RedisErrors.Syntax;
        if (RedisArgs.Is(a[4], "LEFT")) toHead = true;
        else if (RedisArgs.Is(a[4], "RIGHT")) toHead = false;
        else return RedisErrors.Syntax;
        if (ks.Find(a[1], out RedisList? source, forWrite: true) is { } error) return error;
        if (source is null) return new KvResult.ValueResult(null);
        if (ks.Find(a[2], out RedisList? _) is { } destinationError) return destinationError;
        var item = source.RemoveAt(fromHead ? 0 : source.Count - 1);
        if (ks.FindOrCreate(a[2], out RedisList destination) is { } createError) return createError;
        if (toHead) destination.Insert(0, item);
        else destination.Add(item);
        return new KvResult.ValueResult(item);
    }
}
