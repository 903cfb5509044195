using System.Buffers.Binary;
using AkkaRaft.Core.Kv.Redis;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>Snapshot encoding of <see cref="KvStateMachine"/>.</summary>
/// <remarks>
/// Layout: magic "AKVS", format version, applied index, region (id, start, end, epoch, peers), logical clock,
/// entry count, entries in key order, then an FNV-1a 64 checksum of everything before it. Version 1 entries are strings:
/// (key, value, flags, [expiry]). Version 2 entries are typed: (key, flags, [expiry], type, payload) where the payload is
/// the string's bytes, or a count and the hash's field/value pairs, the list's items, the set's members, or the sorted
/// set's member/score pairs (score as 8 little-endian bytes). Version 3 adds the WATCH stamps after the entries (see
/// KvStateMachine.Watch.cs). Versions 1 and 2 are still read (with no stamps).
/// Expired entries are left out: the logical clock in the snapshot already hides them.
/// </remarks>
internal sealed partial class KvStateMachine
{
    /// <summary>The snapshot format version written; restoring any other fails.</summary>
    public const byte SnapshotFormatVersion = 3;

    /// <summary>The oldest snapshot format version still restored (strings only).</summary>
    public const byte OldestSnapshotFormatVersion = 1;

    private static ReadOnlySpan<byte> SnapshotMagic => "AKVS"u8;
    private const int ChecksumBytes = 8;
    private const byte EntryHasExpiry = 0x01;

    /// <inheritdoc />
    public byte[] TakeSnapshot()
    {
        var writer = new WireWriter(checked((int)Math.Min(int.MaxValue, ApproximateSizeBytes + 128)));
        writer.WriteRaw(SnapshotMagic);
        writer.WriteByte(SnapshotFormatVersion);
        writer.WriteVarUInt(AppliedIndex);
        PlacementCodec.WriteRegion(writer, Region);
        writer.WriteVarInt(LogicalNowMs);
        var live = _entries.Where(e => !e.Value.IsExpiredAt(LogicalNowMs)).ToList();
        writer.WriteVarUInt((ulong)live.Count);
        foreach (var (key, value) in live)
        {
            writer.WriteBytes(key);
            writer.WriteByte(value.ExpireAtMs.HasValue ? EntryHasExpiry : (byte)0);
            if (value.ExpireAtMs is { } expireAt) writer.WriteVarInt(expireAt);
            WriteTypedValue(writer, value.Value);
        }
        WriteStamps(writer, live);
        Span<byte> checksum = stackalloc byte[ChecksumBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, Fnv1a64(writer.Written));
        writer.WriteRaw(checksum);
        return writer.ToArray();
    }

