using System.Collections.Immutable;
using System.Text;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Sorted set commands (t_zset.c).</summary>
public static partial class RedisCommandTable
{
    private static IEnumerable<RedisCommandSpec> SortedSetCommands() =>
    [
        Write("zadd", -4, 1, 1, 1, "sorted-set", "Adds or updates members (NX XX GT LT CH INCR).", ZAdd),
        Write("zincrby", 4, 1, 1, 1, "sorted-set", "Increments a member's score.", ZIncrBy),
        Write("zrem", -3, 1, 1, 1, "sorted-set", "Removes members.", ZRem),
        Read("zscore", 3, 1, 1, 1, "sorted-set", "A member's score.", ZScore),
        Read("zmscore", -3, 1, 1, 1, "sorted-set", "Scores of members.", ZMScore),
        Read("zcard", 2, 1, 1, 1, "sorted-set", "Number of members.", ZCard),
        Read("zcount", 4, 1, 1, 1, "sorted-set", "Members in a score range.", ZCount),
        Read("zlexcount", 4, 1, 1, 1, "sorted-set", "Members in a lex range.", ZLexCount),
        Read("zrank", 3, 1, 1, 1, "sorted-set", "Rank of a member, low to high.", (ks, a) => ZRank(ks, a, reverse: false)),
        Read("zrevrank", 3, 1, 1, 1, "sorted-set", "Rank of a member, high to low.", (ks, a) => ZRank(ks, a, reverse: true)),
        Read("zrange", -4, 1, 1, 1, "sorted-set", "Members in a range (BYSCORE BYLEX REV LIMIT WITHSCORES).", (ks, a) => ZRange(ks, a, RangeKind.Auto, false)),
        Read("zrangebyscore", -4, 1, 1, 1, "sorted-set", "Members in a score range.", (ks, a) => ZRange(ks, a, RangeKind.Score, false)),
        Read("zrevrangebyscore", -4, 1, 1, 1, "sorted-set", "Members in a score range, high to low.", (ks, a) => ZRange(ks, a, RangeKind.Score, true)),
        Read("zrevrange", -4, 1, 1, 1, "sorted-set", "Members in a rank range, high to low.", (ks, a) => ZRange(ks, a, RangeKind.Rank, true)),
        Read("zrangebylex", -4, 1, 1, 1, "sorted-set", "Members in a lex range.", (ks, a) => ZRange(ks, a, RangeKind.Lex, false)),
        Read("zrevrangebylex", -4, 1, 1, 1, "sorted-set", "Members in a lex range, high to low.", (ks, a) => ZRange(ks, a, RangeKind.Lex, true)),
        Write("zpopmin", -2, 1, 1, 1, "sorted-set", "Removes and returns the lowest members.", (ks, a) => ZPop(ks, a, max: false)),
        Write("zpopmax", -2, 1, 1, 1, "sorted-set", "Removes and returns the highest members.", (ks, a) => ZPop(ks, a, max: true)),
        Write("zremrangebyscore", 4, 1, 1, 1, "sorted-set", "Removes members in a score range.", ZRemRangeByScore),
        Write("zremrangebyrank", 4, 1, 1, 1, "sorted-set", "Removes members in a rank range.", ZRemRangeByRank),
        Write("zremrangebylex", 4, 1, 1, 1, "sorted-set", "Removes members in a lex range.", ZRemRangeByLex),
        Read("zscan", -3, 1, 1, 1, "sorted-set", "Iterates members and scores (one pass: cursor 0 answers everything).", ZScan),
    ];

    private enum RangeKind : byte
    {
        Auto,
        Rank,
        Score,
        Lex,
    }

    private static KvResult ZAdd(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
        var first = 2;
        for (; first < a.Length; first++)
        {
            var option = RedisArgs.Keyword(a[first]);
            if (option == "NX") nx = true;
            else if (option == "XX") xx = true;
            else if (option == "GT") gt = true;
            else if (option == "LT") lt = true;
            else if (option == "CH") ch = true;
            else if (option == "INCR") incr = true;
            else break;
        }
        var elements = a.Length - first;
        if (elements == 0 || elements % 2 != 0) return RedisErrors.Syntax;
        if (nx && xx) return RedisErrors.Argument("ERR XX and NX options at the same time are not compatible");
        if ((gt && nx) || (lt && nx) || (gt && lt)) return RedisErrors.Argument("ERR GT, LT, and/or NX options at the same time are not compatible");
        if (incr && elements > 2) return RedisErrors.Argument("ERR INCR option supports a single increment-element pair");
        var scores = new double[elements / 2];
        for (var i = 0; i < scores.Length; i++)
            if (!RedisArgs.TryDouble(a[first + (2 * i)], out scores[i])) return RedisErrors.NotFloat;

        if (ks.FindOrCreate(a[1], out RedisSortedSet zset) is { } error) return error;
        long added = 0, updated = 0;
        double? incremented = null;
        for (var i = 0; i < scores.Length; i++)
        {
            var member = a[first + (2 * i) + 1];
            var score = scores[i];
            if (zset.TryGetScore(member, out var current))
            {
                if (nx) continue;
                if (incr)
                {
                    score += current;
                    if (double.IsNaN(score)) return RedisErrors.ScoreNaN;
                }
                if ((lt && score >= current) || (gt && score <= current)) continue;
                if (incr) incremented = score;
                if (!score.Equals(current))
                {
                    zset.Set(member, score);
                    updated++;
                }
            }
            else
            {
                if (xx) continue;
                zset.Set(member, score);
                added++;
                if (incr) incremented = score;
            }
        }
        if (incr) return incremented is { } value ? RedisArgs.DoubleReply(value) : new KvResult.ValueResult(null);
        return new KvResult.IntegerResult(ch ? added + updated : added);
    }

