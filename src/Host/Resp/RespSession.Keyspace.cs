using System.Text;
using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Resp;

/// <summary>
/// Keyspace-wide commands: SCAN, KEYS, RANDOMKEY, FLUSHDB and FLUSHALL. Each waits for the connection's earlier commands,
/// then walks the regions in key order through <see cref="IKvClient.ScanRegionAsync"/> (a linearizable read per region).
/// </summary>
internal sealed partial class RespSession
{
    /// <summary>Keys SCAN visits per call when COUNT is not given (as Redis).</summary>
    private const int DefaultScanCount = 10;

    /// <summary>Regions one SCAN call asks at most while COUNT is not reached (bounds one call's work when regions hold few keys).</summary>
    private const int MaxRegionsPerScanCall = 16;

    /// <summary>Most keys KEYS answers; past it KEYS is refused (use SCAN), so one command cannot build an unbounded reply.</summary>
    internal const int MaxKeysReply = 1_000_000;

    /// <summary>Keys asked of a region per step of KEYS.</summary>
    private const int KeysPageSize = 1_000;

    /// <summary>The error of FLUSHDB/FLUSHALL while the setting that allows them is off.</summary>
    internal static string FlushDisabledError(string command) =>
        $"ERR {command} is disabled on this server: set akka-raft.host.allow-flush = on to allow it";

    private async ValueTask ExecuteKeyspaceCommandAsync(RespCommandKind kind, byte[][] arguments)
    {
        await DrainAsync(); // keyspace commands see every earlier command of this connection applied
        switch (kind)
        {
            case RespCommandKind.Scan:
                await ExecuteScanAsync(arguments);
                break;
            case RespCommandKind.Keys:
                await ExecuteKeysAsync(arguments[1]);
                break;
            case RespCommandKind.Randomkey:
                WriteKvReply(await AwaitReplyAsync(client.RandomKeyAsync(connectionClosed), isWrite: false));
                break;
            case RespCommandKind.Flushdb:
            case RespCommandKind.Flushall:
                await ExecuteFlushAsync(RespCommandTable.Describe(kind).Name.ToUpperInvariant(), arguments);
                break;
            default:
                throw new InvalidOperationException($"{kind} is not a keyspace command");
        }
    }

