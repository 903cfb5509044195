using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Set commands (t_set.c).</summary>
public static partial class RedisCommandTable
{
    private static IEnumerable<RedisCommandSpec> SetCommands() =>
    [
        Write("sadd", -3, 1, 1, 1, "set", "Adds members; the number added.", SAdd),
        Write("srem", -3, 1, 1, 1, "set", "Removes members; the number removed.", SRem),
        Read("smembers", 2, 1, 1, 1, "set", "All members.", SMembers),
        Read("sismember", 3, 1, 1, 1, "set", "Whether a member is in the set.", SIsMember),
        Read("smismember", -3, 1, 1, 1, "set", "Whether each member is in the set.", SMIsMember),
        Read("scard", 2, 1, 1, 1, "set", "Number of members.", SCard),
        Write("spop", -2, 1, 1, 1, "set", "Removes and returns members chosen deterministically from the entry's seed.", SPop),
        Read("srandmember", -2, 1, 1, 1, "set", "Returns random members.", SRandMember),
        Read("sinter", -2, 1, -1, 1, "set", "Intersection of sets (keys in one region).", (ks, a) => Combine(ks, a, SetOperation.Intersect)),
        Read("sunion", -2, 1, -1, 1, "set", "Union of sets (keys in one region).", (ks, a) => Combine(ks, a, SetOperation.Union)),
        Read("sdiff", -2, 1, -1, 1, "set", "Difference of sets (keys in one region).", (ks, a) => Combine(ks, a, SetOperation.Difference)),
        Write("smove", 4, 1, 2, 1, "set", "Moves a member between sets (both in one region).", SMove),
        Write("sinterstore", -3, 1, -1, 1, "set", "Stores an intersection (keys in one region).", (ks, a) => CombineStore(ks, a, SetOperation.Intersect)),
        Write("sunionstore", -3, 1, -1, 1, "set", "Stores a union (keys in one region).", (ks, a) => CombineStore(ks, a, SetOperation.Union)),
        Write("sdiffstore", -3, 1, -1, 1, "set", "Stores a difference (keys in one region).", (ks, a) => CombineStore(ks, a, SetOperation.Difference)),
        Read("sscan", -3, 1, 1, 1, "set", "Iterates members (one pass: cursor 0 answers everything).", SScan),
    ];

    private enum SetOperation : byte
    {
        Intersect,
        Union,
        Difference,
    }

