using System.Collections.Immutable;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// Compact, versioned binary encoding of <see cref="KvCommand"/>: format version byte, op code, region id and epoch
/// as varints, then (for writes) the stamp NowMs and the op's fields as varints and length-prefixed bytes.
/// Commands are journaled, so every encoding ever written must keep decoding: new fields come behind new flag bits
/// (e.g. SET's relative expiry), which older builds refuse as unknown rather than misread.
/// </summary>
internal static class KvCommandCodec
{
    /// <summary>The format version written first; decoding any other version fails.</summary>
    public const byte FormatVersion = 1;

    private enum OpCode : byte
    {
        Get = 1,
        Exists = 2,
        Set = 3,
        Delete = 4,
        IncrBy = 5,
        MSet = 6,
        Split = 7,
        RedisRead = 8,
        RedisWrite = 9,
        PurgeExpired = 10,
        Transaction = 11,
        WatchStamps = 12,
        // Keyspace commands keep their own range, away from the data types' op codes.
        Scan = 16,
        Flush = 17,
    }

    /// <summary>Most keys a transaction may watch.</summary>
    public const int MaxWatchedKeys = 4096;

    /// <summary>Most arguments one Redis command may carry (the verb included); a longer vector is refused, not truncated.</summary>
    public const int MaxRedisArgs = 1 << 20;

    // SET flag bits; any other bit set is a decode error so a newer writer cannot be misread silently.
    private const byte HasExpiryFlag = 0x01;
    private const byte GetOldFlag = 0x02;
    private const int ConditionShift = 2;
    private const byte ConditionMask = 0x0c;
    private const byte HasRelativeExpiryFlag = 0x10;
    private const byte KnownSetFlags = HasExpiryFlag | GetOldFlag | ConditionMask | HasRelativeExpiryFlag;

    /// <summary>Encodes a command.</summary>
    public static byte[] Encode(KvCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        EnsureEncodable(command);
        var writer = new WireWriter();
        writer.WriteByte(FormatVersion);
        writer.WriteByte((byte)OpOf(command));
        writer.WriteVarUInt(command.RegionId);
        writer.WriteVarUInt(command.Epoch.ConfVersion);
        writer.WriteVarUInt(command.Epoch.Version);
        if (command is KvWriteCommand write) writer.WriteVarInt(write.NowMs);

        switch (command)
        {
            case GetCommand get:
                writer.WriteBytes(get.Key);
                break;
            case ExistsCommand exists:
                WriteKeyList(writer, exists.KeyList);
                break;
            case SetCommand set:
                writer.WriteBytes(set.Key);
                writer.WriteBytes(set.Value);
                writer.WriteByte((byte)((set.ExpireAtMs.HasValue ? HasExpiryFlag : 0)
                    | (set.GetOld ? GetOldFlag : 0)
                    | ((byte)set.Condition << ConditionShift)
                    | (set.ExpireAfterMs.HasValue ? HasRelativeExpiryFlag : 0)));
                if (set.ExpireAtMs is { } expireAt) writer.WriteVarInt(expireAt);
                if (set.ExpireAfterMs is { } expireAfter) writer.WriteVarInt(expireAfter);
                break;
            case DeleteCommand delete:
                WriteKeyList(writer, delete.KeyList);
                break;
            case IncrByCommand incr:
                writer.WriteBytes(incr.Key);
                writer.WriteVarInt(incr.Delta);
                break;
            case MSetCommand mset:
                writer.WriteVarUInt((ulong)mset.Pairs.Length);
                foreach (var pair in mset.Pairs)
                {
                    writer.WriteBytes(pair.Key);
                    writer.WriteBytes(pair.Value);
                }
                break;
            case RedisReadCommand read:
                WriteKeyList(writer, read.Args);
                break;
            case RedisWriteCommand redisWrite:
                WriteKeyList(writer, redisWrite.Args);
                break;
            case PurgeExpiredCommand purge:
                WriteKeyList(writer, purge.KeyList);
                break;
            case WatchStampsCommand watch:
                WriteKeyList(writer, watch.KeyList);
                break;
            case TransactionCommand transaction:
                writer.WriteVarUInt((ulong)transaction.Commands.Length);
                foreach (var args in transaction.Commands) WriteKeyList(writer, args);
                var watches = transaction.Watches.IsDefault ? [] : transaction.Watches;
                writer.WriteVarUInt((ulong)watches.Length);
                foreach (var watched in watches)
                {
                    writer.WriteBytes(watched.Key);
                    writer.WriteVarUInt(watched.Stamp);
                }
                break;
            case SplitCommand split:
                writer.WriteBytes(split.SplitKey);
                writer.WriteVarUInt(split.NewRegionId);
                writer.WriteVarUInt((ulong)split.NewPeerIds.Length);
                foreach (var peerId in split.NewPeerIds) writer.WriteVarUInt(peerId);
                break;
            case ScanCommand scan:
                writer.WriteBytes(scan.StartKey);
                writer.WriteVarInt(scan.Limit);
                writer.WriteVarInt(scan.Skip);
                writer.WriteBytes(System.Text.Encoding.UTF8.GetBytes(scan.TypeFilter ?? ""));
                break;
            case FlushCommand:
                break;
        }
        return writer.ToArray();
    }

