using System.Collections.Immutable;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>A key WATCHed before MULTI and the modification stamp it had then (see <see cref="KvStateMachine.WatchStampOf"/>).</summary>
public readonly record struct WatchedKey(byte[] Key, ulong Stamp)
{
    /// <summary>Content equality.</summary>
    public bool Equals(WatchedKey other) => Stamp == other.Stamp && ByteKeyComparer.Instance.Equals(Key, other.Key);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ByteKeyComparer.Instance.GetHashCode(Key), Stamp);
}

/// <summary>
/// MULTI ... EXEC of one region: the queued commands as argument vectors (verb first), applied in order as one log entry,
/// answering an array with one reply each (a runtime error such as WRONGTYPE is one element; the others still apply).
/// When a watched key's stamp differs at apply time nothing runs and the answer is Redis's nil array.
/// </summary>
internal sealed record TransactionCommand(
    ulong RegionId, RegionEpoch Epoch, long NowMs, ImmutableArray<ImmutableArray<byte[]>> Commands, ImmutableArray<WatchedKey> Watches)
    : KvWriteCommand(RegionId, Epoch, NowMs)
{
    /// <summary>Most commands one transaction may queue; the session refuses more at queue time.</summary>
    public const int MaxCommands = 10_000;

    /// <inheritdoc />
    protected override string Verb => "EXEC";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys =>
        Commands.SelectMany(args => TransactionVerbs.KeysOf(args)).Concat(Watches.IsDefault ? [] : Watches.Select(w => w.Key));

    /// <summary>Content equality.</summary>
    public bool Equals(TransactionCommand? other) =>
        other is not null && base.Equals(other)
        && Commands.Length == other.Commands.Length && Commands.Zip(other.Commands).All(p => SameKeys(p.First, p.Second))
        && Watches.SequenceEqual(other.Watches);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Commands.Length, Watches.Length);
}

/// <summary>WATCH's read: the modification stamps of keys of one region, served on the leader; answers an array of integers (the stamps' bits).</summary>
internal sealed record WatchStampsCommand(ulong RegionId, RegionEpoch Epoch, ImmutableArray<byte[]> KeyList) : KvReadCommand(RegionId, Epoch)
{
    /// <inheritdoc />
    protected override string Verb => "WATCH";

    /// <inheritdoc />
    public override IEnumerable<byte[]> Keys => KeyList;

    /// <summary>Content equality.</summary>
    public bool Equals(WatchStampsCommand? other) => other is not null && base.Equals(other) && SameKeys(KeyList, other.KeyList);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), KeyList.Length);
}
