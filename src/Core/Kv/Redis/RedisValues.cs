using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>The type of a stored value, as Redis's TYPE names it.</summary>
public enum RedisType : byte
{
    /// <summary>A byte string (also integers and floats kept as text).</summary>
    String = 0,
    /// <summary>A map of field → value.</summary>
    Hash = 1,
    /// <summary>An ordered sequence of elements.</summary>
    List = 2,
    /// <summary>An unordered set of distinct members.</summary>
    Set = 3,
    /// <summary>Distinct members ordered by score, then by member bytes.</summary>
    SortedSet = 4,
}

/// <summary>
/// A composite value (hash, list, set, sorted set) stored under one key. Mutable, owned by exactly one state machine;
/// byte arrays inside are never changed in place once stored (a new value replaces the old array), so a reply may hold them.
/// Every collection tracks its payload bytes so the region's size estimate stays incremental.
/// </summary>
internal abstract class RedisCollection
{
    /// <summary>Bytes counted per element on top of its payload (node, hash slot).</summary>
    public const int ElementOverheadBytes = 16;

    /// <summary>The Redis type.</summary>
    public abstract RedisType Type { get; }

    /// <summary>Number of elements (fields, members); an empty collection is removed with its key.</summary>
    public abstract int Count { get; }

    /// <summary>Payload bytes plus <see cref="ElementOverheadBytes"/> per element.</summary>
    public long SizeBytes { get; protected set; }

    /// <summary>A deep copy (COPY); arrays are shared, since they are never changed in place.</summary>
    public abstract RedisCollection Clone();
}

/// <summary>
/// A hash: field → value, fields compared by content, enumerated in insertion order (a changed value keeps its place,
/// a deleted field leaves no hole), as Redis's small hashes are. So HGETALL answers in the same order on every replica,
/// including one restored from a snapshot (written in this order).
/// </summary>
internal sealed class RedisHash : RedisCollection
{
    private readonly Dictionary<byte[], LinkedListNode<KeyValuePair<byte[], byte[]>>> _index;
    private readonly LinkedList<KeyValuePair<byte[], byte[]>> _order = new();

    public RedisHash() => _index = new Dictionary<byte[], LinkedListNode<KeyValuePair<byte[], byte[]>>>(ByteKeyComparer.Instance);

    private RedisHash(RedisHash other) : this()
    {
        foreach (var (field, value) in other.Fields) Set(field, value);
    }

    public override RedisType Type => RedisType.Hash;

    public override int Count => _index.Count;

    /// <summary>Fields in insertion order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Fields => _order;

    public bool TryGet(byte[] field, out byte[] value)
    {
        var found = _index.TryGetValue(field, out var node);
        value = found ? node!.Value.Value : null!;
        return found;
    }

    /// <summary>Sets a field; true when it was new.</summary>
    public bool Set(byte[] field, byte[] value)
    {
        if (_index.TryGetValue(field, out var node))
        {
            SizeBytes += value.Length - node.Value.Value.Length;
            node.Value = new KeyValuePair<byte[], byte[]>(node.Value.Key, value);
            return false;
        }
        _index.Add(field, _order.AddLast(new KeyValuePair<byte[], byte[]>(field, value)));
        SizeBytes += field.Length + value.Length + ElementOverheadBytes;
        return true;
    }

    public bool Remove(byte[] field)
    {
        if (!_index.Remove(field, out var node)) return false;
        _order.Remove(node);
        SizeBytes -= field.Length + node.Value.Value.Length + ElementOverheadBytes;
        return true;
    }

    public override RedisCollection Clone() => new RedisHash(this);
}

/// <summary>A list; a <see cref="List{T}"/> (inserts at the head shift, which is fine for the sizes a region holds).</summary>
internal sealed class RedisList : RedisCollection
{
    private readonly List<byte[]> _items;

    public RedisList() => _items = [];

    private RedisList(RedisList other)
    {
        _items = [.. other._items];
        SizeBytes = other.SizeBytes;
    }