    /// <summary>Decodes a command; throws <see cref="KvCodecException"/> on anything but a complete, valid encoding.</summary>
    public static KvCommand Decode(ReadOnlySpan<byte> data)
    {
        var reader = new WireReader(data, "KV command");
        var op = ReadOp(ref reader);
        var regionId = reader.ReadVarUInt("region id");
        var epoch = new RegionEpoch(reader.ReadVarUInt("epoch conf version"), reader.ReadVarUInt("epoch version"));
        var nowMs = IsRead(op) ? 0 : reader.ReadVarInt("now ms");

        KvCommand command;
        switch (op)
        {
            case OpCode.Get:
                command = new GetCommand(regionId, epoch, reader.ReadBytes("key"));
                break;
            case OpCode.Exists:
                command = new ExistsCommand(regionId, epoch, ReadKeyList(ref reader));
                break;
            case OpCode.Set:
                var key = reader.ReadBytes("key");
                var value = reader.ReadBytes("value");
                var flags = reader.ReadByte("set flags");
                if ((flags & ~KnownSetFlags) != 0) throw reader.Fail($"unknown set flags 0x{flags:x2}");
                var condition = (SetCondition)((flags & ConditionMask) >> ConditionShift);
                if (condition > SetCondition.IfPresent) throw reader.Fail($"unknown set condition {(byte)condition}");
                if ((flags & HasExpiryFlag) != 0 && (flags & HasRelativeExpiryFlag) != 0) throw reader.Fail("set has both an absolute and a relative expiry");
                long? expireAt = (flags & HasExpiryFlag) != 0 ? reader.ReadVarInt("expire at ms") : null;
                long? expireAfter = (flags & HasRelativeExpiryFlag) != 0 ? reader.ReadVarInt("expire after ms") : null;
                command = new SetCommand(regionId, epoch, nowMs, key, value, expireAt, condition, (flags & GetOldFlag) != 0, expireAfter);
                break;
            case OpCode.Delete:
                command = new DeleteCommand(regionId, epoch, nowMs, ReadKeyList(ref reader));
                break;
            case OpCode.IncrBy:
                command = new IncrByCommand(regionId, epoch, nowMs, reader.ReadBytes("key"), reader.ReadVarInt("delta"));
                break;
            case OpCode.MSet:
                var pairCount = reader.ReadCount("pair count", minBytesPerItem: 2);
                if (pairCount == 0) throw reader.Fail("MSET needs at least one pair");
                var pairs = ImmutableArray.CreateBuilder<KeyValue>(pairCount);
                for (var i = 0; i < pairCount; i++) pairs.Add(new KeyValue(reader.ReadBytes("key"), reader.ReadBytes("value")));
                command = new MSetCommand(regionId, epoch, nowMs, pairs.MoveToImmutable());
                break;
            case OpCode.Scan:
                var startKey = reader.ReadBytes("start key");
                var limit = reader.ReadVarInt("limit");
                if (limit is < 1 or > int.MaxValue) throw reader.Fail($"scan limit {limit} is not between 1 and {int.MaxValue}");
                var skip = reader.ReadVarInt("skip");
                if (skip < 0) throw reader.Fail($"scan skip {skip} is negative");
                var type = System.Text.Encoding.UTF8.GetString(reader.ReadSpan("type filter"));
                command = new ScanCommand(regionId, epoch, startKey, (int)limit, skip, type.Length == 0 ? null : type);
                break;
            case OpCode.Flush:
                command = new FlushCommand(regionId, epoch, nowMs);
                break;
            case OpCode.RedisRead:
                command = new RedisReadCommand(regionId, epoch, ReadArgs(ref reader));
                break;
            case OpCode.RedisWrite:
                command = new RedisWriteCommand(regionId, epoch, nowMs, ReadArgs(ref reader));
                break;
            case OpCode.PurgeExpired:
                var purged = ReadKeyList(ref reader);
                if (purged.Length > PurgeExpiredCommand.MaxKeys) throw reader.Fail($"{purged.Length} keys to purge exceed {PurgeExpiredCommand.MaxKeys}");
                command = new PurgeExpiredCommand(regionId, epoch, nowMs, purged);
                break;
            case OpCode.Transaction:
                command = ReadTransaction(ref reader, regionId, epoch, nowMs);
                break;
            case OpCode.WatchStamps:
                var watched = ReadKeyList(ref reader);
                if (watched.Length > MaxWatchedKeys) throw reader.Fail($"{watched.Length} watched keys exceed {MaxWatchedKeys}");
                command = new WatchStampsCommand(regionId, epoch, watched);
                break;
            default: // OpCode.Split
                var splitKey = reader.ReadBytes("split key");
                var newRegionId = reader.ReadVarUInt("new region id");
                var peerCount = reader.ReadCount("new peer count", minBytesPerItem: 1);
                var peerIds = ImmutableArray.CreateBuilder<ulong>(peerCount);
                for (var i = 0; i < peerCount; i++) peerIds.Add(reader.ReadVarUInt("new peer id"));
                command = new SplitCommand(regionId, epoch, nowMs, splitKey, newRegionId, peerIds.MoveToImmutable());
                break;
        }
        reader.EnsureEnd();
        return command;
    }

