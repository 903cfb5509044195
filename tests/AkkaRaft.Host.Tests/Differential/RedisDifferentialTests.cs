using System.Diagnostics;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// Differential tests: the same seeded random command stream goes to a real redis-server and to the embedded akkaraft
/// host, and every reply must be the same bytes (but for <see cref="KnownDifferences"/>). A failure names the seed and lane;
/// running the test of that seed replays the lane's stream exactly (each seed has keys of its own).
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

    /// <summary>Runs one lane; null when every reply matched, else what differed first and the commands before it.</summary>
    private async Task<string?> RunLaneAsync(int seed, int lane, CommandGenerator generator, int count)
    {
        await using var redis = await RespWire.ConnectAsync(fixture.Redis.Port);
        await using var host = await RespWire.ConnectAsync(fixture.Host.RespPort);
        var history = new Queue<string>();
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
        }

        if (explained > 0) output.WriteLine($"seed {seed} lane {lane}: {explained} known differences");
        return null;
    }
}