    public override RedisType Type => RedisType.List;

    public override int Count => _items.Count;

    public IReadOnlyList<byte[]> Items => _items;

    public byte[] this[int index] => _items[index];

    public void Insert(int index, byte[] item)
    {
        _items.Insert(index, item);
        SizeBytes += item.Length + ElementOverheadBytes;
    }

    public void Add(byte[] item) => Insert(_items.Count, item);

    public void Replace(int index, byte[] item)
    {
        SizeBytes += item.Length - _items[index].Length;
        _items[index] = item;
    }

    public byte[] RemoveAt(int index)
    {
        var item = _items[index];
        _items.RemoveAt(index);
        SizeBytes -= item.Length + ElementOverheadBytes;
        return item;
    }

    /// <summary>Keeps only [start, start + count).</summary>
    public void Keep(int start, int count)
    {
        if (start + count < _items.Count) RemoveRange(start + count, _items.Count - start - count);
        if (start > 0) RemoveRange(0, start);
    }

    private void RemoveRange(int start, int count)
    {
        for (var i = start; i < start + count; i++) SizeBytes -= _items[i].Length + ElementOverheadBytes;
        _items.RemoveRange(start, count);
    }

    public override RedisCollection Clone() => new RedisList(this);
}

/// <summary>
/// A set of distinct members compared by content. Enumerated as Redis's small sets are: a set of only integers (at most
/// <see cref="MaxIntegerSetEntries"/>, Redis's intset) in ascending numeric order, any other in insertion order (Redis
/// 7.2's listpack); so SMEMBERS answers in the same order on every replica, including one restored from a snapshot.
/// </summary>
internal sealed class RedisSet : RedisCollection
{
    /// <summary>Redis's set-max-intset-entries default.</summary>
    public const int MaxIntegerSetEntries = 512;

    private readonly Dictionary<byte[], LinkedListNode<byte[]>> _index;
    private readonly LinkedList<byte[]> _order = new();
    private int _nonIntegers;

    public RedisSet() => _index = new Dictionary<byte[], LinkedListNode<byte[]>>(ByteKeyComparer.Instance);

    private RedisSet(RedisSet other) : this()
    {
        foreach (var member in other._order) Add(member);
    }

    public override RedisType Type => RedisType.Set;

    public override int Count => _index.Count;

    /// <summary>Members: ascending numbers for a small all-integer set, else insertion order.</summary>
    public IEnumerable<byte[]> Members => _nonIntegers == 0 && _index.Count <= MaxIntegerSetEntries
        ? _order.OrderBy(m => { KvStateMachine.TryParseInteger(m, out var n); return n; })
        : _order;

    public bool Contains(byte[] member) => _index.ContainsKey(member);

    public bool Add(byte[] member)
    {
        if (_index.ContainsKey(member)) return false;
        _index.Add(member, _order.AddLast(member));
        if (!KvStateMachine.TryParseInteger(member, out _)) _nonIntegers++;
        SizeBytes += member.Length + ElementOverheadBytes;
        return true;
    }

    public bool Remove(byte[] member)
    {
        if (!_index.Remove(member, out var node)) return false;
        _order.Remove(node);
        if (!KvStateMachine.TryParseInteger(member, out _)) _nonIntegers--;
        SizeBytes -= member.Length + ElementOverheadBytes;
        return true;
    }

    public override RedisCollection Clone() => new RedisSet(this);
}

/// <summary>
/// A sorted set: members ordered by (score, member bytes) in a <see cref="SortedSet{T}"/>, with a member → score map
/// for O(1) score lookups. Rank lookups walk the tree (O(n)); fine for the sizes one region holds.
/// </summary>
internal sealed class RedisSortedSet : RedisCollection
{
    private readonly Dictionary<byte[], double> _scores;
    private readonly SortedSet<ScoredMember> _order;

