using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>
/// An immutable region: id, half-open key range [<see cref="StartKey"/>, <see cref="EndKey"/>) where an empty
/// key means unbounded, epoch and peers. Equality compares keys by content.
/// </summary>
/// <remarks>
/// Keys are copied on construction; the arrays exposed by <see cref="StartKey"/> and <see cref="EndKey"/> are the
/// region's own and must not be mutated. A region may hold an empty range (start &gt;= end) so that
/// <see cref="LayoutValidation"/> can report it; such a region contains no key.
/// </remarks>
internal sealed class Region : IEquatable<Region>
{
    /// <summary>Creates a region; keys are copied.</summary>
    public Region(ulong id, ReadOnlySpan<byte> startKey, ReadOnlySpan<byte> endKey, RegionEpoch epoch, IEnumerable<RegionPeer> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        Id = id;
        StartKey = startKey.ToArray();
        EndKey = endKey.ToArray();
        Epoch = epoch;
        Peers = peers.ToImmutableArray();
    }

    /// <summary>The region id (also its Raft group id).</summary>
    public ulong Id { get; }

    /// <summary>Inclusive start key; empty = from the beginning of the keyspace.</summary>
    public byte[] StartKey { get; }

    /// <summary>Exclusive end key; empty = to the end of the keyspace.</summary>
    public byte[] EndKey { get; }

    /// <summary>The region's epoch.</summary>
    public RegionEpoch Epoch { get; }

    /// <summary>The region's replicas.</summary>
    public ImmutableArray<RegionPeer> Peers { get; }

    /// <summary>True when the range holds no key: start &gt;= end with a bounded end.</summary>
    public bool IsEmptyRange => EndKey.Length != 0 && StartKey.AsSpan().SequenceCompareTo(EndKey) >= 0;

    /// <summary>True when <paramref name="key"/> lies in [start, end) by ordinal byte comparison.</summary>
    public bool Contains(ReadOnlySpan<byte> key) =>
        key.SequenceCompareTo(StartKey) >= 0 && ByteKeyComparer.IsBeforeEnd(key, EndKey);

    /// <summary>A copy with another range (epoch unchanged: the caller bumps it).</summary>
    public Region WithRange(ReadOnlySpan<byte> startKey, ReadOnlySpan<byte> endKey) => new(Id, startKey, endKey, Epoch, Peers);

    /// <summary>A copy with another epoch.</summary>
    public Region WithEpoch(RegionEpoch epoch) => new(Id, StartKey, EndKey, epoch, Peers);

    /// <summary>A copy with other peers (epoch unchanged: the caller bumps it).</summary>
    public Region WithPeers(IEnumerable<RegionPeer> peers) => new(Id, StartKey, EndKey, Epoch, peers);

    /// <summary>The range as text, e.g. <c>["", "m")</c>.</summary>
    public string RangeText => KeyText.Range(StartKey, EndKey);

    /// <summary>Renders as <c>region 12 ["", "m") v1/1</c>.</summary>
    public override string ToString() => $"region {Id} {RangeText} {Epoch}";

    /// <summary>Value equality: id, keys by content, epoch, peers in order.</summary>
    public bool Equals(Region? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Id == other.Id
                && Epoch == other.Epoch
                && StartKey.AsSpan().SequenceEqual(other.StartKey)
                && EndKey.AsSpan().SequenceEqual(other.EndKey)
                && Peers.AsSpan().SequenceEqual(other.Peers.AsSpan())));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Region);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Id);
        hash.Add(Epoch);
        hash.AddBytes(StartKey);
        hash.AddBytes(EndKey);
        foreach (var peer in Peers) hash.Add(peer);
        return hash.ToHashCode();
    }

    /// <summary>Value equality operator.</summary>
    public static bool operator ==(Region? left, Region? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality operator.</summary>
    public static bool operator !=(Region? left, Region? right) => !(left == right);
}
