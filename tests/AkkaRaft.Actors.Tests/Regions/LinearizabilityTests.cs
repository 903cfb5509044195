using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AkkaRaft.Actors.Kv;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;
using AkkaRaft.TestKit.Linearizability;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class LinearizabilityTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public LinearizabilityTests(ITestOutputHelper output) : base(output: output) => _output = output;

    private static readonly string[] Keys = ["a", "b", "x"];

    [Fact]
    public async Task Concurrent_set_get_incr_through_routers_on_every_node_stay_linearizable_across_a_leader_partition()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("warmup"), K("0")));
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");

        var history = new ConcurrentQueue<RegisterOp>();
        var completed = 0;
        var thresholds = new[] { 60, 160, 240 }.Select(n => (Count: n, Reached: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))).ToList();
        using var stop = new CancellationTokenSource();

        async Task RunClient(int client, IKvClient kv)
        {
            var random = new Random(seed + client);
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                await RegisterClient.StepAsync(kv, client, seq, Keys, random, history, _output);
                var count = Interlocked.Increment(ref completed);
                foreach (var threshold in thresholds.Where(t => count >= t.Count)) threshold.Reached.TrySetResult();
            }
        }

        var clients = new ulong[] { 1, 2, 3, 1, 2 }.Select((node, i) => RunClient(i + 1, cluster.Node(node).Client)).ToList();
        var all = Task.WhenAll(clients);

        await thresholds[0].Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var regionOfA = (await cluster.HostedRegionsAsync(1)).Single(r => r.Contains(K("a"))).Id;
        var isolated = await cluster.LeaderNodeAsync(regionOfA);
        _output.WriteLine($"isolating node {isolated}, leader of region {regionOfA}, after {completed} operations");
        await cluster.Nodes.Partition((int)isolated - 1);

        await thresholds[1].Reached.Task.WaitAsync(TimeSpan.FromSeconds(90));
        _output.WriteLine($"healing after {completed} operations");
        await cluster.Nodes.HealAll();

        await thresholds[2].Reached.Task.WaitAsync(TimeSpan.FromSeconds(90));
        stop.Cancel();
        await all.WaitAsync(TimeSpan.FromSeconds(60));

        var ops = history.ToList();
        _output.WriteLine($"{ops.Count} operations recorded, {ops.Count(o => o.IsUnknown)} with unknown outcome");
        Assert.True(ops.Count(o => !o.IsUnknown) >= 200, $"only {ops.Count} operations succeeded");
        var violation = RegisterLinearizabilityChecker.Check(ops);
        Assert.True(violation is null, $"seed {seed}: {violation}");
    }
}