    private static KvResult SAdd(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.FindOrCreate(a[1], out RedisSet set) is { } error) return error;
        long added = 0;
        for (var i = 2; i < a.Length; i++)
            if (set.Add(a[i])) added++;
        return new KvResult.IntegerResult(added);
    }

    private static KvResult SRem(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? set, forWrite: true) is { } error) return error;
        long removed = 0;
        for (var i = 2; set is not null && i < a.Length; i++)
            if (set.Remove(a[i])) removed++;
        return new KvResult.IntegerResult(removed);
    }

    private static KvResult SMembers(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        return RedisArgs.BulkArray(set?.Members ?? [], ArrayShape.Set);
    }

    private static KvResult SIsMember(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        return new KvResult.IntegerResult(set is not null && set.Contains(a[2]) ? 1 : 0);
    }

    private static KvResult SMIsMember(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        return new KvResult.ArrayResult([.. a.Skip(2).Select(m => (KvResult)new KvResult.IntegerResult(set is not null && set.Contains(m) ? 1 : 0))]);
    }

    private static KvResult SCard(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        return new KvResult.IntegerResult(set?.Count ?? 0);
    }

    /// <summary>
    /// The <paramref name="count"/> members with the smallest seeded hash: a choice that depends only on the members and
    /// the seed, never on the set's internal layout (which differs between a replica that applied the log and one restored
    /// from a snapshot), so every replica pops the same members.
    /// </summary>
    private static List<byte[]> Choose(IEnumerable<byte[]> members, ulong seed, long count) =>
        [.. members.OrderBy(m => SeededHash(seed, m)).ThenBy(m => m, Regions.ByteKeyComparer.Instance).Take((int)Math.Min(count, int.MaxValue))];

    private static ulong SeededHash(ulong seed, byte[] member)
    {
        var hash = 14695981039346656037UL ^ seed;
        foreach (var b in member)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash ^ (hash >> 29);
    }

    private static KvResult SPop(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (a.Length > 3) return RedisErrors.Syntax;
        long? count = null;
        if (a.Length == 3)
        {
            if (!RedisArgs.TryInteger(a[2], out var n) || n < 0) return RedisErrors.MustBePositive;
            count = n;
        }
        if (ks.Find(a[1], out RedisSet? set, forWrite: true) is { } error) return error;
        if (set is null) return count is null ? new KvResult.ValueResult(null) : new KvResult.ArrayResult([], ArrayShape.Set);
        var chosen = Choose(set.Members, ks.Seed, count ?? 1);
        foreach (var member in chosen) set.Remove(member);
        return count is null ? new KvResult.ValueResult(chosen[0]) : RedisArgs.BulkArray(chosen, ArrayShape.Set);
    }

    private static KvResult SRandMember(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (a.Length > 3) return RedisErrors.Syntax;
        long? count = null;
        if (a.Length == 3)
        {
            if (!RedisArgs.TryInteger(a[2], out var n) || n == long.MinValue) return RedisErrors.NotInteger;
            count = n;
        }
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        if (set is null) return count is null ? new KvResult.ValueResult(null) : new KvResult.ArrayResult([]);
        if (count is null) return new KvResult.ValueResult(Choose(set.Members, ks.Seed, 1)[0]);
        if (count >= 0) return RedisArgs.BulkArray(Choose(set.Members, ks.Seed, count.Value));
        // A negative count may repeat members: |count| independent picks.
        var members = set.Members.OrderBy(m => m, Regions.ByteKeyComparer.Instance).ToArray();
        var random = new Random(unchecked((int)ks.Seed ^ (int)(ks.Seed >> 32)));
        var picks = new byte[]?[(int)Math.Min(-count.Value, 1_000_000)];
        for (var i = 0; i < picks.Length; i++) picks[i] = members[random.Next(members.Length)];
        return RedisArgs.BulkArray(picks);
    }

    private static KvResult Combine(RedisKeyspace ks, ImmutableArray<byte[]> a, SetOperation operation)
    {
        var sets = new List<RedisSet?>();
        for (var i = 1; i < a.Length; i++)
        {
            if (ks.Find(a[i], out RedisSet? set) is { } error) return error;
            sets.Add(set);
        }
        IEnumerable<byte[]> result = operation switch
        {
            SetOperation.Intersect => sets.Any(s => s is null) ? [] : sets[0]!.Members.Where(m => sets.All(s => s!.Contains(m))),
            SetOperation.Union => sets.Where(s => s is not null).SelectMany(s => s!.Members).Distinct(Regions.ByteKeyComparer.Instance),
            _ => sets[0] is null ? [] : sets[0]!.Members.Where(m => sets.Skip(1).All(s => s is null || !s.Contains(m))),
        };
        return RedisArgs.BulkArray(result.ToList(), ArrayShape.Set);
    }

    private static KvResult SMove(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSet? source, forWrite: true) is { } error) return error;
        if (ks.Find(a[2], out RedisSet? _) is { } destinationError) return destinationError;
        if (source is null || !source.Contains(a[3])) return new KvResult.IntegerResult(0);
        if (Regions.ByteKeyComparer.Instance.Equals(a[1], a[2])) return new KvResult.IntegerResult(1);
        source.Remove(a[3]);
        if (ks.FindOrCreate(a[2], out RedisSet destination) is { } createError) return createError;
        destination.Add(a[3]);
        return new KvResult.IntegerResult(1);
    }

    private static KvResult CombineStore(RedisKeyspace ks, ImmutableArray<byte[]> a, SetOperation operation)
    {
        var combined = Combine(ks, [a[0], .. a.Skip(2)], operation);
        if (combined is not KvResult.ArrayResult { Items: { } members }) return combined;
        ks.Delete(a[1]);
        if (members.Count == 0) return new KvResult.IntegerResult(0);
        var set = new RedisSet();
        foreach (var member in members) set.Add(((KvResult.ValueResult)member).Data!);
        ks.Put(a[1], new StoredValue(set, null));
        return new KvResult.IntegerResult(set.Count);
    }

    private static KvResult SScan(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ScanOptions.Parse(a) is not { } options) return ScanOptions.LastError(a);
        if (ks.Find(a[1], out RedisSet? set) is { } error) return error;
        var items = new List<KvResult>();
        if (set is not null && options.Cursor == 0)
            foreach (var member in set.Members)
                if (options.Matches(member)) items.Add(new KvResult.ValueResult(member));
        return ScanOptions.Reply(items);
    }
}
