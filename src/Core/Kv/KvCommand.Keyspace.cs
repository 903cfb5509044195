using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// Lists the region's live keys in key order from <see cref="StartKey"/> (clamped to the region's start): at most
/// <see cref="Limit"/> keys, after skipping <see cref="Skip"/> stored entries, of type <see cref="TypeFilter"/> when set
/// (a Redis type name such as "string"). Answered with <see cref="KvResult.KeyPage"/>. Names no keys, so no key check:
/// the epoch check alone keeps it to the range the router chose.
/// </summary>
internal sealed record ScanCommand(ulong RegionId, RegionEpoch Epoch, byte[] StartKey, int Limit, long Skip = 0, string? TypeFilter = null)
    : KvReadCommand(RegionId, Epoch)
{
    /// <inheritdoc />
    protected override string Verb => "SCAN";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [];

    /// <summary>Content equality.</summary>
    public bool Equals(ScanCommand? other) =>
        other is not null && base.Equals(other) && ByteKeyComparer.Instance.Equals(StartKey, other.StartKey)
        && Limit == other.Limit && Skip == other.Skip && TypeFilter == other.TypeFilter;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), StartKey.Length, Limit, Skip, TypeFilter);
}

/// <summary>FLUSHDB for one region: removes every key of the region, proposed through Raft so every replica empties it at the same index.</summary>
internal sealed record FlushCommand(ulong RegionId, RegionEpoch Epoch, long NowMs) : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <inheritdoc />
    protected override string Verb => "FLUSH";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => [];
}
