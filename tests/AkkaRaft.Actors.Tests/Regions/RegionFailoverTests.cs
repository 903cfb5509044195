using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class RegionFailoverTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Isolating_the_leader_of_one_region_reelects_that_region_while_the_other_keeps_serving()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("a"), K("0")));
        AssertOk(await cluster.Node(1).Client.SetAsync(K("z"), K("0")));
        var regions = await cluster.HostedRegionsAsync(1);
        var left = regions.Single(r => r.Contains(K("a")));
        var right = regions.Single(r => r.Contains(K("z")));

        var leftLeader = await LeaderOf(cluster, left.Id);
        var rightLeader = await LeaderOf(cluster, right.Id);
        if (rightLeader == leftLeader)
        {
            // Put the right region's leader elsewhere, so isolating one leader leaves the other region untouched.
            var transferee = right.Peers.First(p => p.StoreId != leftLeader);
            await cluster.Node(leftLeader).Raft.Coordinator.Ask<object>(new TransferLeadership(right.Id, transferee.PeerId), TimeSpan.FromSeconds(5));
            await AwaitAssertAsync(async () => Assert.Equal(transferee.StoreId, await cluster.LeaderNodeAsync(right.Id)), Patience);
            rightLeader = transferee.StoreId;
        }
        var client = cluster.Node(rightLeader).Client;
        AssertOk(await client.SetAsync(K("z"), K("warm")));

        await cluster.Nodes.Partition((int)leftLeader - 1);

        // The right region never noticed: every write answers promptly.
        for (var i = 1; i <= 10; i++)
        {
            var watch = Stopwatch.StartNew();
            AssertOk(await client.SetAsync(K("z"), K($"{i}")));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"write {i} to the healthy region took {watch.Elapsed}");
        }
        // The left region elects a new leader on the majority side and serves again.
        var majority = new ulong[] { 1, 2, 3 }.Where(n => n != leftLeader).ToList();
        await AwaitAssertAsync(async () =>
        {
            var leader = await cluster.LeaderNodeAsync(left.Id, majority);
            Assert.True(leader != 0 && leader != leftLeader, $"left region leader is {leader}");
        }, Patience);
        await AwaitAssertAsync(async () => AssertOk(await client.SetAsync(K("a"), K("after"))), Patience);
        Assert.Equal("after", ValueOf(await client.GetAsync(K("a"))));
        Assert.Equal("10", ValueOf(await client.GetAsync(K("z"))));
    }

    [Fact]
    public async Task Isolating_the_placement_leader_keeps_region_metadata_and_lookups_working()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("a"), K("1")));
        AssertOk(await cluster.Node(1).Client.SetAsync(K("z"), K("2")));
        var placementLeader = await LeaderOf(cluster, 0);
        var other = cluster.Kv.First(n => n.NodeId != placementLeader);
        var before = await Describe(other.Placement);

        await cluster.Nodes.Partition((int)placementLeader - 1);
        var majority = cluster.Kv.Select(n => n.NodeId).Where(n => n != placementLeader).ToList();
        await AwaitAssertAsync(async () =>
        {
            var leader = await cluster.LeaderNodeAsync(0, majority);
            Assert.True(leader != 0 && leader != placementLeader, $"placement leader is {leader}");
        }, Patience);

        // A router with an empty cache must look every region up through the new placement leader.
        var fresh = other.NewClient();
        var regions = await fresh.RegionsAsync();
        Assert.Equal(before, string.Join("; ", regions.Select(r => $"{r.Id} {r.Epoch} {string.Join(",", r.Stores.Order())}")));
        await AwaitAssertAsync(async () =>
        {
            Assert.Equal("1", ValueOf(await fresh.GetAsync(K("a"))));
            Assert.Equal("2", ValueOf(await fresh.GetAsync(K("z"))));
            AssertOk(await fresh.SetAsync(K("m-key"), K("3")));
        }, Patience);
        Assert.Equal(before, await Describe(other.Placement));
    }

    [Fact]
    public async Task Restarting_every_node_keeps_every_key_and_does_not_bootstrap_again()
    {
        var snapshotsOften = ConfigurationFactory.ParseString("akka-raft.snapshot-every-entries = 10");
        var cluster = await StartAsync(snapshotsOften);
        string rootDir = cluster.Nodes.RootDir;
        var written = new Dictionary<string, string>();
        PlacementLookupReply before;
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var key = $"{(char)('a' + (i % 26))}{i}";
                AssertOk(await cluster.Node((ulong)(i % 3) + 1).Client.SetAsync(K(key), K($"v{i}")));
                written[key] = $"v{i}";
            }
            before = await Lookup(cluster.Node(1).Placement);
            cluster.Nodes.KeepDataOnDispose = true;
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        await using var restarted = await StartAsync(snapshotsOften, rootDir);
        foreach (var (key, value) in written)
            Assert.Equal(value, ValueOf(await restarted.Node(2).Client.GetAsync(K(key))));
        PlacementLookupReply after = null!;
        await AwaitAssertAsync(async () =>
        {
            after = await Lookup(restarted.Node(3).Placement);
            Assert.Equal(PlacementLookupStatus.Ok, after.Status);
        }, Patience);
        Assert.Equal(before.BootstrappedAtIndex, after.BootstrappedAtIndex);
        Assert.Equal(before.NextId, after.NextId);
        Assert.Equal(before.Regions.Select(r => (r.Id, r.Version, r.ConfVersion, string.Join(",", r.PeerIds))),
            after.Regions.Select(r => (r.Id, r.Version, r.ConfVersion, string.Join(",", r.PeerIds))));
    }

    private async Task<ulong> LeaderOf(KvCluster cluster, ulong groupId)
    {
        ulong leader = 0;
        await AwaitAssertAsync(async () =>
        {
            leader = await cluster.LeaderNodeAsync(groupId);
            Assert.NotEqual(0UL, leader);
        }, Patience);
        return leader;
    }

    private async Task<PlacementLookupReply> Lookup(IActorRef placement)
    {
        PlacementLookupReply reply = null!;
        await AwaitAssertAsync(async () =>
        {
            reply = await placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), TimeSpan.FromSeconds(5));
            Assert.Equal(PlacementLookupStatus.Ok, reply.Status);
        }, Patience);
        return reply;
    }

    private async Task<string> Describe(IActorRef placement)
    {
        var reply = await Lookup(placement);
        return string.Join("; ", reply.Regions.Select(r => $"{r.Id} v{r.ConfVersion}/{r.Version} {string.Join(",", r.PeerStores.Order())}"));
    }
}
