using System.Collections.Immutable;
using System.Text;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>
/// Runs Redis commands (split on spaces) against one state machine spanning every key, through the real codec: the
/// dedicated records for GET/SET/DEL/EXISTS/INCR/INCRBY, the generic Redis read/write command for the rest. Replies are
/// rendered in the transcripts' notation: <c>:1</c>, <c>"bulk"</c>, <c>nil</c>, <c>+status</c>, <c>!error</c>, <c>[a, b]</c>, <c>nil-array</c>.
/// </summary>
internal sealed class RedisTranscript
{
    public RedisTranscript(long nowMs = 1_000_000) => NowMs = nowMs;

    public KvHarness Harness { get; } = new(R(1, "", ""));

    public long NowMs { get; set; }

    public KvResult Run(string line) => Run(line.Split(' '));

    public KvResult Run(params string[] words)
    {
        var args = words.Select(Encoding.UTF8.GetBytes).ToImmutableArray();
        var verb = words[0].ToUpperInvariant();
        var epoch = KvHarness.Epoch;
        return verb switch
        {
            "GET" => Harness.Machine.Read(new GetCommand(1, epoch, args[1]), NowMs),
            "SET" => Harness.Apply(new SetCommand(1, epoch, NowMs, args[1], args[2], GetOld: words.Length > 3 && words[3].Equals("GET", StringComparison.OrdinalIgnoreCase))),
            "DEL" => Harness.Apply(new DeleteCommand(1, epoch, NowMs, [.. args.Skip(1)])),
            "EXISTS" => Harness.Machine.Read(new ExistsCommand(1, epoch, [.. args.Skip(1)]), NowMs),
            "INCR" => Harness.Apply(new IncrByCommand(1, epoch, NowMs, args[1], 1)),
            "INCRBY" => Harness.Apply(new IncrByCommand(1, epoch, NowMs, args[1], long.Parse(words[2], System.Globalization.CultureInfo.InvariantCulture))),
            _ when RedisCommandTable.Find(args[0]) is { IsWrite: true } => Harness.Apply(new RedisWriteCommand(1, epoch, NowMs, args)),
            _ => Harness.Machine.Read(new RedisReadCommand(1, epoch, args), NowMs),
        };
    }

    /// <summary>The transcript notation of a reply; <paramref name="sorted"/> sorts an array's elements (unordered replies).</summary>
    public static string Render(KvResult result, bool sorted = false) => result switch
    {
        KvResult.OkResult => "+OK",
        KvResult.StatusResult status => "+" + status.Text,
        KvResult.ValueResult { Data: null } => "nil",
        KvResult.ValueResult value => "\"" + Encoding.Latin1.GetString(value.Data) + "\"",
        KvResult.DoubleResult number => "\"" + RedisText.Double(number.Value) + "\"",
        KvResult.IntegerResult integer => ":" + integer.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        KvResult.ErrorResult error => "!" + error.Message,
        KvResult.NotAnInteger => "!ERR value is not an integer or out of range",
        KvResult.Overflow => "!ERR increment or decrement would overflow",
        KvResult.ArrayResult { Items: null } => "nil-array",
        KvResult.ArrayResult array => "[" + string.Join(", ", sorted
            ? array.Items.Select(i => Render(i, sorted)).Order(StringComparer.Ordinal)
            : array.Items.Select(i => Render(i))) + "]",
        _ => "?" + result,
    };
}
