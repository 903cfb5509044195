using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Resp;

/// <summary>
/// One client connection's state and command execution. KV commands of a pipeline are started without waiting for
/// the previous ones unless they touch a key still in flight (so one client's commands on one key keep their order);
/// connection commands wait for everything before them. Replies are always written in command order.
/// </summary>
internal sealed partial class RespSession
{
    /// <summary>Replies buffered beyond this are flushed at once, so a pipeline of large values never piles up in memory.</summary>
    private const long FlushThresholdBytes = 256 * 1024;

    private readonly RespServerState server;
    private readonly IKvClient client;
    private readonly RespReplyWriter writer;
    private readonly PipeWriter output;
    private readonly CancellationToken connectionClosed;

    // Invariant: pending.Count <= MaxPipelineDepth; keysInFlight holds the keys of the pending commands (or more, never fewer).
    private readonly Queue<PendingReply> pending = new();
    private readonly HashSet<byte[]> keysInFlight = new(ByteArrayContentComparer.Instance);

    private bool authenticated;
    private string? clientName;

    /// <summary>Creates the session of connection number <paramref name="id"/>.</summary>
    public RespSession(RespServerState server, PipeWriter output, long id, string remoteEndPoint, CancellationToken connectionClosed)
    {
        this.server = server;
        client = server.Client;
        this.output = output;
        writer = new RespReplyWriter(output);
        this.connectionClosed = connectionClosed;
        Id = id;
        RemoteEndPoint = remoteEndPoint;
        authenticated = server.Password == null;
    }

    /// <summary>True once the client authenticated, or from the start when no password is set.</summary>
    public bool IsAuthenticated => authenticated;

    /// <summary>The connection's id (CLIENT ID, HELLO).</summary>
    public long Id { get; }

    /// <summary>The peer address, for CLIENT INFO.</summary>
    public string RemoteEndPoint { get; }

    /// <summary>Commands started whose replies are not written yet.</summary>
    public int PendingCount => pending.Count;

    /// <summary>Writes an error reply after every pending reply (used for protocol errors before closing).</summary>
    public async ValueTask WriteErrorAfterPendingAsync(string message)
    {
        await DrainAsync();
        writer.WriteError(message);
    }

    /// <summary>Executes one command; false when the connection must close once the replies are flushed (QUIT).</summary>
    public async ValueTask<bool> ExecuteAsync(byte[][] arguments)
    {
        server.OnCommands(1);
        var kind = RespCommandTable.Recognize(arguments[0]);
        if (!authenticated && kind is not (RespCommandKind.Auth or RespCommandKind.Hello or RespCommandKind.Quit))
        {
            await ReplyErrorAsync("NOAUTH Authentication required.");
            return true;
        }

        if (await TryExecuteTransactionalAsync(arguments)) return true;

        if (kind == RespCommandKind.Unknown && AkkaRaft.Core.Kv.Redis.RedisCommandTable.Find(arguments[0]) is { } typed)
        {
            await ExecuteTypedAsync(typed, arguments);
            return true;
        }

        if (kind == RespCommandKind.Unknown)
        {
            await ReplyErrorAsync(UnknownCommandMessage(arguments));
            return true;
        }

        var info = RespCommandTable.Describe(kind);
        if (!RespCommandTable.ArityAccepts(info.Arity, arguments.Length) || (kind == RespCommandKind.Mset && arguments.Length % 2 == 0))
        {
            await ReplyErrorAsync($"ERR wrong number of arguments for '{info.Name}' command");
            return true;
        }

        try
        {
            return await ExecuteRecognizedAsync(kind, info, arguments);
        }
        catch (Exception e) when (e is not (OperationCanceledException or IOException or OutOfMemoryException))
        {
            // The store threw instead of answering with an error value: answer this command, keep the connection.
            await ReplyErrorAsync(ExceptionMessage(e));
            return true;
        }
    }

