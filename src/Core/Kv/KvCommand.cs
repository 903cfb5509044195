using System.Collections.Immutable;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>SET's existence condition.</summary>
public enum SetCondition : byte
{
    /// <summary>Always set.</summary>
    None = 0,
    /// <summary>NX: set only when the key is absent.</summary>
    IfAbsent = 1,
    /// <summary>XX: set only when the key is present.</summary>
    IfPresent = 2,
}

/// <summary>A key-value pair of MSET.</summary>
public readonly record struct KeyValue(byte[] Key, byte[] Value)
{
    /// <summary>Content equality of both arrays.</summary>
    public bool Equals(KeyValue other) =>
        ByteKeyComparer.Instance.Equals(Key, other.Key) && ByteKeyComparer.Instance.Equals(Value, other.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ByteKeyComparer.Instance.GetHashCode(Key), Value.Length);
}

/// <summary>
/// A command for one region, stamped with the region id and epoch the router chose it by, so a replica can
/// reject it when the region has changed since. Keys and values compare by content.
/// </summary>
public abstract record KvCommand(ulong RegionId, RegionEpoch Epoch)
{
    /// <summary>Every key the command touches (all must lie in the region).</summary>
    public abstract IEnumerable<byte[]> Keys { get; }

    /// <summary>The Redis verb, for messages and logs.</summary>
    protected abstract string Verb { get; }

    /// <summary>Renders as <c>SET "a" (region 1 v1/1)</c>; values are left out of logs.</summary>
    public sealed override string ToString() =>
        $"{Verb} {string.Join(" ", Keys.Select(k => KeyText.Quote(k)))} (region {RegionId} {Epoch})";

    private protected static bool SameKeys(ImmutableArray<byte[]> a, ImmutableArray<byte[]> b) =>
        a.Length == b.Length && a.Zip(b).All(p => ByteKeyComparer.Instance.Equals(p.First, p.Second));
}

/// <summary>A read served by <see cref="KvStateMachine.Read"/> on the leader, never through the log.</summary>
public abstract record KvReadCommand(ulong RegionId, RegionEpoch Epoch) : KvCommand(RegionId, Epoch);

/// <summary>
/// A write proposed through Raft. <see cref="NowMs"/> is the time the region leader's store stamped it with when it
/// proposed it (entries journaled by older builds carry the router's clock instead); the state machine's clock is the
/// highest stamp applied, so expiry decisions on apply are the same on every replica.
/// </summary>
public abstract record KvWriteCommand(ulong RegionId, RegionEpoch Epoch, long NowMs) : KvCommand(RegionId, Epoch);

/// <summary>GET key.</summary>
public sealed record GetCommand(ulong RegionId, RegionEpoch Epoch, byte[] Key) : KvReadCommand(RegionId, Epoch)
{
    /// <inheritdoc />
    protected override string Verb => "GET";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [Key];

    /// <summary>Content equality.</summary>
    public bool Equals(GetCommand? other) => other is not null && base.Equals(other) && ByteKeyComparer.Instance.Equals(Key, other.Key);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Key.Length);
}

/// <summary>EXISTS key [key ...]: counts present keys, a repeated key counting each time.</summary>
public sealed record ExistsCommand(ulong RegionId, RegionEpoch Epoch, ImmutableArray<byte[]> KeyList) : KvReadCommand(RegionId, Epoch)
{
    /// <inheritdoc />
    protected override string Verb => "EXISTS";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => KeyList;

    /// <summary>Content equality.</summary>
    public bool Equals(ExistsCommand? other) => other is not null && base.Equals(other) && SameKeys(KeyList, other.KeyList);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), KeyList.Length);
}

/// <summary>
/// SET key value [NX|XX] [GET] with an expiry: <see cref="ExpireAfterMs"/> (EX/PX) counts from the state machine's clock
/// once this command's stamp is applied; <see cref="ExpireAtMs"/> is an absolute time on that clock (written by older
/// routers). At most one of the two; neither means no expiry.
/// </summary>
public sealed record SetCommand(
    ulong RegionId, RegionEpoch Epoch, long NowMs,
    byte[] Key, byte[] Value, long? ExpireAtMs = null, SetCondition Condition = SetCondition.None, bool GetOld = false, long? ExpireAfterMs = null)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "SET";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [Key];

    /// <summary>Content equality.</summary>
    public bool Equals(SetCommand? other) =>
        other is not null && base.Equals(other)
        && ByteKeyComparer.Instance.Equals(Key, other.Key) && ByteKeyComparer.Instance.Equals(Value, other.Value)
        && ExpireAtMs == other.ExpireAtMs && Condition == other.Condition && GetOld == other.GetOld && ExpireAfterMs == other.ExpireAfterMs;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Key.Length, Value.Length, ExpireAtMs, Condition, GetOld, ExpireAfterMs);
}

