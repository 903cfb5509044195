using System.Diagnostics;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// Differential tests: the same seeded random command stream goes to a real redis-server and to the embedded akkaraft
/// host, and every reply must be the same bytes (but for <see cref="KnownDifferences"/>). A failure names the seed and lane;
/// running the test of that seed replays the lane's stream exactly (each seed has keys of its own). Every fourth lane speaks
/// RESP3 (HELLO 3), the others RESP2. The four seeds of
/// <see cref="EveryTypeAnswersLikeRedis"/> send 4 × <see cref="Lanes"/> × <see cref="CommandsPerLane"/> = 100,032 commands;
/// measured on the 2-core dev box (Debug build): 9–23 s per seed, about 56 s for all four with the host's start.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class RedisDifferentialTests(DifferentialFixture fixture, ITestOutputHelper output) : IClassFixture<DifferentialFixture>
{
    /// <summary>Connections per seed, each with its own keys, run side by side.</summary>
    public const int Lanes = 16;

    /// <summary>Commands per lane; a seed sends <see cref="Lanes"/> × this many.</summary>
    public const int CommandsPerLane = 1_563;

    /// <summary>Commands sent before the replies are read.</summary>
    public const int PipelineDepth = 32;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task EveryTypeAnswersLikeRedis(int seed)
    {
        var watch = Stopwatch.StartNew();
        var failures = await Task.WhenAll(Enumerable.Range(0, Lanes).Select(lane => RunLaneAsync(seed, lane, new CommandGenerator(seed, lane, wholeKeyspace: false), CommandsPerLane)));
        output.WriteLine($"seed {seed}: {Lanes} lanes × {CommandsPerLane} commands against redis-server {fixture.Redis.Version} in {watch.Elapsed.TotalSeconds:F1} s");
        var failed = failures.OfType<string>().ToList();
        Assert.True(failed.Count == 0, string.Join("\n\n", failed));
    }

    private int fullScans;
    private long fullScanKeys;

    /// <summary>Commands of the whole-keyspace stream (one lane: DBSIZE, KEYS, SCAN, RANDOMKEY and FLUSHDB see every key).</summary>
    public const int WholeKeyspaceCommands = 5_000;

    [Theory]
    [InlineData(101)]
    public async Task WholeKeyspaceCommandsAnswerLikeRedis(int seed)
    {
        var watch = Stopwatch.StartNew();
        await using (var redis = await RespWire.ConnectAsync(fixture.Redis.Port))
        await using (var host = await RespWire.ConnectAsync(fixture.Host.RespPort))
        {
            Assert.Equal("+OK\r\n", System.Text.Encoding.ASCII.GetString(await redis.CommandAsync("FLUSHALL")));
            Assert.Equal("+OK\r\n", System.Text.Encoding.ASCII.GetString(await host.CommandAsync("FLUSHALL")));
        }

        var failure = await RunLaneAsync(seed, 0, new CommandGenerator(seed, 0, wholeKeyspace: true), WholeKeyspaceCommands);
        output.WriteLine($"seed {seed}: {WholeKeyspaceCommands} whole-keyspace commands and {fullScans} full SCANs ({fullScanKeys} keys) against redis-server {fixture.Redis.Version} in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(failure is null, failure);
        Assert.True(fullScans > 0 && fullScanKeys > 0, "the stream compared no SCAN that found keys");
    }

    /// <summary>Every key a full SCAN iteration returns (a key returned twice counts twice), sorted; or the error line.</summary>
    private static async Task<string> FullScanAsync(RespWire wire, string[] options)
    {
        var keys = new List<string>();
        var cursor = "0";
        for (var pages = 0; pages < 100_000; pages++)
        {
            var reply = await wire.CommandAsync(["SCAN", cursor, .. options]);
            if (reply[0] == (byte)'-') return RespWire.Show(reply);
            var (next, page) = ScanReply(reply);
            keys.AddRange(page);
            cursor = next;
            if (cursor == "0") return string.Join(" ", keys.Order(StringComparer.Ordinal));
        }

        return "SCAN did not finish within 100000 pages";
    }

    /// <summary>The cursor and the keys (as escaped text) of one SCAN reply.</summary>
    private static (string Cursor, List<string> Keys) ScanReply(byte[] reply)
    {
        var text = System.Text.Encoding.Latin1.GetString(reply);
        var lines = new List<string>();
        var position = 0;
        while (position < text.Length)
        {
            var end = text.IndexOf("\r\n", position, StringComparison.Ordinal);
            var line = text[position..end];
            position = end + 2;
            if (line[0] == '$')
            {
                var length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                lines.Add(text.Substring(position, length));
                position += length + 2;
            }
        }

        return (lines[0], [.. lines.Skip(1).Select(k => RespWire.Show(System.Text.Encoding.Latin1.GetBytes(k)))]);
    }

    /// <summary>Runs one lane; null when every reply matched, else what differed first and the commands before it.</summary>
    private async Task<string?> RunLaneAsync(int seed, int lane, CommandGenerator generator, int count)
    {
        await using var redis = await RespWire.ConnectAsync(fixture.Redis.Port);
        await using var host = await RespWire.ConnectAsync(fixture.Host.RespPort);
        var history = new Queue<string>();
        if (lane % 4 == 3)
        {
            // Every fourth lane speaks RESP3 (maps, sets, doubles); HELLO's own answer names the server, so it is not compared.
            await redis.CommandAsync("HELLO", "3");
            await host.CommandAsync("HELLO", "3");
            history.Enqueue("HELLO 3 (RESP3 from here on)");
        }

        var explained = 0;
        for (var sent = 0; sent < count;)
        {
            var batch = new List<byte[][]>();
            while (batch.Count < PipelineDepth && sent + batch.Count < count) batch.Add(generator.Next());
            var replies = await Task.WhenAll(redis.PipelineAsync(batch), host.PipelineAsync(batch));
            for (var i = 0; i < batch.Count; i++)
            {
                var (expected, actual) = (KnownDifferences.Normalize(batch[i], replies[0][i]), KnownDifferences.Normalize(batch[i], replies[1][i]));
                var line = $"#{sent + i} {CommandGenerator.Show(batch[i])} → redis {RespWire.Show(expected)} | host {RespWire.Show(actual)}";
                if (!expected.AsSpan().SequenceEqual(actual))
                {
                    if (KnownDifferences.Explain(batch[i], expected, actual) is null)
                    {
                        return $"seed {seed} lane {lane}: command #{sent + i} answered differently\n  command: {CommandGenerator.Show(batch[i])}\n" +
                            $"  redis:   {RespWire.Show(expected)}\n  host:    {RespWire.Show(actual)}\n  before it:\n    {string.Join("\n    ", history)}";
                    }

                    explained++;
                }

                history.Enqueue(line);
                if (history.Count > 12) history.Dequeue();
            }

            sent += batch.Count;
            if (generator.NextFullScan() is { } scan)
            {
                var (expected, actual) = (await FullScanAsync(redis, scan), await FullScanAsync(host, scan));
                if (expected != actual)
                {
                    return $"seed {seed} lane {lane}: a full SCAN {string.Join(' ', scan)} after command #{sent - 1} found other keys\n  redis: {expected}\n" +
                        $"  host:  {actual}\n  before it:\n    {string.Join("\n    ", history)}";
                }

                var found = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                Interlocked.Increment(ref fullScans);
                Interlocked.Add(ref fullScanKeys, found);
                history.Enqueue($"(full SCAN {string.Join(' ', scan)} → {found} keys on both)");
                if (history.Count > 12) history.Dequeue();
            }
        }

        if (explained > 0) output.WriteLine($"seed {seed} lane {lane}: {explained} known differences");
        return null;
    }
}
