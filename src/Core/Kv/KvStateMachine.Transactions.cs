using System.Collections.Immutable;
using System.Text;
using AkkaRaft.Core.Kv.Redis;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// MULTI/EXEC on the state machine: the queued commands run in order within one apply, so no other write of the region
/// comes between them; WATCH stamps decide first whether they run at all.
/// </summary>
internal sealed partial class KvStateMachine
{
    private KvResult ExecuteTransaction(TransactionCommand transaction, long now, ulong index)
    {
        if (!transaction.Watches.IsDefault)
            foreach (var watched in transaction.Watches)
                if (WatchStampOf(watched.Key, now) != watched.Stamp) return new KvResult.ArrayResult(null);
        var replies = new KvResult[transaction.Commands.Length];
        for (var i = 0; i < replies.Length; i++)
            replies[i] = AsReply(ExecuteQueued(transaction.Commands[i], now, index, i));
        return new KvResult.ArrayResult(replies);
    }

    /// <summary>One queued command; errors are replies, never exceptions (the rest of the transaction still runs).</summary>
    private KvResult ExecuteQueued(ImmutableArray<byte[]> args, long now, ulong index, int position)
    {
        if (TransactionVerbs.QueueError(args) is { } queueError) return new KvResult.ErrorResult(queueError);
        if (RedisCommandTable.Find(args[0]) is { } spec)
        {
            // A distinct seed per queued command, the same on every replica.
            var seed = RedisKeyspace.SeedOf(index, now) + (ulong)position;
            return ExecuteRedis(args, now, seed, readOnly: !spec.IsWrite);
        }
        var (regionId, epoch) = (Region.Id, Region.Epoch);
        switch (TransactionVerbs.NameOf(args[0]))
        {
            case "get":
                if (!TryGetLive(args[1], now, out var value)) return new KvResult.ValueResult(null);
                return value.Value is byte[] bytes ? new KvResult.ValueResult((byte[])bytes.Clone()) : RedisErrors.WrongType;
            case "set":
                return ParseSet(args, out var condition, out var getOld, out var expireAfter) is { } setError
                    ? setError
                    : ExecuteSet(new SetCommand(regionId, epoch, now, args[1], args[2], null, condition, getOld, expireAfter), now);
            case "setnx":
                var done = ExecuteSet(new SetCommand(regionId, epoch, now, args[1], args[2], null, SetCondition.IfAbsent), now);
                return done is KvResult.OkResult ? new KvResult.IntegerResult(1) : done is KvResult.ValueResult ? new KvResult.IntegerResult(0) : done;
            case "setex" or "psetex":
                var name = TransactionVerbs.NameOf(args[0])!;
                if (!TryParseInteger(args[2], out var ttl)) return RedisErrors.NotInteger;
                var unit = name == "setex" ? 1000L : 1L;
                if (ttl <= 0 || ttl > long.MaxValue / unit) return new KvResult.ErrorResult($"ERR invalid expire time in '{name}' command");
                return ExecuteSet(new SetCommand(regionId, epoch, now, args[1], args[3], ExpireAfterMs: ttl * unit), now);
            case "del" or "unlink":
                return ExecuteDelete(new DeleteCommand(regionId, epoch, now, args.RemoveAt(0)), now);
            case "exists":
                long count = 0;
                foreach (var key in args.Skip(1))
                    if (TryGetLive(key, now, out _)) count++;
                return new KvResult.IntegerResult(count);
            case "mget":
                var values = new KvResult[args.Length - 1];
                for (var i = 1; i < args.Length; i++)
                    values[i - 1] = new KvResult.ValueResult(TryGetLive(args[i], now, out var stored) && stored.Value is byte[] text ? (byte[])text.Clone() : null);
                return new KvResult.ArrayResult(values);
            case "mset":
                var pairs = ImmutableArray.CreateBuilder<KeyValue>((args.Length - 1) / 2);
                for (var i = 1; i + 1 < args.Length; i += 2) pairs.Add(new KeyValue(args[i], args[i + 1]));
                return ExecuteMSet(new MSetCommand(regionId, epoch, now, pairs.MoveToImmutable()));
            case "incr" or "decr":
                return ExecuteIncrBy(new IncrByCommand(regionId, epoch, now, args[1], TransactionVerbs.NameOf(args[0]) == "incr" ? 1 : -1), now);
            case "incrby" or "decrby":
                if (!TryParseInteger(args[2], out var delta)) return RedisErrors.NotInteger;
                var decrement = TransactionVerbs.NameOf(args[0]) == "decrby";
                if (decrement && delta == long.MinValue) return new KvResult.ErrorResult("ERR decrement would overflow");
                return ExecuteIncrBy(new IncrByCommand(regionId, epoch, now, args[1], decrement ? -delta : delta), now);
            case "ping":
                return args.Length switch
                {
                    1 => new KvResult.StatusResult("PONG"),
                    2 => new KvResult.ValueResult((byte[])args[1].Clone()),
                    _ => new KvResult.ErrorResult("ERR wrong number of arguments for 'ping' command"),
                };
            case "echo":
                return new KvResult.ValueResult((byte[])args[1].Clone());
            default:
                return new KvResult.ErrorResult($"ERR unknown command '{RedisCommandTable.Text(args[0])}'");
        }
    }

    /// <summary>SET's options as Redis parses them (t_string.c): NX|XX, GET, EX|PX; the error reply, or null.</summary>
    private static KvResult.ErrorResult? ParseSet(ImmutableArray<byte[]> args, out SetCondition condition, out bool getOld, out long? expireAfterMs)
    {
        (condition, getOld, expireAfterMs) = (SetCondition.None, false, null);
        for (var i = 3; i < args.Length; i++)
        {
            var option = Encoding.ASCII.GetString(args[i]).ToUpperInvariant();
            switch (option)
            {
                case "NX" when condition != SetCondition.IfPresent: condition = SetCondition.IfAbsent; break;
                case "XX" when condition != SetCondition.IfAbsent: condition = SetCondition.IfPresent; break;
                case "GET": getOld = true; break;
                case "EX" or "PX" when expireAfterMs is null && i + 1 < args.Length:
                    if (!TryParseInteger(args[++i], out var amount)) return RedisErrors.NotInteger;
                    var factor = option == "EX" ? 1000L : 1L;
                    if (amount <= 0 || amount > long.MaxValue / factor) return new KvResult.ErrorResult("ERR invalid expire time in 'set' command");
                    expireAfterMs = amount * factor;
                    break;
                default:
                    return RedisErrors.Syntax;
            }
        }
        return null;
    }

    /// <summary>Results of the dedicated string commands as reply-tree nodes (their error records become Redis's error lines).</summary>
    private static KvResult AsReply(KvResult result) => result switch
    {
        KvResult.NotAnInteger => new KvResult.ErrorResult("ERR value is not an integer or out of range"),
        KvResult.Overflow => RedisErrors.Overflow,
        KvResult.InvalidCommand invalid => new KvResult.ErrorResult("ERR " + invalid.Reason),
        _ => result,
    };
}
