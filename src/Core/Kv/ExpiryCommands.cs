using System.Collections.Immutable;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// Active expiry: the region leader's store found these keys expired and proposes their removal. Applied, each key is
/// removed only if it is still expired by the state machine's clock then (a key set again in between survives), so every
/// replica removes the same keys. Answers the number removed.
/// </summary>
internal sealed record PurgeExpiredCommand(ulong RegionId, RegionEpoch Epoch, long NowMs, ImmutableArray<byte[]> KeyList)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <summary>Most keys one purge may name; the sweep proposes larger finds in several commands.</summary>
    public const int MaxKeys = 4096;

    /// <inheritdoc />
    protected override string Verb => "PURGE-EXPIRED";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => KeyList;

    /// <summary>Content equality.</summary>
    public bool Equals(PurgeExpiredCommand? other) => other is not null && base.Equals(other) && SameKeys(KeyList, other.KeyList);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), KeyList.Length);
}

/// <summary>Orders entries with an expiry by expiry time, then key: the state machine's index of what expires next.</summary>
internal sealed class ExpiryOrder : IComparer<(long ExpireAtMs, byte[] Key)>
{
    public static ExpiryOrder Instance { get; } = new();

    public int Compare((long ExpireAtMs, byte[] Key) x, (long ExpireAtMs, byte[] Key) y)
    {
        var byTime = x.ExpireAtMs.CompareTo(y.ExpireAtMs);
        return byTime != 0 ? byTime : ByteKeyComparer.Instance.Compare(x.Key, y.Key);
    }
}