    /// <inheritdoc />
    /// <remarks>All or nothing: on <see cref="KvCodecException"/> the current state is untouched.</remarks>
    public void Restore(byte[] snapshot, ulong index)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Length < SnapshotMagic.Length + 1 + ChecksumBytes || !snapshot.AsSpan().StartsWith(SnapshotMagic))
            throw new KvCodecException($"invalid KV snapshot: {snapshot.Length} bytes without the AKVS header and checksum");
        var body = snapshot.AsSpan(0, snapshot.Length - ChecksumBytes);
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(snapshot.AsSpan(snapshot.Length - ChecksumBytes));
        if (Fnv1a64(body) != expected)
            throw new KvCodecException("invalid KV snapshot: checksum mismatch (corrupt or truncated)");
        var state = DecodeSnapshotBody(body[SnapshotMagic.Length..]);
        if (state.AppliedIndex != index)
            throw new KvCodecException($"invalid KV snapshot: taken at index {state.AppliedIndex} but restored as index {index}");

        Region = state.Region;
        AppliedIndex = index;
        LogicalNowMs = state.LogicalNowMs;
        _entries = state.Entries;
        ApproximateSizeBytes = state.Size;
        RebuildExpiryIndex();
        (_lastRemovalIndex, _modifiedAt) = (state.LastRemovalIndex, state.Stamps);
    }

    private readonly record struct DecodedSnapshot(
        ulong AppliedIndex, Region Region, long LogicalNowMs, SortedDictionary<byte[], StoredValue> Entries, long Size, ulong LastRemovalIndex, Dictionary<byte[], ulong> Stamps);

    /// <summary>Decodes the body after the magic; checks structure, ordering and ranges, not the checksum.</summary>
    private static DecodedSnapshot DecodeSnapshotBody(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body, "KV snapshot");
        var version = reader.ReadByte("format version");
        if (version is < OldestSnapshotFormatVersion or > SnapshotFormatVersion)
            throw reader.Fail($"unsupported snapshot format version {version} (this build reads {OldestSnapshotFormatVersion} to {SnapshotFormatVersion})");
        var appliedIndex = reader.ReadVarUInt("applied index");
        // Same region encoding as placement's records.
        var region = PlacementCodec.ReadRegion(ref reader);
        if (region.IsEmptyRange) throw reader.Fail($"{region} has an empty range");
        var logicalNowMs = reader.ReadVarInt("logical now ms");

        var entryCount = reader.ReadCount("entry count", minBytesPerItem: 3);
        var entries = new SortedDictionary<byte[], StoredValue>(ByteKeyComparer.Instance);
        long size = 0;
        byte[]? previous = null;
        for (var i = 0; i < entryCount; i++)
        {
            var key = reader.ReadBytes("entry key");
            object value = version == 1 ? reader.ReadBytes("entry value") : null!;
            var flags = reader.ReadByte("entry flags");
            if ((flags & ~EntryHasExpiry) != 0) throw reader.Fail($"unknown entry flags 0x{flags:x2}");
            long? expireAt = (flags & EntryHasExpiry) != 0 ? reader.ReadVarInt("entry expire at ms") : null;
            if (version >= 2) value = ReadTypedValue(ref reader);
            if (previous is not null && ByteKeyComparer.Instance.Compare(previous, key) >= 0)
                throw reader.Fail($"entry keys out of order: {KeyText.Quote(previous)} then {KeyText.Quote(key)}");
            if (!region.Contains(key)) throw reader.Fail($"entry key {KeyText.Quote(key)} is outside {region}");
            var stored = new StoredValue(value, expireAt);
            entries.Add(key, stored);
            size += Cost(key, stored);
            previous = key;
        }
        var (lastRemoval, stamps) = version >= 3 ? ReadStamps(ref reader, entries) : (0UL, new Dictionary<byte[], ulong>(ByteKeyComparer.Instance));
        reader.EnsureEnd();
        return new DecodedSnapshot(appliedIndex, region, logicalNowMs, entries, size, lastRemoval, stamps);
    }

    private static void WriteTypedValue(WireWriter writer, object value)
    {
        switch (value)
        {
            case byte[] bytes:
                writer.WriteByte((byte)RedisType.String);
                writer.WriteBytes(bytes);
                break;
            case RedisHash hash:
                writer.WriteByte((byte)RedisType.Hash);
                writer.WriteVarUInt((ulong)hash.Count);
                foreach (var (field, fieldValue) in hash.Fields)
                {
                    writer.WriteBytes(field);
                    writer.WriteBytes(fieldValue);
                }
                break;
            case RedisList list:
                writer.WriteByte((byte)RedisType.List);
                writer.WriteVarUInt((ulong)list.Count);
                foreach (var item in list.Items) writer.WriteBytes(item);
                break;
            case RedisSet set:
                writer.WriteByte((byte)RedisType.Set);
                writer.WriteVarUInt((ulong)set.Count);
                foreach (var member in set.Members) writer.WriteBytes(member);
                break;
            case RedisSortedSet zset:
                writer.WriteByte((byte)RedisType.SortedSet);
                writer.WriteVarUInt((ulong)zset.Count);
                Span<byte> score = stackalloc byte[sizeof(double)];
                foreach (var member in zset.Ascending)
                {
                    writer.WriteBytes(member.Member);
                    BinaryPrimitives.WriteDoubleLittleEndian(score, member.Score);
                    writer.WriteRaw(score);
                }
                break;
            default:
                // Invariant: a stored value is a string or one of the four collections.
                throw new InvalidOperationException($"cannot snapshot a stored {value.GetType().Name}");
        }
    }

    private static object ReadTypedValue(ref WireReader reader)
    {
        var type = reader.ReadByte("entry type");
        if (type == (byte)RedisType.String) return reader.ReadBytes("entry value");
        if (type > (byte)RedisType.SortedSet) throw reader.Fail($"unknown entry type {type}");
        var count = reader.ReadCount("element count", minBytesPerItem: type is (byte)RedisType.List or (byte)RedisType.Set ? 1 : 2);
        if (count == 0) throw reader.Fail($"empty {(RedisType)type}: Redis never keeps an empty collection");
        switch ((RedisType)type)
        {
            case RedisType.Hash:
                var hash = new RedisHash();
                for (var i = 0; i < count; i++)
                    if (!hash.Set(reader.ReadBytes("hash field"), reader.ReadBytes("hash value"))) throw reader.Fail("duplicate hash field");
                return hash;
            case RedisType.List:
                var list = new RedisList();
                for (var i = 0; i < count; i++) list.Add(reader.ReadBytes("list item"));
                return list;
            case RedisType.Set:
                var set = new RedisSet();
                for (var i = 0; i < count; i++)
                    if (!set.Add(reader.ReadBytes("set member"))) throw reader.Fail("duplicate set member");
                return set;
            default:
                var zset = new RedisSortedSet();
                Span<byte> raw = stackalloc byte[sizeof(double)];
                for (var i = 0; i < count; i++)
                {
                    var member = reader.ReadBytes("sorted set member");
                    for (var b = 0; b < raw.Length; b++) raw[b] = reader.ReadByte("sorted set score");
                    var score = BinaryPrimitives.ReadDoubleLittleEndian(raw);
                    if (double.IsNaN(score)) throw reader.Fail("sorted set score is NaN");
                    if (!zset.Set(member, score)) throw reader.Fail("duplicate sorted set member");
                }
                return zset;
        }
    }

    /// <summary>FNV-1a 64: cheap, dependency-free, catches bit flips and truncation (not an attacker).</summary>
    internal static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