    private async ValueTask<bool> ExecuteRecognizedAsync(RespCommandKind kind, RespCommandInfo info, byte[][] arguments)
    {
        switch (kind)
        {
            case RespCommandKind.Get:
                await ReserveKeysAsync(arguments, 1, 1, 1);
                Enqueue(client.GetAsync(arguments[1], connectionClosed), isWrite: false);
                return true;
            case RespCommandKind.Set:
                await ExecuteSetAsync(arguments);
                return true;
            case RespCommandKind.Del:
            case RespCommandKind.Unlink:
                await ReserveKeysAsync(arguments, 1, 1, arguments.Length - 1);
                Enqueue(client.DeleteAsync(new ArraySegment<byte[]>(arguments, 1, arguments.Length - 1), connectionClosed), isWrite: true);
                return true;
            case RespCommandKind.Exists:
                await ReserveKeysAsync(arguments, 1, 1, arguments.Length - 1);
                Enqueue(client.ExistsAsync(new ArraySegment<byte[]>(arguments, 1, arguments.Length - 1), connectionClosed), isWrite: false);
                return true;
            case RespCommandKind.Setnx:
                await ReserveKeysAsync(arguments, 1, 1, 1);
                pending.Enqueue(new PendingReply(client.SetAsync(arguments[1], arguments[2], new SetOptions(OnlyIfAbsent: true), connectionClosed), null, IsWrite: true, SetMeansOne: true));
                return true;
            case RespCommandKind.Setex:
            case RespCommandKind.Psetex:
                if (TryParseExpiry(arguments[2], kind == RespCommandKind.Setex ? 1000L : 1L, info.Name, out var ttlMs) is { } expiryError)
                {
                    await ReplyErrorAsync(expiryError);
                    return true;
                }

                await ReserveKeysAsync(arguments, 1, 1, 1);
                Enqueue(client.SetAsync(arguments[1], arguments[3], new SetOptions(ExpireAfterMs: ttlMs), connectionClosed), isWrite: true);
                return true;
            case RespCommandKind.Mget:
                await ReserveKeysAsync(arguments, 1, 1, arguments.Length - 1);
                pending.Enqueue(new PendingReply(null, client.GetManyAsync(new ArraySegment<byte[]>(arguments, 1, arguments.Length - 1), connectionClosed), IsWrite: false));
                return true;
            case RespCommandKind.Mset:
                await ExecuteMsetAsync(arguments);
                return true;
            case RespCommandKind.Incr:
                await ExecuteIncrementAsync(arguments, 1);
                return true;
            case RespCommandKind.Decr:
                await ExecuteIncrementAsync(arguments, -1);
                return true;
            case RespCommandKind.Incrby:
            case RespCommandKind.Decrby:
                if (!TryParseInteger(arguments[2], out var delta))
                {
                    await ReplyErrorAsync("ERR value is not an integer or out of range");
                    return true;
                }

                if (kind == RespCommandKind.Decrby && delta == long.MinValue)
                {
                    await ReplyErrorAsync("ERR decrement would overflow");
                    return true;
                }

                await ExecuteIncrementAsync(arguments, kind == RespCommandKind.Decrby ? -delta : delta);
                return true;
            case RespCommandKind.Dbsize:
                await DrainAsync();
                WriteKvReply(await AwaitReplyAsync(client.CountKeysAsync(connectionClosed), isWrite: false));
                return true;
            case RespCommandKind.Scan or RespCommandKind.Keys or RespCommandKind.Randomkey or RespCommandKind.Flushdb or RespCommandKind.Flushall:
                await ExecuteKeyspaceCommandAsync(kind, arguments);
                return true;
            default:
                await DrainAsync(); // connection commands see (and may change) the state after everything before them
                return await ExecuteConnectionCommandAsync(kind, arguments);
        }
    }

    /// <summary>Writes every pending reply in order; with <paramref name="flush"/> also flushes the output.</summary>
    public ValueTask DrainAsync(bool flush = false)
    {
        if (pending.Count == 0 && !flush)
        {
            keysInFlight.Clear();
            return ValueTask.CompletedTask;
        }

        return DrainSlowAsync(flush);
    }

    private async ValueTask DrainSlowAsync(bool flush)
    {
        while (pending.TryDequeue(out var next))
        {
            if (next.Single != null)
            {
                var reply = await AwaitReplyAsync(next.Single, next.IsWrite);
                if (next.SetMeansOne && reply is KvReply.OkReply or KvReply.Value) writer.WriteInteger(reply is KvReply.OkReply ? 1 : 0);
                else WriteKvReply(reply);
                await FlushIfLargeAsync();
                continue;
            }

            IReadOnlyList<KvReply> replies;
            try
            {
                replies = await next.Many!.WaitAsync(server.PendingFailed);
            }
            catch (OperationCanceledException) when (server.PendingFailed.IsCancellationRequested)
            {
                writer.WriteError(ShuttingDownReadReply);
                continue;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                writer.WriteError(ExceptionMessage(e));
                continue;
            }

            writer.WriteArrayHeader(replies.Count);
            foreach (var reply in replies) WriteKvReply(reply);
            await FlushIfLargeAsync();
        }

        keysInFlight.Clear();
        if (flush) await output.FlushAsync(connectionClosed);
    }

    private ValueTask FlushIfLargeAsync()
    {
        if (!output.CanGetUnflushedBytes || output.UnflushedBytes < FlushThresholdBytes) return ValueTask.CompletedTask;
        return FlushAsync();

        async ValueTask FlushAsync() => await output.FlushAsync(connectionClosed);
    }