    /// <summary>SCAN cursor [MATCH pattern] [COUNT n] [TYPE t], read as Redis 7 reads it.</summary>
    private async ValueTask ExecuteScanAsync(byte[][] arguments)
    {
        if (!ulong.TryParse(Encoding.ASCII.GetString(arguments[1]), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var cursor))
        {
            writer.WriteError("ERR invalid cursor");
            return;
        }

        byte[]? pattern = null;
        string? type = null;
        long count = DefaultScanCount;
        for (var i = 2; i < arguments.Length; i += 2)
        {
            var option = Encoding.ASCII.GetString(arguments[i]).ToUpperInvariant();
            if (i + 1 >= arguments.Length)
            {
                writer.WriteError("ERR syntax error");
                return;
            }

            switch (option)
            {
                case "COUNT":
                    if (!TryParseInteger(arguments[i + 1], out count))
                    {
                        writer.WriteError("ERR value is not an integer or out of range");
                        return;
                    }

                    if (count < 1)
                    {
                        writer.WriteError("ERR syntax error");
                        return;
                    }

                    break;
                case "MATCH":
                    pattern = arguments[i + 1];
                    break;
                case "TYPE":
                    type = Encoding.UTF8.GetString(arguments[i + 1]);
                    break;
                default:
                    writer.WriteError("ERR syntax error");
                    return;
            }
        }

        if (pattern is { Length: > GlobPattern.MaxLength })
        {
            writer.WriteError(GlobPattern.TooLongError(pattern.Length));
            return;
        }

        if (cursor > long.MaxValue || server.ScanCursors.Find((long)cursor) is not { } start)
        {
            writer.WriteError("ERR invalid or expired cursor (a cursor is valid on the server that gave it, for its last 100000 cursors)");
            return;
        }

        var budget = (int)Math.Min(count, Core.Kv.KvStateMachine.MaxScanLimit);
        var found = new List<byte[]>();
        byte[]? next = start;
        for (var regions = 0; next is not null && found.Count < budget && regions < MaxRegionsPerScanCall; regions++)
        {
            var page = await client.ScanRegionAsync(next, budget - found.Count, type, 0, connectionClosed);
            if (page.Error is { } error)
            {
                writer.WriteError(ErrorReplyText(error));
                return;
            }

            found.AddRange(page.Keys);
            next = page.NextStartKey;
        }

        var matching = MatchesAll(pattern) ? found : found.Where(k => GlobPattern.Matches(pattern, k)).ToList();
        writer.WriteArrayHeader(2);
        writer.WriteBulk(Encoding.ASCII.GetBytes((next is null ? 0 : server.ScanCursors.Remember(next)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        writer.WriteArrayHeader(matching.Count);
        foreach (var key in matching) writer.WriteBulk(key);
    }

    /// <summary>KEYS pattern: every region in key order, from the pattern's literal prefix on when it has one.</summary>
    private async ValueTask ExecuteKeysAsync(byte[] pattern)
    {
        if (pattern.Length > GlobPattern.MaxLength)
        {
            writer.WriteError(GlobPattern.TooLongError(pattern.Length));
            return;
        }

        var prefix = LiteralPrefix(pattern);
        var matchesAll = MatchesAll(pattern);
        var found = new List<byte[]>();
        for (byte[]? next = prefix; next is not null;)
        {
            var page = await client.ScanRegionAsync(next, KeysPageSize, null, 0, connectionClosed);
            if (page.Error is { } error)
            {
                writer.WriteError(ErrorReplyText(error));
                return;
            }

            foreach (var key in page.Keys)
            {
                if (!key.AsSpan().StartsWith(prefix))
                {
                    next = null; // past the prefix: no later key can match
                    break;
                }

                if (!matchesAll && !GlobPattern.Matches(pattern, key)) continue;
                if (found.Count == MaxKeysReply)
                {
                    writer.WriteError($"ERR KEYS matched more than {MaxKeysReply} keys; use SCAN to page through them");
                    return;
                }

                found.Add(key);
            }

            if (next is not null) next = page.NextStartKey;
        }

        writer.WriteArrayHeader(found.Count);
        foreach (var key in found) writer.WriteBulk(key);
    }

    /// <summary>As Redis: no pattern, or exactly "*", takes every key, the empty key too (which the glob "*" alone would not match).</summary>
    private static bool MatchesAll(byte[]? pattern) => pattern is null || (pattern.Length == 1 && pattern[0] == (byte)'*');

    /// <summary>The bytes every key matching <paramref name="pattern"/> starts with: its text before the first *, ?, [ or \.</summary>
    internal static byte[] LiteralPrefix(byte[] pattern)
    {
        var special = pattern.AsSpan().IndexOfAny("*?[\\"u8);
        return special < 0 ? pattern : pattern[..special];
    }

    /// <summary>FLUSHDB/FLUSHALL [ASYNC|SYNC]: refused unless akka-raft.host.allow-flush is on; removal is never deferred, so both modes flush at once.</summary>
    private async ValueTask ExecuteFlushAsync(string name, byte[][] arguments)
    {
        if (arguments.Length > 2 || (arguments.Length == 2 && Encoding.ASCII.GetString(arguments[1]).ToUpperInvariant() is not ("ASYNC" or "SYNC")))
        {
            writer.WriteError("ERR syntax error");
            return;
        }

        if (!server.Options.AllowFlush)
        {
            writer.WriteError(FlushDisabledError(name));
            return;
        }

        WriteKvReply(await AwaitReplyAsync(client.FlushAllAsync(connectionClosed), isWrite: true));
    }
}
