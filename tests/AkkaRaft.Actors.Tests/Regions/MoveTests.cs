using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class MoveTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Scheduler on a short interval, balancing off: only the test moves replicas.</summary>
    private static readonly Config ManualOnly = ConfigurationFactory.ParseString("akka-raft.scheduler { interval = 200ms, balance = off, catch-up-distance = 10 }");

    [Fact]
    public async Task Moving_a_replica_to_a_new_store_under_continuous_writes_neither_fails_nor_loses_a_write()
    {
        await using var cluster = await StartWithFourthStoreAsync();
        var region = await RegionOfAsync(cluster, "a");
        Assert.DoesNotContain(region.Peers, p => p.StoreId == 4);

        using var writers = new Writers(cluster, "a", 4);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 20), Patience);

        var reply = await MoveAsync(cluster, 2, new MoveRegion(region.Id, 1, 4));
        Assert.True(reply.Accepted, reply.Detail);
        await AwaitAssertAsync(async () =>
        {
            var placed = await RegionOfAsync(cluster, "a");
            var operators = await OperatorsAsync(cluster, 3);
            Assert.True(placed.Peers.Any(p => p.StoreId == 4 && p.Role == PeerRole.Voter),
                $"{placed} peers [{string.Join(", ", placed.Peers)}], operators: {string.Join("; ", operators.Running.Concat(operators.Recent))}");
            Assert.DoesNotContain(placed.Peers, p => p.StoreId == 1);
            Assert.Equal(3, placed.Peers.Length);
        }, Patience);
        await AwaitAssertAsync(async () =>
            Assert.Contains((await OperatorsAsync(cluster, 3)).Recent, o => o.Id == reply.OperatorId && o.State == OperatorState.Done), Patience);
        await AwaitAssertAsync(async () =>
        {
            Assert.DoesNotContain(await cluster.HostedRegionsAsync(1), r => r.Id == region.Id);
            Assert.Contains(await cluster.HostedRegionsAsync(4), r => r.Id == region.Id);
        }, Patience);
        var writesDuringMove = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= writesDuringMove + 20), Patience);

        await writers.StopAsync();
        Assert.True(writers.Failures.IsEmpty, string.Join("\n", writers.Failures));
        foreach (var (key, value) in writers.Acknowledged)
            Assert.Equal(value, ValueOf(await cluster.Node(3).Client.GetAsync(K(key))));
        // The moved-in replica holds the data itself: ask it after making it the leader.
        var moved = await RegionOfAsync(cluster, "a");
        var leaderStore = await cluster.LeaderNodeAsync(region.Id);
        if (leaderStore != 4)
        {
            var transfer = await cluster.Node(2).Store.Ask<TransferRegionLeaderReply>(new TransferRegionLeader(leaderStore, moved.Id, 4), TimeSpan.FromSeconds(10));
            Assert.True(transfer.Ok, transfer.Detail);
            await AwaitAssertAsync(async () => Assert.Equal(4UL, await cluster.LeaderNodeAsync(region.Id)), Patience);
        }
        foreach (var (key, value) in writers.Acknowledged.Take(50))
            Assert.Equal(value, Text(await cluster.ReadInGroupAsync(region.Id, K(key))));
    }

    [Fact]
    public async Task Bad_move_requests_get_clear_errors_and_change_nothing()
    {
        await using var cluster = await StartWithFourthStoreAsync();
        var region = await RegionOfAsync(cluster, "a");
        // Store 4 is unknown to the scheduler until placement recorded its first heartbeat.
        await AwaitAssertAsync(async () => Assert.Contains((await OperatorsAsync(cluster, 1)).Stores, s => s.StoreId == 4), Patience);

        Assert.Contains("does not exist", (await MoveAsync(cluster, 1, new MoveRegion(999, 1, 4))).Detail);
        Assert.Contains("store 9 is unknown", (await MoveAsync(cluster, 1, new MoveRegion(region.Id, 1, 9))).Detail);
        Assert.Contains("already holds a replica", (await MoveAsync(cluster, 1, new MoveRegion(region.Id, 1, 2))).Detail);
        Assert.Contains("holds no replica", (await MoveAsync(cluster, 1, new MoveRegion(region.Id, 4, 1))).Detail);

        Assert.Equal(region, await RegionOfAsync(cluster, "a"));
        var operators = await OperatorsAsync(cluster, 4);
        Assert.Empty(operators.Running);
        Assert.Empty(operators.Recent);
    }

    /// <summary>Nodes 1..3 initial, node 4 a new store; returns once the scheduler knows store 4.</summary>
    private async Task<KvCluster> StartWithFourthStoreAsync()
    {
        var cluster = await StartAsync(ManualOnly, nodeCount: 4);
        await AwaitAssertAsync(async () => Assert.Contains((await OperatorsAsync(cluster, 1)).Stores, s => s.StoreId == 4), Patience);
        return cluster;
    }

    private async Task<OperatorReply> MoveAsync(KvCluster cluster, ulong viaNode, MoveRegion move)
    {
        OperatorReply reply = new(OperatorReplyStatus.Refused, 0, "not tried");
        // The scheduler answers "not active / no layout yet" until placement has a leader and it has read the layout once.
        await AwaitAssertAsync(async () =>
        {
            reply = await cluster.Node(viaNode).Scheduler.Ask<OperatorReply>(move, TimeSpan.FromSeconds(10));
            Assert.False(reply.NotReady, reply.Detail);
        }, Patience);
        return reply;
    }

    internal static Task<OperatorsReply> OperatorsAsync(KvCluster cluster, ulong viaNode) =>
        cluster.Node(viaNode).Scheduler.Ask<OperatorsReply>(new GetOperators(), TimeSpan.FromSeconds(10));

    internal static async Task<Region> RegionOfAsync(KvCluster cluster, string key)
    {
        var reply = await cluster.Node(1).Placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.ByKey, K(key), 0), TimeSpan.FromSeconds(10));
        Assert.Equal(PlacementLookupStatus.Ok, reply.Status);
        return reply.Regions[0].ToRegion();
    }

    private static string? Text(byte[]? value) => value is null ? null : System.Text.Encoding.UTF8.GetString(value);

    /// <summary>Closed-loop writers of unique keys under a prefix; every acknowledged key and every failure is kept.</summary>
    internal sealed class Writers : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task[] _tasks;

        public Writers(KvCluster cluster, string prefix, int count)
        {
            _tasks = [.. Enumerable.Range(0, count).Select(w => Task.Run(async () =>
            {
                var client = cluster.Kv[w % cluster.Kv.Count].Client;
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    var key = $"{prefix}-{w}-{i:D6}";
                    var reply = await client.SetAsync(K(key), K($"v{i}"));
                    if (reply is KvReply.OkReply) Acknowledged[key] = $"v{i}";
                    else Failures.Add($"{key}: {reply}");
                }
            }))];
        }

        public ConcurrentDictionary<string, string> Acknowledged { get; } = new();

        public ConcurrentBag<string> Failures { get; } = [];

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_tasks);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