    private async ValueTask ExecuteSetAsync(byte[][] arguments)
    {
        var error = TryParseSetOptions(arguments, out var options);
        if (error != null)
        {
            await ReplyErrorAsync(error);
            return;
        }

        await ReserveKeysAsync(arguments, 1, 1, 1);
        Enqueue(client.SetAsync(arguments[1], arguments[2], options, connectionClosed), isWrite: true);
    }

    private async ValueTask ExecuteMsetAsync(byte[][] arguments)
    {
        await ReserveKeysAsync(arguments, 1, 2, (arguments.Length - 1) / 2);
        var pairs = new KeyValuePair<byte[], byte[]>[(arguments.Length - 1) / 2];
        for (var i = 0; i < pairs.Length; i++) pairs[i] = new(arguments[1 + (2 * i)], arguments[2 + (2 * i)]);
        Enqueue(client.SetManyAsync(pairs, connectionClosed), isWrite: true);
    }

    private async ValueTask ExecuteIncrementAsync(byte[][] arguments, long delta)
    {
        await ReserveKeysAsync(arguments, 1, 1, 1);
        Enqueue(client.IncrementAsync(arguments[1], delta, connectionClosed), isWrite: true);
    }

    /// <summary>
    /// SET key value [NX|XX] [GET] [EX seconds|PX milliseconds]; null when valid, else the error reply. Read as Redis 7 reads it:
    /// EX/PX take the next argument whatever it is, may repeat (the last wins) but not mix, and the number is judged only
    /// once every option parsed, so a syntax error wins over a bad number.
    /// </summary>
    internal static string? TryParseSetOptions(byte[][] arguments, out SetOptions options)
    {
        options = default;
        byte[]? expiry = null;
        var expiryUnit = 0L; // 1000 for EX, 1 for PX, 0 while neither was given
        bool nx = false, xx = false, get = false;
        for (var i = 3; i < arguments.Length; i++)
        {
            var option = Encoding.ASCII.GetString(arguments[i]).ToUpperInvariant();
            var hasNext = i + 1 < arguments.Length;
            switch (option)
            {
                case "NX" when !xx: nx = true; break;
                case "XX" when !nx: xx = true; break;
                case "GET": get = true; break;
                case "EX" when expiryUnit != 1 && hasNext:
                    (expiryUnit, expiry) = (1000, arguments[++i]);
                    break;
                case "PX" when expiryUnit != 1000 && hasNext:
                    (expiryUnit, expiry) = (1, arguments[++i]);
                    break;
                default:
                    return "ERR syntax error";
            }
        }

        long? expireMs = null;
        if (expiry != null)
        {
            var error = TryParseExpiry(expiry, expiryUnit, "set", out var ms);
            if (error != null) return error;
            expireMs = ms;
        }

        options = new SetOptions(expireMs, nx, xx, get);
        return null;
    }

    /// <summary>
    /// A relative expiry in <paramref name="unit"/> ms (1000 = seconds); null when valid, else the error reply. As in Redis, it
    /// must be positive and, counted from now, still fit a signed 64-bit millisecond time.
    /// </summary>
    internal static string? TryParseExpiry(byte[] text, long unit, string command, out long milliseconds)
    {
        milliseconds = 0;
        if (!TryParseInteger(text, out var amount)) return "ERR value is not an integer or out of range";
        var invalid = $"ERR invalid expire time in '{command}' command";
        if (amount <= 0 || amount > long.MaxValue / unit) return invalid;
        milliseconds = amount * unit;
        return milliseconds > long.MaxValue - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() ? invalid : null;
    }

    /// <summary>Waits for the pending commands first when the pipeline is full or a key is still in flight, then claims the keys.</summary>
    private async ValueTask ReserveKeysAsync(byte[][] arguments, int first, int step, int count)
    {
        var end = first + (step * count);
        if (pending.Count >= server.Options.MaxPipelineDepth)
        {
            await DrainAsync(flush: true);
        }
        else if (pending.Count > 0)
        {
            for (var i = first; i < end; i += step)
            {
                if (keysInFlight.Contains(arguments[i]))
                {
                    await DrainAsync();
                    break;
                }
            }
        }

        for (var i = first; i < end; i += step) keysInFlight.Add(arguments[i]);
    }

    private void Enqueue(Task<KvReply> reply, bool isWrite) => pending.Enqueue(new PendingReply(reply, null, isWrite));

    private async ValueTask ReplyErrorAsync(string message)
    {
        await DrainAsync();
        writer.WriteError(message);
    }