/// <summary>DEL key [key ...]: answers the number of keys removed.</summary>
public sealed record DeleteCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, ImmutableArray<byte[]> KeyList)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "DEL";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => KeyList;

    /// <summary>Content equality.</summary>
    public bool Equals(DeleteCommand? other) => other is not null && base.Equals(other) && SameKeys(KeyList, other.KeyList);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), KeyList.Length);
}

/// <summary>INCRBY key delta (INCR/DECR/DECRBY are special cases): answers the new value; keeps the key's expiry.</summary>
public sealed record IncrByCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, byte[] Key, long Delta)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "INCRBY";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [Key];

    /// <summary>Content equality.</summary>
    public bool Equals(IncrByCommand? other) =>
        other is not null && base.Equals(other) && ByteKeyComparer.Instance.Equals(Key, other.Key) && Delta == other.Delta;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Key.Length, Delta);
}

/// <summary>MSET key value [key value ...]: sets all atomically, clearing expiries.</summary>
public sealed record MSetCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, ImmutableArray<KeyValue> Pairs)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "MSET";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => Pairs.Select(p => p.Key);

    /// <summary>Content equality.</summary>
    public bool Equals(MSetCommand? other) => other is not null && base.Equals(other) && Pairs.SequenceEqual(other.Pairs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Pairs.Length);
}

/// <summary>
/// Admin command: split the region at <see cref="SplitKey"/>; the right half becomes region
/// <see cref="NewRegionId"/> with one new peer id per current peer, on the same stores, in peer order.
/// </summary>
public sealed record SplitCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, byte[] SplitKey, ulong NewRegionId, ImmutableArray<ulong> NewPeerIds)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "SPLIT";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [SplitKey];

    /// <summary>Content equality.</summary>
    public bool Equals(SplitCommand? other) =>
        other is not null && base.Equals(other) && ByteKeyComparer.Instance.Equals(SplitKey, other.SplitKey)
        && NewRegionId == other.NewRegionId && NewPeerIds.SequenceEqual(other.NewPeerIds);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), SplitKey.Length, NewRegionId, NewPeerIds.Length);
}

/// <summary>
/// Any write of the Redis command table (<see cref="Redis.RedisCommandTable"/>) as its argument vector, verb first
/// (HSET, LPUSH, ZADD, EXPIRE, ...): one replicated command for every verb, executed deterministically on apply.
/// </summary>
public sealed record RedisWriteCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, ImmutableArray<byte[]> Args)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => Args.IsDefaultOrEmpty ? "?" : System.Text.Encoding.UTF8.GetString(Args[0]).ToUpperInvariant();

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => Redis.RedisCommandTable.KeysOf(Args);

    /// <summary>Content equality.</summary>
    public bool Equals(RedisWriteCommand? other) => other is not null && base.Equals(other) && SameKeys(Args, other.Args);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Args.Length);
}

/// <summary>Any read of the Redis command table (HGET, LRANGE, ZSCORE, TTL, ...), served on the leader like <see cref="GetCommand"/>.</summary>
public sealed record RedisReadCommand(ulong RegionId, RegionEpoch Epoch, ImmutableArray<byte[]> Args) : KvReadCommand(RegionId, Epoch)
{
    /// <inheritdoc />
    protected override string Verb => Args.IsDefaultOrEmpty ? "?" : System.Text.Encoding.UTF8.GetString(Args[0]).ToUpperInvariant();

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => Redis.RedisCommandTable.KeysOf(Args);

    /// <summary>Content equality.</summary>
    public bool Equals(RedisReadCommand? other) => other is not null && base.Equals(other) && SameKeys(Args, other.Args);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Args.Length);
}