    public RedisSortedSet()
    {
        _scores = new Dictionary<byte[], double>(ByteKeyComparer.Instance);
        _order = new SortedSet<ScoredMember>(ScoredMemberComparer.Instance);
    }

    private RedisSortedSet(RedisSortedSet other)
    {
        _scores = new Dictionary<byte[], double>(other._scores, ByteKeyComparer.Instance);
        _order = new SortedSet<ScoredMember>(other._order, ScoredMemberComparer.Instance);
        SizeBytes = other.SizeBytes;
    }

    public override RedisType Type => RedisType.SortedSet;

    public override int Count => _scores.Count;

    /// <summary>Members in ascending (score, member) order.</summary>
    public IEnumerable<ScoredMember> Ascending => _order;

    /// <summary>Members in descending order.</summary>
    public IEnumerable<ScoredMember> Descending => _order.Reverse();

    public ScoredMember Min => _order.Min;

    public ScoredMember Max => _order.Max;

    public bool TryGetScore(byte[] member, out double score) => _scores.TryGetValue(member, out score);

    /// <summary>Members with lo ≤ score ≤ hi (bounds per <paramref name="range"/>), ascending.</summary>
    public IEnumerable<ScoredMember> InScoreRange(ScoreRange range) =>
        range.IsEmpty ? [] : _order.GetViewBetween(new ScoredMember(range.Min, []), new ScoredMember(range.Max, null!)).Where(range.Contains);

    /// <summary>Adds or rescores a member; true when it was new.</summary>
    public bool Set(byte[] member, double score)
    {
        if (_scores.TryGetValue(member, out var old))
        {
            if (old.Equals(score)) return false;
            _order.Remove(new ScoredMember(old, member));
            _order.Add(new ScoredMember(score, member));
            _scores[member] = score;
            return false;
        }
        _scores.Add(member, score);
        _order.Add(new ScoredMember(score, member));
        SizeBytes += member.Length + sizeof(double) + ElementOverheadBytes;
        return true;
    }

    public bool Remove(byte[] member)
    {
        if (!_scores.Remove(member, out var score)) return false;
        _order.Remove(new ScoredMember(score, member));
        SizeBytes -= member.Length + sizeof(double) + ElementOverheadBytes;
        return true;
    }

    /// <summary>0-based position in ascending order, or -1.</summary>
    public int RankOf(byte[] member)
    {
        if (!_scores.TryGetValue(member, out var score)) return -1;
        var target = new ScoredMember(score, member);
        var rank = 0;
        foreach (var item in _order)
        {
            if (ScoredMemberComparer.Instance.Compare(item, target) == 0) return rank;
            rank++;
        }
        return -1;
    }

    public override RedisCollection Clone() => new RedisSortedSet(this);
}

/// <summary>A member and its score.</summary>
internal readonly record struct ScoredMember(double Score, byte[] Member);

/// <summary>Orders by score, then member bytes; a null member sorts after every member of its score (range upper probe).</summary>
internal sealed class ScoredMemberComparer : IComparer<ScoredMember>
{
    public static readonly ScoredMemberComparer Instance = new();

    public int Compare(ScoredMember x, ScoredMember y)
    {
        var byScore = x.Score.CompareTo(y.Score);
        if (byScore != 0) return byScore;
        if (ReferenceEquals(x.Member, y.Member)) return 0;
        if (x.Member is null) return 1;
        if (y.Member is null) return -1;
        return x.Member.AsSpan().SequenceCompareTo(y.Member);
    }
}

/// <summary>A score interval with inclusive or exclusive ends (ZRANGEBYSCORE's "(1" syntax).</summary>
internal readonly record struct ScoreRange(double Min, bool MinExclusive, double Max, bool MaxExclusive)
{
    public bool IsEmpty => Min > Max || (Min.Equals(Max) && (MinExclusive || MaxExclusive));

    public bool Contains(ScoredMember member) =>
        (MinExclusive ? member.Score > Min : member.Score >= Min) && (MaxExclusive ? member.Score < Max : member.Score <= Max);
}
