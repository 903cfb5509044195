using Akka.Actor;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.MoveSteps;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>The scheduler on its own: a lost store repaired, a new store filled by balancing, a store decommissioned.</summary>
public sealed class RepairAndScaleOutTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;

    /// <summary>Eight regions, so balancing a fourth store moves several replicas and leaders.</summary>
    private const string EightRegions = """akka-raft.region.initial-split-keys = ["c", "f", "i", "m", "p", "s", "v"]""";

    private static readonly ulong[] AllNodes = [1, 2, 3, 4];

    [Fact]
    public async Task A_store_down_for_store_down_after_has_every_replica_rebuilt_on_live_stores_with_its_data()
    {
        await using var cluster = await KvCluster.StartAsync(SchedulerConfig("akka-raft.scheduler.store-down-after = 3s"), nodeCount: 4);
        var preloaded = await PreloadAsync(cluster, "a", 20, 16);
        foreach (var (key, value) in await PreloadAsync(cluster, "z", 20, 16)) preloaded[key] = value;
        await using var writers = new AcknowledgedWriters(cluster, 4, [1, 2, 4], (w, i) => $"{(w % 2 == 0 ? "a" : "z")}w{w}-{i:D5}", padding: "");
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        await cluster.Nodes[2].Terminate();
        _output.WriteLine("node 3 stopped");
        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 4]);
        _output.WriteLine(DescribePeers(layout));
        Assert.All(layout, r => Assert.Contains(r.Peers, p => p.StoreId == 4));
        // (The last step, destroying the source replica, may still wait for the dead store's answer.)
        await AwaitAssertAsync(async () =>
        {
            var recent = await RecentOperatorsAsync(cluster, [1, 2, 4]);
            Assert.True(layout.Length == recent.Count(o => o is { Kind: OperatorKind.Repair, FromStore: 3, ToStore: 4, State: OperatorState.Done }), string.Join("; ", recent));
        }, Patience);
        var operators = await this.OperatorsAsync(cluster, 1);
        Assert.Contains(operators.Stores, s => s.StoreId == 3 && s.Down);

        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 20), Patience);
        await writers.StopAsync();
        foreach (var failure in writers.Failures) _output.WriteLine($"failed (not acknowledged): {failure}");
        await SplitSteps.AssertReadableAsync(cluster.Node(4).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task A_fourth_store_with_balancing_on_receives_its_share_of_replicas_and_leaders_and_every_write_succeeds()
    {
        await using var cluster = await KvCluster.StartAsync(SchedulerConfig($"akka-raft.scheduler.balance = on\n{EightRegions}"), nodeCount: 4);
        var preloaded = await PreloadAsync(cluster, "", 64, 16);
        await using var writers = new AcknowledgedWriters(cluster, 4, AllNodes, (w, i) => $"{(char)('a' + ((i * 4) + w) % 26)}w{w}-{i:D5}", padding: "");
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        OperatorsReply operators = null!;
        await AwaitAssertAsync(async () =>
        {
            operators = await this.OperatorsAsync(cluster, 1);
            var replicas = operators.Stores.Select(s => s.Replicas).ToList();
            var leaders = operators.Stores.Select(s => s.Leaders).ToList();
            var view = string.Join("; ", operators.Stores.Select(s => $"store {s.StoreId}: {s.Replicas} replicas, {s.Leaders} leaders"));
            Assert.True(operators.Stores.Length == 4 && replicas.Sum() == 24, view);
            Assert.True(replicas.Max() - replicas.Min() <= 1, $"replicas not balanced: {view}");
            if (leaders.Sum() != 8)
            {
                var placed = await cluster.Node(1).Placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), TimeSpan.FromSeconds(10));
                var statuses = new List<string>();
                foreach (var region in placed.Regions.Where(r => r.LeaderStore == 0))
                    foreach (var node in AllNodes)
                        statuses.Add($"{region.Id}@{node}: {await cluster.Node(node).Raft.StatusAsync(region.Id)}");
                view += " | leaderless in placement: " + string.Join("; ", statuses);
            }
            Assert.True(leaders.Max() - leaders.Min() <= 1 && leaders.Sum() == 8, $"leaders not balanced: {view}");
            Assert.Empty(operators.Running);
        }, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(200));
        var recentOperators = await RecentOperatorsAsync(cluster, AllNodes);
        foreach (var view in recentOperators) _output.WriteLine($"{view}");
        Assert.Contains(recentOperators, o => o is { Kind: OperatorKind.Balance, ToStore: 4, State: OperatorState.Done });
        var layout = await this.ConsistentLayoutAsync(cluster, AllNodes);
        Assert.True(layout.Count(r => r.Peers.Any(p => p.StoreId == 4)) >= 5, DescribePeers(layout));

        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 20), Patience);
        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(4).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task Heartbeats_sent_in_batches_smaller_than_a_store_s_region_count_still_report_every_region_s_leader_to_placement()
    {
        await using var cluster = await KvCluster.StartAsync(SchedulerConfig($"akka-raft.placement.heartbeat-batch-regions = 3\n{EightRegions}"));
        await PreloadAsync(cluster, "", 16, 16);
        await AwaitAssertAsync(async () =>
        {
            var placed = await cluster.Node(1).Placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), TimeSpan.FromSeconds(10));
            Assert.Equal(8, placed.Regions.Length);
            foreach (var region in placed.Regions)
                Assert.Equal(await cluster.LeaderNodeAsync(region.Id), region.LeaderStore);
        }, Patience);
    }

    [Fact]
    public async Task Removing_a_store_moves_every_replica_off_it_and_marks_it_removed()
    {
        await using var cluster = await KvCluster.StartAsync(SchedulerConfig(), nodeCount: 4);
        var preloaded = await PreloadAsync(cluster, "a", 20, 16);
        foreach (var (key, value) in await PreloadAsync(cluster, "z", 20, 16)) preloaded[key] = value;
        await using var writers = new AcknowledgedWriters(cluster, 4, AllNodes, (w, i) => $"{(w % 2 == 0 ? "a" : "z")}w{w}-{i:D5}", padding: "");
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        // Store 4 must be known first, or removing store 3 would (rightly) be refused as leaving too few stores.
        await AwaitAssertAsync(async () => Assert.Contains((await this.OperatorsAsync(cluster, 1)).Stores, s => s.StoreId == 4), Patience);
        OperatorReply reply = null!;
        await AwaitAssertAsync(async () =>
        {
            reply = await cluster.Node(2).Scheduler.Ask<OperatorReply>(new RemoveStore(3), TimeSpan.FromSeconds(10));
            Assert.False(reply.NotReady, reply.Detail);
        }, Patience);
        Assert.True(reply.Accepted, reply.Detail);

        await AwaitAssertAsync(async () =>
        {
            var store = (await this.OperatorsAsync(cluster, 1)).Stores.Single(s => s.StoreId == 3);
            Assert.True(store is { State: StoreState.Removed, Replicas: 0 }, $"{store}");
        }, Patience, TimeSpan.FromMilliseconds(200));
        var layout = await this.ConsistentLayoutAsync(cluster, AllNodes);
        Assert.All(layout, r => Assert.DoesNotContain(r.Peers, p => p.StoreId == 3));
        Assert.Empty(await cluster.HostedRegionsAsync(3));
        Assert.Contains("store 3 is removed", (await this.MoveAsync(cluster, 1, new MoveRegion(layout[0].Id, layout[0].Peers[0].StoreId, 3))).Detail, StringComparison.Ordinal);

        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 20), Patience);
        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(3).Client, AllAcknowledged(writers, preloaded));
    }
}