    private async ValueTask<KvReply> AwaitReplyAsync(Task<KvReply> reply, bool isWrite)
    {
        try
        {
            return await reply.WaitAsync(server.PendingFailed);
        }
        catch (OperationCanceledException) when (server.PendingFailed.IsCancellationRequested)
        {
            // The server stops: a write already handed to the store may still be applied, a read changed nothing.
            return isWrite
                ? new KvReply.Error(KvErrorCode.OutcomeUnknown, "the server is shutting down")
                : new KvReply.Error(KvErrorCode.Unavailable, "the server is shutting down, try another node");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new KvReply.Error(KvErrorCode.InvalidRequest, ExceptionMessage(e)["ERR ".Length..]);
        }
    }

    private void WriteKvReply(KvReply reply)
    {
        switch (reply)
        {
            case KvReply.OkReply: writer.WriteOk(); break;
            case KvReply.Value value: writer.WriteBulk(value.Data); break;
            case KvReply.Integer integer: writer.WriteInteger(integer.Number); break;
            case KvReply.Error error: writer.WriteError(ErrorReplyText(error)); break;
            case KvReply.Array or KvReply.Status or KvReply.Double: WriteTypedReply(reply); break;
            default: throw new InvalidOperationException($"unknown KV reply {reply.GetType().Name}");
        }
    }

    /// <summary>The Redis-style error line of a typed KV error.</summary>
    internal static string ErrorReplyText(KvReply.Error error) => error.Code switch
    {
        KvErrorCode.Unavailable => "TRYAGAIN " + OrDefault(error.Message, "no region leader is available, try again later"),
        // Not TRYAGAIN: clients resend that one on their own (go-redis, redis-py cluster, StackExchange.Redis), and an INCR
        // resent after an unknown outcome may count twice.
        KvErrorCode.OutcomeUnknown => OutcomeUnknownReply + (string.IsNullOrWhiteSpace(error.Message) ? "" : $" ({error.Message})"),
        KvErrorCode.Busy => "BUSY " + OrDefault(error.Message, "server is busy, back off and retry"),
        KvErrorCode.NotAnInteger => "ERR value is not an integer or out of range",
        KvErrorCode.Overflow => "ERR increment or decrement would overflow",
        KvErrorCode.TooLarge => "ERR " + OrDefault(error.Message, "key or value too large"),
        KvErrorCode.CommandError => OrDefault(error.Message, "ERR command failed"),
        _ => "ERR " + OrDefault(error.Message, "invalid request"),
    };

    /// <summary>The error line of a write whose outcome is unknown; its prefix is one no common client retries by itself.</summary>
    internal const string OutcomeUnknownReply = "UNKNOWN the write may or may not have been applied; read before retrying";

    private static string OrDefault(string message, string fallback) => string.IsNullOrWhiteSpace(message) ? fallback : message;

    private static string ExceptionMessage(Exception e) => e is OperationCanceledException ? "ERR request cancelled" : "ERR internal error: " + e.Message;

    /// <summary>Redis's integer rule (string2ll): optional '-', then "0" or digits without a leading zero; no '+', spaces or "-0".</summary>
    internal static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > 20) return false;
        var digits = text[0] == (byte)'-' ? text[1..] : text;
        if (digits.IsEmpty || digits[0] is < (byte)'0' or > (byte)'9' || (digits[0] == (byte)'0' && text.Length > 1)) return false;
        return Utf8Parser.TryParse(text, out value, out var used) && used == text.Length;
    }

    private static string UnknownCommandMessage(byte[][] arguments)
    {
        var text = new StringBuilder("ERR unknown command '").Append(Shorten(arguments[0])).Append("', with args beginning with: ");
        for (var i = 1; i < arguments.Length && text.Length < 512; i++) text.Append('\'').Append(Shorten(arguments[i])).Append("' ");
        return text.ToString();
    }

    private static string Shorten(byte[] argument) => Encoding.UTF8.GetString(argument, 0, Math.Min(argument.Length, 128));

    /// <summary>The error line of a read the server gave up on because it stops.</summary>
    internal const string ShuttingDownReadReply = "TRYAGAIN the server is shutting down, try another node";

    /// <summary>A started command; <paramref name="IsWrite"/> picks the error if the server stops first; <paramref name="SetMeansOne"/> renders OK as :1 and nil as :0 (SETNX).</summary>
    private readonly record struct PendingReply(Task<KvReply>? Single, Task<IReadOnlyList<KvReply>>? Many, bool IsWrite, bool SetMeansOne = false);
}

/// <summary>Compares byte arrays by content (keys in flight).</summary>
internal sealed class ByteArrayContentComparer : IEqualityComparer<byte[]>
{
    public static ByteArrayContentComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => x == null ? y == null : y != null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