    /// <summary>
    /// Reads the header only (format version, op, region id, epoch, and where a write's stamp lies): enough for a store to
    /// check the region and epoch before proposing, leaving the one full decode to the state machine. Throws
    /// <see cref="KvCodecException"/> when the header is malformed; the rest is not checked here.
    /// </summary>
    public static KvCommandHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var reader = new WireReader(data, "KV command");
        var op = ReadOp(ref reader);
        var regionId = reader.ReadVarUInt("region id");
        var epoch = new RegionEpoch(reader.ReadVarUInt("epoch conf version"), reader.ReadVarUInt("epoch version"));
        if (IsRead(op)) return new KvCommandHeader(false, regionId, epoch, 0, 0);
        var stampOffset = reader.Position;
        reader.ReadVarInt("now ms");
        return new KvCommandHeader(true, regionId, epoch, stampOffset, reader.Position - stampOffset);
    }

    /// <summary>
    /// The first key of the encoded command that <paramref name="region"/> does not contain, or null when it contains them
    /// all. Keys are compared in place; values are skipped, not copied. Throws <see cref="KvCodecException"/> when the
    /// keys cannot be read.
    /// </summary>
    public static byte[]? FirstKeyOutside(ReadOnlySpan<byte> data, Region region)
    {
        ArgumentNullException.ThrowIfNull(region);
        var reader = new WireReader(data, "KV command");
        var op = ReadOp(ref reader);
        reader.ReadVarUInt("region id");
        reader.ReadVarUInt("epoch conf version");
        reader.ReadVarUInt("epoch version");
        if (!IsRead(op)) reader.ReadVarInt("now ms");
        switch (op)
        {
            case OpCode.RedisRead or OpCode.RedisWrite:
                foreach (var key in Redis.RedisCommandTable.KeysOf(ReadArgs(ref reader)))
                    if (!region.Contains(key)) return key;
                return null;
            case OpCode.Scan or OpCode.Flush:
                return null; // no keys: the epoch check alone keeps them to the region
            case OpCode.PurgeExpired or OpCode.Transaction or OpCode.WatchStamps:
                foreach (var key in Decode(data).Keys)
                    if (!region.Contains(key)) return key;
                return null;
            case OpCode.Get or OpCode.Set or OpCode.IncrBy or OpCode.Split:
                return Outside(reader.ReadSpan("key"), region);
            case OpCode.Exists or OpCode.Delete:
                var keys = reader.ReadCount("key count", minBytesPerItem: 1);
                for (var i = 0; i < keys; i++)
                    if (Outside(reader.ReadSpan("key"), region) is { } outside) return outside;
                return null;
            default: // OpCode.MSet
                var pairs = reader.ReadCount("pair count", minBytesPerItem: 2);
                for (var i = 0; i < pairs; i++)
                {
                    if (Outside(reader.ReadSpan("key"), region) is { } outside) return outside;
                    reader.ReadSpan("value");
                }
                return null;
        }
    }

    /// <summary>
    /// A copy of an encoded write whose time stamp is <paramref name="nowMs"/>: the bytes before and after the stamp are
    /// copied as they are (the command is not decoded again). <paramref name="header"/> is <see cref="ReadHeader"/>'s of
    /// <paramref name="data"/>.
    /// </summary>
    public static byte[] WithStamp(ReadOnlySpan<byte> data, KvCommandHeader header, long nowMs)
    {
        // Invariant: only a write has a stamp, and the header describes these bytes.
        if (!header.IsWrite || header.StampOffset + header.StampLength > data.Length)
            throw new InvalidOperationException($"no write stamp at {header.StampOffset}+{header.StampLength} in {data.Length} bytes");
        var stamp = new WireWriter(10);
        stamp.WriteVarInt(nowMs);
        var tail = data[(header.StampOffset + header.StampLength)..];
        var stamped = new byte[header.StampOffset + stamp.Written.Length + tail.Length];
        data[..header.StampOffset].CopyTo(stamped);
        stamp.Written.CopyTo(stamped.AsSpan(header.StampOffset));
        tail.CopyTo(stamped.AsSpan(header.StampOffset + stamp.Written.Length));
        return stamped;
    }

    private static OpCode ReadOp(ref WireReader reader)
    {
        var version = reader.ReadByte("format version");
        if (version != FormatVersion)
            throw reader.Fail($"unsupported format version {version} (this build reads {FormatVersion})");
        var op = (OpCode)reader.ReadByte("op code");
        if (op is (< OpCode.Get or > OpCode.WatchStamps) and not (OpCode.Scan or OpCode.Flush)) throw reader.Fail($"unknown op code {(byte)op}");
        return op;
    }

    private static bool IsRead(OpCode op) => op is OpCode.Get or OpCode.Exists or OpCode.RedisRead or OpCode.Scan or OpCode.WatchStamps;

    private static byte[]? Outside(ReadOnlySpan<byte> key, Region region) => region.Contains(key) ? null : key.ToArray();

    private static OpCode OpOf(KvCommand command) => command switch
    {
        GetCommand => OpCode.Get,
        ExistsCommand => OpCode.Exists,
        SetCommand => OpCode.Set,
        DeleteCommand => OpCode.Delete,
        IncrByCommand => OpCode.IncrBy,
        MSetCommand => OpCode.MSet,
        SplitCommand => OpCode.Split,
        RedisReadCommand => OpCode.RedisRead,
        RedisWriteCommand => OpCode.RedisWrite,
        ScanCommand => OpCode.Scan,
        FlushCommand => OpCode.Flush,
        PurgeExpiredCommand => OpCode.PurgeExpired,
        TransactionCommand => OpCode.Transaction,
        WatchStampsCommand => OpCode.WatchStamps,
        _ => throw new ArgumentException($"no encoding for {command.GetType().Name}", nameof(command)),
    };

    // Reject what Decode would reject, so every encoding round-trips.
    private static void EnsureEncodable(KvCommand command)
    {
        var problem = command switch
        {
            ExistsCommand { KeyList.IsDefaultOrEmpty: true } or DeleteCommand { KeyList.IsDefaultOrEmpty: true } => "needs at least one key",
            MSetCommand { Pairs.IsDefaultOrEmpty: true } => "needs at least one pair",
            SetCommand { Condition: > SetCondition.IfPresent } set => $"has unknown condition {(byte)set.Condition}",
            SetCommand { ExpireAtMs: not null, ExpireAfterMs: not null } => "has both an absolute and a relative expiry",
            SplitCommand { NewPeerIds.IsDefault: true } => "has no new peer ids",
            RedisReadCommand { Args.IsDefaultOrEmpty: true } or RedisWriteCommand { Args.IsDefaultOrEmpty: true } => "needs at least the verb",
            RedisReadCommand { Args.Length: > MaxRedisArgs } or RedisWriteCommand { Args.Length: > MaxRedisArgs } => $"has more than {MaxRedisArgs} arguments",
            ScanCommand { Limit: < 1 } or ScanCommand { Skip: < 0 } => "needs a positive limit and a skip of at least 0",
            PurgeExpiredCommand { KeyList.IsDefaultOrEmpty: true } => "needs at least one key",
            PurgeExpiredCommand { KeyList.Length: > PurgeExpiredCommand.MaxKeys } => $"has more than {PurgeExpiredCommand.MaxKeys} keys",
            TransactionCommand { Commands.IsDefault: true } => "has no command list",
            WatchStampsCommand { KeyList.IsDefaultOrEmpty: true } => "needs at least one key",
            WatchStampsCommand { KeyList.Length: > MaxWatchedKeys } => $"watches more than {MaxWatchedKeys} keys",
            TransactionCommand { Commands.Length: > TransactionCommand.MaxCommands } => $"has more than {TransactionCommand.MaxCommands} commands",
            TransactionCommand { Watches.Length: > MaxWatchedKeys } => $"watches more than {MaxWatchedKeys} keys",
            TransactionCommand t when t.Commands.Any(c => c.IsDefaultOrEmpty || c.Length > MaxRedisArgs) => "has a command without its verb or with too many arguments",
            _ => null,
        };
        if (problem is not null) throw new ArgumentException($"{command.GetType().Name} {problem}", nameof(command));
    }

    private static void WriteKeyList(WireWriter writer, ImmutableArray<byte[]> keys)
    {
        writer.WriteVarUInt((ulong)keys.Length);
        foreach (var key in keys) writer.WriteBytes(key);
    }


    private static ImmutableArray<byte[]> ReadArgs(ref WireReader reader)
    {
        var count = reader.ReadCount("argument count", minBytesPerItem: 1);
        if (count == 0) throw reader.Fail("a Redis command needs at least its verb");
        if (count > MaxRedisArgs) throw reader.Fail($"{count} arguments exceed {MaxRedisArgs}");
        var args = ImmutableArray.CreateBuilder<byte[]>(count);
        for (var i = 0; i < count; i++) args.Add(reader.ReadBytes("argument"));
        return args.MoveToImmutable();
    }

    private static TransactionCommand ReadTransaction(ref WireReader reader, ulong regionId, RegionEpoch epoch, long nowMs)
    {
        var count = reader.ReadCount("transaction command count", minBytesPerItem: 2);
        if (count > TransactionCommand.MaxCommands) throw reader.Fail($"{count} queued commands exceed {TransactionCommand.MaxCommands}");
        var commands = ImmutableArray.CreateBuilder<ImmutableArray<byte[]>>(count);
        for (var i = 0; i < count; i++) commands.Add(ReadArgs(ref reader));
        var watchCount = reader.ReadCount("watched key count", minBytesPerItem: 2);
        if (watchCount > MaxWatchedKeys) throw reader.Fail($"{watchCount} watched keys exceed {MaxWatchedKeys}");
        var watches = ImmutableArray.CreateBuilder<WatchedKey>(watchCount);
        for (var i = 0; i < watchCount; i++) watches.Add(new WatchedKey(reader.ReadBytes("watched key"), reader.ReadVarUInt("watch stamp")));
        return new TransactionCommand(regionId, epoch, nowMs, commands.MoveToImmutable(), watches.MoveToImmutable());
    }

    private static ImmutableArray<byte[]> ReadKeyList(ref WireReader reader)
    {
        var count = reader.ReadCount("key count", minBytesPerItem: 1);
        if (count == 0) throw reader.Fail("a multi-key command needs at least one key");
        var keys = ImmutableArray.CreateBuilder<byte[]>(count);
        for (var i = 0; i < count; i++) keys.Add(reader.ReadBytes("key"));
        return keys.MoveToImmutable();
    }
}