    private static KvResult ZIncrBy(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryDouble(a[2], out var increment)) return RedisErrors.NotFloat;
        if (ks.FindOrCreate(a[1], out RedisSortedSet zset) is { } error) return error;
        var score = zset.TryGetScore(a[3], out var current) ? current + increment : increment;
        if (double.IsNaN(score)) return RedisErrors.ScoreNaN;
        zset.Set(a[3], score);
        return RedisArgs.DoubleReply(score);
    }

    private static KvResult ZRem(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSortedSet? zset, forWrite: true) is { } error) return error;
        long removed = 0;
        for (var i = 2; zset is not null && i < a.Length; i++)
            if (zset.Remove(a[i])) removed++;
        return new KvResult.IntegerResult(removed);
    }

    private static KvResult ZScore(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        return zset is not null && zset.TryGetScore(a[2], out var score) ? RedisArgs.DoubleReply(score) : new KvResult.ValueResult(null);
    }

    private static KvResult ZMScore(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        return new KvResult.ArrayResult([.. a.Skip(2).Select(m =>
            zset is not null && zset.TryGetScore(m, out var score) ? RedisArgs.DoubleReply(score) : (KvResult)new KvResult.ValueResult(null))]);
    }

    private static KvResult ZCard(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        return new KvResult.IntegerResult(zset?.Count ?? 0);
    }

    private static KvResult ZCount(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryScoreRange(a[2], a[3], out var range)) return RedisErrors.MinMaxNotFloat;
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        return new KvResult.IntegerResult(zset?.InScoreRange(range).Count() ?? 0);
    }

    private static KvResult ZLexCount(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryLexBound(a[2], out var min) || !RedisArgs.TryLexBound(a[3], out var max)) return RedisErrors.MinMaxNotLex;
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        return new KvResult.IntegerResult(zset?.Ascending.Count(m => min.AllowsAsMin(m.Member) && max.AllowsAsMax(m.Member)) ?? 0);
    }

    private static KvResult ZRank(RedisKeyspace ks, ImmutableArray<byte[]> a, bool reverse)
    {
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        var rank = zset?.RankOf(a[2]) ?? -1;
        if (rank < 0) return new KvResult.ValueResult(null);
        return new KvResult.IntegerResult(reverse ? zset!.Count - 1 - rank : rank);
    }

    private static KvResult ZRange(RedisKeyspace ks, ImmutableArray<byte[]> a, RangeKind kind, bool reverse)
    {
        var isZRange = kind == RangeKind.Auto; // only ZRANGE takes BYSCORE, BYLEX and REV
        bool withScores = false;
        long offset = 0, limit = -1;
        var hasLimit = false;
        for (var i = 4; i < a.Length; i++)
        {
            var option = RedisArgs.Keyword(a[i]);
            if (option == "WITHSCORES") withScores = true;
            else if (option == "LIMIT" && i + 2 < a.Length)
            {
                if (!RedisArgs.TryInteger(a[i + 1], out offset) || !RedisArgs.TryInteger(a[i + 2], out limit)) return RedisErrors.NotInteger;
                hasLimit = true;
                i += 2;
            }
            else if (isZRange && option == "BYSCORE" && kind is RangeKind.Auto or RangeKind.Score) kind = RangeKind.Score;
            else if (isZRange && option == "BYLEX" && kind is RangeKind.Auto or RangeKind.Lex) kind = RangeKind.Lex;
            else if (isZRange && option == "REV") reverse = true;
            else return RedisErrors.Syntax;
        }
        if (kind == RangeKind.Auto) kind = RangeKind.Rank;
        if (hasLimit && kind == RangeKind.Rank)
            return RedisErrors.Argument("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        if (withScores && kind == RangeKind.Lex) return RedisErrors.Argument("ERR syntax error, WITHSCORES not supported in combination with BYLEX");

        // Reverse score and lex ranges are written max first.
        var (minArg, maxArg) = reverse && kind != RangeKind.Rank ? (a[3], a[2]) : (a[2], a[3]);
        long start = 0, stop = 0;
        ScoreRange scoreRange = default;
        LexBound lexMin = default, lexMax = default;
        switch (kind)
        {
            case RangeKind.Rank:
                if (!RedisArgs.TryInteger(a[2], out start) || !RedisArgs.TryInteger(a[3], out stop)) return RedisErrors.NotInteger;
                break;
            case RangeKind.Score:
                if (!RedisArgs.TryScoreRange(minArg, maxArg, out scoreRange)) return RedisErrors.MinMaxNotFloat;
                break;
            default:
                if (!RedisArgs.TryLexBound(minArg, out lexMin) || !RedisArgs.TryLexBound(maxArg, out lexMax)) return RedisErrors.MinMaxNotLex;
                break;
        }
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        if (zset is null) return new KvResult.ArrayResult([]);

        IEnumerable<ScoredMember> selected;
        if (kind == RangeKind.Rank)
        {
            var (from, count) = IndexRange(start, stop, zset.Count);
            selected = (reverse ? zset.Descending : zset.Ascending).Skip(from).Take(count);
        }
        else
        {
            selected = kind == RangeKind.Score
                ? zset.InScoreRange(scoreRange)
                : zset.Ascending.Where(m => lexMin.AllowsAsMin(m.Member) && lexMax.AllowsAsMax(m.Member));
            if (reverse) selected = selected.Reverse();
            // Redis: a negative offset selects nothing; a negative count means no limit.
            if (offset < 0) selected = [];
            else selected = selected.Skip((int)Math.Min(offset, int.MaxValue));
            if (limit >= 0) selected = selected.Take((int)Math.Min(limit, int.MaxValue));
        }
        return ScoredReply(selected, withScores);
    }

    private static KvResult.ArrayResult ScoredReply(IEnumerable<ScoredMember> members, bool withScores)
    {
        var items = new List<KvResult>();
        foreach (var member in members)
        {
            items.Add(new KvResult.ValueResult(member.Member));
            if (withScores) items.Add(RedisArgs.DoubleReply(member.Score));
        }
        return new KvResult.ArrayResult(items, withScores ? ArrayShape.Pairs : ArrayShape.List);
    }

    private static KvResult ZPop(RedisKeyspace ks, ImmutableArray<byte[]> a, bool max)
    {
        if (a.Length > 3) return RedisErrors.Syntax;
        long count = 1;
        var countGiven = a.Length == 3;
        if (countGiven)
        {
            if (!RedisArgs.TryInteger(a[2], out count) || count < 0) return RedisErrors.MustBePositive;
        }
        if (ks.Find(a[1], out RedisSortedSet? zset, forWrite: true) is { } error) return error;
        var popped = new List<ScoredMember>();
        while (zset is not null && zset.Count > 0 && popped.Count < count)
        {
            var next = max ? zset.Max : zset.Min;
            zset.Remove(next.Member);
            popped.Add(next);
        }
        // RESP3: with a count, pairs; without, the one member and its score flat (as Redis 7 answers).
        var reply = ScoredReply(popped, withScores: true);
        return countGiven ? reply : reply with { Shape = ArrayShape.List };
    }

    private static KvResult ZRemRangeByScore(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryScoreRange(a[2], a[3], out var range)) return RedisErrors.MinMaxNotFloat;
        return RemoveMembers(ks, a[1], zset => [.. zset.InScoreRange(range)]);
    }

    private static KvResult ZRemRangeByRank(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryInteger(a[2], out var start) || !RedisArgs.TryInteger(a[3], out var stop)) return RedisErrors.NotInteger;
        return RemoveMembers(ks, a[1], zset =>
        {
            var (from, count) = IndexRange(start, stop, zset.Count);
            return [.. zset.Ascending.Skip(from).Take(count)];
        });
    }

    private static KvResult ZRemRangeByLex(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (!RedisArgs.TryLexBound(a[2], out var min) || !RedisArgs.TryLexBound(a[3], out var max)) return RedisErrors.MinMaxNotLex;
        return RemoveMembers(ks, a[1], zset => [.. zset.Ascending.Where(m => min.AllowsAsMin(m.Member) && max.AllowsAsMax(m.Member))]);
    }

    private static KvResult RemoveMembers(RedisKeyspace ks, byte[] key, Func<RedisSortedSet, List<ScoredMember>> select)
    {
        if (ks.Find(key, out RedisSortedSet? zset, forWrite: true) is { } error) return error;
        if (zset is null) return new KvResult.IntegerResult(0);
        var doomed = select(zset);
        foreach (var member in doomed) zset.Remove(member.Member);
        return new KvResult.IntegerResult(doomed.Count);
    }

    private static KvResult ZScan(RedisKeyspace ks, ImmutableArray<byte[]> a)
    {
        if (ScanOptions.Parse(a) is not { } options) return ScanOptions.LastError(a);
        if (ks.Find(a[1], out RedisSortedSet? zset) is { } error) return error;
        var items = new List<KvResult>();
        if (zset is not null && options.Cursor == 0)
        {
            foreach (var member in zset.Ascending)
            {
                if (!options.Matches(member.Member)) continue;
                items.Add(new KvResult.ValueResult(member.Member));
                items.Add(new KvResult.ValueResult(Encoding.ASCII.GetBytes(RedisArgs.FormatDouble(member.Score))));
            }
        }
        return ScanOptions.Reply(items);
    }
}
