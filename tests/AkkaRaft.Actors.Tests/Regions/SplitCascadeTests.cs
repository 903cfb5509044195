using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;
using static AkkaRaft.Actors.Tests.Regions.SplitSteps;
using AkkaRaft.TestKit.Linearizability;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>Many splits: a size-driven cascade to 16+ regions, and a linearizable history across splits.</summary>
public sealed class SplitCascadeTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Continuous_writes_over_a_small_split_size_cascade_to_sixteen_regions_keeping_every_key_and_one_agreed_layout()
    {
        var small = ConfigurationFactory.ParseString("akka-raft.region { split-size = 4096, split-check-interval = 100ms }");
        await using var cluster = await StartAsync(small);
        var padding = new string('x', 120);
        // Keys spread over the whole alphabet, so every region keeps growing and splitting.
        await using var writers = new AcknowledgedWriters(cluster, 6, [1, 2, 3], (w, i) => $"{(char)('a' + ((i * 7) + (w * 3)) % 26)}{w}-{i:D5}", padding);

        var watch = Stopwatch.StartNew();
        await AwaitAssertAsync(async () =>
        {
            var regions = await this.PlacementRegionsAsync(cluster.Node(1).Placement);
            Assert.True(regions.Length >= 16, $"{regions.Length} regions after {writers.Acknowledged.Count} writes");
        }, TimeSpan.FromSeconds(150), TimeSpan.FromMilliseconds(500));
        await writers.StopAsync();
        _output.WriteLine($"16 regions after {watch.Elapsed.TotalSeconds:F1} s, {writers.Acknowledged.Count} acknowledged writes, {writers.Failures.Count} failed");
        foreach (var failure in writers.Failures.Take(10)) _output.WriteLine(failure);

        var layout = await this.AgreedLayoutAsync(cluster);
        _output.WriteLine(Describe(layout));
        Assert.True(layout.Length >= 16, $"only {layout.Length} regions");
        writers.AssertNoFailures();
        await AssertReadableAsync(cluster.Node(2).Client, writers.Acknowledged);
        // Every region holds data and serves a new write through a router.
        foreach (var region in layout.Where(r => r.StartKey.Length > 0))
            AssertOk(await cluster.Node(3).Client.SetAsync(region.StartKey, K("edge")));
    }

    [Fact]
    public async Task Concurrent_set_get_incr_on_keys_that_splits_separate_stay_linearizable()
    {
        await using var cluster = await StartAsync();
        string[] keys = ["l1", "l5", "l9"];
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var region = await cluster.RegionOfAsync("l1");
        Assert.All(keys, key => Assert.True(region.Contains(K(key))));

        var history = new ConcurrentQueue<RegisterOp>();
        var completed = 0;
        var thresholds = new[] { 60, 140, 240 }.Select(n => (Count: n, Reached: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))).ToList();
        using var stop = new CancellationTokenSource();

        async Task RunClient(int client, Func<IKvClient> kv)
        {
            var random = new Random(seed + client);
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                await RegisterClient.StepAsync(kv(), client, seq, keys, random, history, _output);
                var count = Interlocked.Increment(ref completed);
                foreach (var threshold in thresholds.Where(t => count >= t.Count)) threshold.Reached.TrySetResult();
            }
        }

        var clients = new ulong[] { 1, 2, 3, 1, 2 }.Select((node, i) => RunClient(i + 1, () => cluster.Node(node).Client)).ToList();
        var all = Task.WhenAll(clients);

        await thresholds[0].Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var first = await this.SplitAsync(cluster, 2, region.Id, "l5");
        Assert.True(first.IsOk, first.Detail);
        _output.WriteLine($"split at l5 done after {completed} operations: {first.Detail}");
        await thresholds[1].Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var right = first.Regions[1].ToRegion();
        var second = await this.SplitAsync(cluster, 3, right.Id, "l9");
        Assert.True(second.IsOk, second.Detail);
        _output.WriteLine($"split at l9 done after {completed} operations: {second.Detail}");
        await thresholds[2].Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await all.WaitAsync(TimeSpan.FromSeconds(60));

        var layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(3, keys.Select(key => layout.Single(r => r.Contains(K(key))).Id).Distinct().Count());
        var ops = history.ToList();
        _output.WriteLine($"{ops.Count} operations recorded, {ops.Count(o => o.IsUnknown)} with unknown outcome");
        Assert.True(ops.Count(o => !o.IsUnknown) >= 200, $"only {ops.Count} operations succeeded");
        var violation = RegisterLinearizabilityChecker.Check(ops);
        Assert.True(violation is null, $"seed {seed}: {violation}");
    }
}
