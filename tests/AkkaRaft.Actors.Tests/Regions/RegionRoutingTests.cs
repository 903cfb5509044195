using System.Text;
using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class RegionRoutingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Keys_on_both_sides_of_m_are_written_to_different_region_groups()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Node(1).Client;

        AssertOk(await client.SetAsync(K("apple"), K("red")));
        AssertOk(await client.SetAsync(K("zebra"), K("striped")));
        Assert.Equal("red", ValueOf(await cluster.Node(3).Client.GetAsync(K("apple"))));
        Assert.Equal("striped", ValueOf(await cluster.Node(2).Client.GetAsync(K("zebra"))));

        var regions = await cluster.HostedRegionsAsync(1);
        var left = Assert.Single(regions, r => r.Contains(K("apple")));
        var right = Assert.Single(regions, r => r.Contains(K("zebra")));
        Assert.NotEqual(left.Id, right.Id);
        Assert.Equal("red", Text(await cluster.ReadInGroupAsync(left.Id, K("apple"))));
        Assert.Null(await cluster.ReadInGroupAsync(right.Id, K("apple")));
        Assert.Equal("striped", Text(await cluster.ReadInGroupAsync(right.Id, K("zebra"))));
        Assert.Null(await cluster.ReadInGroupAsync(left.Id, K("zebra")));
    }

    [Fact]
    public async Task Commands_of_every_kind_answer_like_redis_and_multi_key_commands_span_regions()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Node(2).Client;
        var keysBefore = Assert.IsType<KvReply.Integer>(await client.CountKeysAsync()).Number;

        AssertOk(await client.SetManyAsync([new(K("a"), K("1")), new(K("n"), K("2")), new(K("z"), K("3"))]));
        var many = await client.GetManyAsync([K("a"), K("n"), K("missing"), K("z")]);
        Assert.Equal(["1", "2", null, "3"], many.Select(ValueOf));
        Assert.Equal(new KvReply.Integer(3), await client.ExistsAsync([K("a"), K("z"), K("z"), K("nope")]));
        Assert.Equal(new KvReply.Integer(12), await client.IncrementAsync(K("n"), 10));
        AssertOk(await client.SetAsync(K("b-text"), K("x")));
        Assert.Equal(KvErrorCode.NotAnInteger, Assert.IsType<KvReply.Error>(await client.IncrementAsync(K("b-text"), 1)).Code);
        Assert.Null(ValueOf(await client.SetAsync(K("a"), K("again"), new SetOptions(OnlyIfAbsent: true))));
        Assert.Equal("1", ValueOf(await client.GetAsync(K("a"))));
        Assert.Equal(new KvReply.Integer(3), await client.DeleteAsync([K("a"), K("z"), K("b-text"), K("nope")]));
        Assert.Equal(new KvReply.Integer(keysBefore + 1), await client.CountKeysAsync());
        Assert.Equal(KvErrorCode.InvalidRequest, Assert.IsType<KvReply.Error>(await client.SetAsync(K("q"), K("v"), new SetOptions(OnlyIfAbsent: true, OnlyIfPresent: true))).Code);

        var summaries = await client.RegionsAsync();
        Assert.Equal(2, summaries.Count);
        Assert.All(summaries, s => Assert.Equal(new ulong[] { 1, 2, 3 }, s.Stores.Order()));
    }

    [Fact]
    public async Task A_request_sent_to_the_wrong_region_is_rejected_every_time_with_KeyNotInRegion_and_logged()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("warmup"), K("1")));
        var regions = await cluster.HostedRegionsAsync(1);
        var left = regions.Single(r => r.Contains(K("a")));
        var leader = await cluster.LeaderNodeAsync(left.Id);

        var logged = CreateTestProbe(cluster.Nodes[(int)leader - 1]);
        cluster.Nodes[(int)leader - 1].EventStream.Subscribe(logged.Ref, typeof(Warning));
        for (var i = 0; i < 20; i++)
        {
            // "zebra" belongs to the right-hand region, but is sent to the left one.
            var reply = await cluster.SendRawAsync(1, Raw(leader, left.Id, new SetCommand(left.Id, left.Epoch, 0, K($"zebra{i}"), K("x"))));
            Assert.Equal(StoreReplyKind.KeyNotInRegion, reply.Kind);
            // The region as the store knows it first, then the region that holds the key, so the router can go there.
            Assert.Equal(left.Id, reply.Regions[0].Id);
            Assert.Contains(reply.Regions, r => r.ToRegion().Contains(K($"zebra{i}")));
        }
        var warning = logged.FishForMessage<Warning>(w => w.Message.ToString()!.Contains("is not in", StringComparison.Ordinal), Patience);
        Assert.Contains($"[region {left.Id}]", warning.Message.ToString(), StringComparison.Ordinal);
        Assert.Null(await cluster.ReadInGroupAsync(regions.Single(r => r.Contains(K("zebra0"))).Id, K("zebra0")));
        Assert.Null(await cluster.ReadInGroupAsync(left.Id, K("zebra0")));
    }

    [Fact]
    public async Task The_replica_answers_the_requester_directly_with_the_request_id_whether_its_leader_is_local_or_one_hop_away()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("warmup"), K("1")));
        var left = (await cluster.HostedRegionsAsync(1)).Single(r => r.Contains(K("a")));
        var leader = await cluster.LeaderNodeAsync(left.Id);
        var follower = leader == 1 ? 2UL : 1UL;

        foreach (var via in new[] { leader, follower })
        {
            // The requester sits on the node that received the request: through a follower's store, the answer crosses back.
            var requester = CreateTestProbe(cluster.Nodes[(int)via - 1]);
            var write = Raw(leader, left.Id, new SetCommand(left.Id, left.Epoch, 0, K($"a{via}"), K("x"))) with { RequestId = 100 + (long)via };
            cluster.Node(via).Store.Tell(write, requester.Ref);
            var written = requester.ExpectMsg<StoreReply>(Patience);
            Assert.Equal((StoreReplyKind.Ok, 100 + (long)via), (written.Kind, written.RequestId));

            var read = Raw(leader, left.Id, new GetCommand(left.Id, left.Epoch, K($"a{via}"))) with { RequestId = 200 + (long)via };
            cluster.Node(via).Store.Tell(read, requester.Ref);
            var value = requester.ExpectMsg<StoreReply>(Patience);
            Assert.Equal((StoreReplyKind.Value, 200 + (long)via, "x"), (value.Kind, value.RequestId, Encoding.UTF8.GetString(value.Value!)));

            var misrouted = Raw(leader, left.Id, new SetCommand(left.Id, left.Epoch, 0, K("zebra"), K("x"))) with { RequestId = 300 + (long)via };
            cluster.Node(via).Store.Tell(misrouted, requester.Ref);
            var rejected = requester.ExpectMsg<StoreReply>(Patience);
            Assert.Equal((StoreReplyKind.KeyNotInRegion, 300 + (long)via), (rejected.Kind, rejected.RequestId));
        }
    }

    [Fact]
    public async Task A_stale_epoch_is_rejected_with_EpochNotMatch_carrying_the_current_region_and_an_unknown_region_with_RegionNotFound()
    {
        await using var cluster = await StartAsync();
        AssertOk(await cluster.Node(1).Client.SetAsync(K("warmup"), K("1")));
        var left = (await cluster.HostedRegionsAsync(2)).Single(r => r.Contains(K("a")));

        var stale = await cluster.SendRawAsync(2, Raw(2, left.Id, new SetCommand(left.Id, new RegionEpoch(1, 0), 0, K("a"), K("x"))));
        Assert.Equal(StoreReplyKind.EpochNotMatch, stale.Kind);
        Assert.Equal(left.Epoch.Version, Assert.Single(stale.Regions).Version);
        Assert.Contains($"region {left.Id}", stale.Detail, StringComparison.Ordinal);

        var staleRead = await cluster.SendRawAsync(3, Raw(1, left.Id, new GetCommand(left.Id, new RegionEpoch(1, 7), K("a"))));
        Assert.Equal(StoreReplyKind.EpochNotMatch, staleRead.Kind);

        var unknown = await cluster.SendRawAsync(2, Raw(3, 999, new GetCommand(999, RegionEpoch.Initial, K("a"))));
        Assert.Equal(StoreReplyKind.RegionNotFound, unknown.Kind);
        Assert.Null(await cluster.ReadInGroupAsync(left.Id, K("a")));
    }

    [Fact]
    public async Task Store_heartbeats_tell_placement_each_regions_leader_and_size()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Node(3).Client;
        AssertOk(await client.SetAsync(K("apple"), new byte[1000]));
        AssertOk(await client.SetAsync(K("zebra"), new byte[3000]));

        await AwaitAssertAsync(async () =>
        {
            foreach (var node in cluster.Kv) await node.Store.Ask<HeartbeatSent>(SendHeartbeatNow.Instance, TimeSpan.FromSeconds(5));
            var regions = await client.RegionsAsync();
            foreach (var region in regions)
            {
                Assert.Equal(await cluster.LeaderNodeAsync(region.Id), region.LeaderStore);
                Assert.True(region.ApproximateSizeBytes > (region.StartKey.Length == 0 ? 1000 : 3000), $"region {region.Id} size {region.ApproximateSizeBytes}");
            }
        }, Patience);
    }

    [Fact]
    public async Task Hibernated_regions_and_placement_wake_up_for_reads_writes_and_lookups()
    {
        var hibernateSoon = Akka.Configuration.ConfigurationFactory.ParseString("akka-raft { hibernate-after-ticks = 15, placement.heartbeat-interval = 1h }");
        await using var cluster = await StartAsync(hibernateSoon);
        var client = cluster.Node(1).Client;
        AssertOk(await client.SetAsync(K("apple"), K("1")));
        AssertOk(await client.SetAsync(K("zebra"), K("2")));

        await AwaitAssertAsync(async () =>
        {
            var statuses = new List<AkkaRaft.Actors.Runtime.GroupStatus>();
            foreach (var node in cluster.Kv)
                foreach (var groupId in new ulong[] { 0, 1, 2 })
                    statuses.Add(Assert.IsType<AkkaRaft.Actors.Runtime.GroupStatus>(await node.Raft.StatusAsync(groupId)));
            Assert.True(statuses.All(s => s.Hibernating), "awake: " + string.Join("; ", statuses.Where(s => !s.Hibernating)
                .Select(s => $"group {s.GroupId} peer {s.PeerId} {s.Role} term {s.Term} commit {s.Committed} applied {s.Applied} last {s.LastIndex}")));
        }, Patience);

        var fresh = cluster.Node(2).NewClient();
        Assert.Equal("1", ValueOf(await fresh.GetAsync(K("apple"))));
        AssertOk(await fresh.SetAsync(K("zebra"), K("3")));
        Assert.Equal("3", ValueOf(await client.GetAsync(K("zebra"))));
    }

    /// <summary>Regression: each store heartbeat read every led region by ReadIndex, which woke it: no region stayed asleep.</summary>
    [Fact]
    public async Task Hibernated_regions_stay_asleep_across_store_heartbeats_and_wake_for_a_write()
    {
        // Store heartbeats every 500 ms (FastTiming); regions sleep after 15 ticks of 50 ms.
        await using var cluster = await StartAsync(Akka.Configuration.ConfigurationFactory.ParseString("akka-raft.hibernate-after-ticks = 15"));
        var client = cluster.Node(1).Client;
        AssertOk(await client.SetAsync(K("apple"), K("1")));
        AssertOk(await client.SetAsync(K("zebra"), K("2")));
        var regions = (await cluster.HostedRegionsAsync(1)).Select(r => r.Id).ToList();

        async Task<List<AkkaRaft.Actors.Runtime.GroupStatus>> StatusesAsync()
        {
            var statuses = new List<AkkaRaft.Actors.Runtime.GroupStatus>();
            foreach (var node in cluster.Kv)
                foreach (var regionId in regions)
                    statuses.Add(Assert.IsType<AkkaRaft.Actors.Runtime.GroupStatus>(await node.Raft.StatusAsync(regionId)));
            return statuses;
        }
        static string Awake(IEnumerable<AkkaRaft.Actors.Runtime.GroupStatus> statuses) =>
            "awake: " + string.Join("; ", statuses.Where(s => !s.Hibernating).Select(s => $"group {s.GroupId} peer {s.PeerId} {s.Role}"));
        await AwaitAssertAsync(async () => { var all = await StatusesAsync(); Assert.True(all.All(s => s.Hibernating), Awake(all)); }, Patience);

        for (var round = 0; round < 3; round++)
            foreach (var node in cluster.Kv)
                Assert.True((await node.Store.Ask<HeartbeatSent>(SendHeartbeatNow.Instance, TimeSpan.FromSeconds(10))).RegionCount > 0);
        var after = await StatusesAsync();
        Assert.True(after.All(s => s.Hibernating), Awake(after));
        // A sleeping region costs the tick nothing: no coordinator ticks it.
        foreach (var node in cluster.Kv)
        {
            var hosted = await node.Raft.Coordinator.Ask<AkkaRaft.Actors.Runtime.HostedGroups>(AkkaRaft.Actors.Runtime.GetHostedGroups.Instance, TimeSpan.FromSeconds(10));
            Assert.True(regions.All(hosted.GroupIds.Contains) && !regions.Any(hosted.AwakeGroupIds.Contains), $"node {node.NodeId} ticks {string.Join(", ", hosted.AwakeGroupIds)}");
        }

        AssertOk(await client.SetAsync(K("apple"), K("3")));
        Assert.Equal("3", ValueOf(await client.GetAsync(K("apple"))));
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : System.Text.Encoding.UTF8.GetString(bytes);
}
