using Akka.Actor;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;
using static AkkaRaft.Actors.Tests.Regions.SplitSteps;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>A split meets a fault: its leader cut off between propose and apply, a duplicate, a leader transfer, a node restart.</summary>
public sealed class SplitFaultTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;

    [Theory]
    [InlineData(true)] // cut off first: the split is appended on the old leader only, never committed, and must vanish
    [InlineData(false)] // cut off right after proposing: it may or may not have reached a majority
    public async Task A_split_whose_leader_is_cut_off_between_propose_and_apply_happens_once_or_not_at_all_and_a_retry_succeeds(bool cutOffFirst)
    {
        await using var cluster = await StartAsync();
        await WriteKeysAsync(cluster.Node(1).Client, "s", 20);
        var region = await cluster.RegionOfAsync("s00");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var majority = InitialNodes.Where(n => n != leader).ToArray();
        await using var writers = new AcknowledgedWriters(cluster, "s", 2, majority);
        var ids = await cluster.Node(leader).Placement.Ask<PlacementIdsReply>(new PlacementAllocateIds(1 + region.Peers.Length), Patience);
        Assert.True(ids.Ok, ids.Detail);
        var split = new SplitCommand(region.Id, region.Epoch, 0, K("s10"), ids.First, [.. region.Peers.Select((_, i) => ids.First + 1 + (ulong)i)]);
        _output.WriteLine($"region {region.Id} led by node {leader}; split into right region {ids.First}, cut off first: {cutOffFirst}");

        Task<object> proposal;
        if (cutOffFirst)
        {
            await cluster.Nodes.Partition((int)leader - 1);
            proposal = cluster.Node(leader).Raft.Coordinator.Ask<object>(new Propose(region.Id, KvCommandCodec.Encode(split)), Patience);
        }
        else
        {
            proposal = cluster.Node(leader).Raft.Coordinator.Ask<object>(new Propose(region.Id, KvCommandCodec.Encode(split)), Patience);
            await cluster.Nodes.Partition((int)leader - 1);
        }
        await AwaitAssertAsync(async () =>
        {
            var newLeader = await cluster.LeaderNodeAsync(region.Id, majority);
            Assert.True(newLeader != 0 && newLeader != leader, $"region {region.Id} is led by node {newLeader}");
        }, Patience);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10, $"{writers.Acknowledged.Count} writes acknowledged on the majority side"), Patience);
        await cluster.Nodes.HealAll();
        var answer = await AnswerOrTimeout(proposal);
        _output.WriteLine($"the cut-off leader answered {answer}");
        if (cutOffFirst) Assert.False(answer is ProposeSucceeded, $"a split proposed on a cut-off leader must not apply: {answer}");

        var layout = await this.AgreedLayoutAsync(cluster);
        var splitOnce = layout.Any(r => r.Id == ids.First);
        Assert.True(!cutOffFirst || !splitOnce, "an uncommitted split must not appear after the heal");
        Assert.Equal(splitOnce ? 3 : 2, layout.Length);
        Assert.Equal(splitOnce ? 1 : 0, layout.Count(r => r.StartKey.SequenceEqual(K("s10"))));
        await writers.StopAsync();
        await AssertReadableAsync(cluster.Node(leader).Client, writers.Acknowledged);

        // A retried split of the same region at the same key succeeds, or finds that the first one did.
        var retried = await this.SplitAsync(cluster, leader, region.Id, "s10");
        if (splitOnce) Assert.Equal(SplitRegionStatus.InvalidKey, retried.Status);
        else Assert.True(retried.IsOk, retried.Detail);
        var further = await this.SplitAsync(cluster, leader, region.Id, "s05");
        Assert.True(further.IsOk, further.Detail);
        layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(4, layout.Length);
        Assert.Single(layout, r => r.StartKey.SequenceEqual(K("s10")));
        foreach (var (key, value) in await WriteKeysAsync(cluster.Node(leader).Client, "s", 20, "-after"))
            Assert.Equal(value, ValueOf(await cluster.Node(majority[0]).Client.GetAsync(K(key))));
    }

    private static async Task<object> AnswerOrTimeout(Task<object> ask)
    {
        try
        {
            return await ask;
        }
        catch (AskTimeoutException e)
        {
            return e.Message;
        }
    }

    [Fact]
    public async Task Two_different_splits_of_one_epoch_proposed_concurrently_create_one_right_region_and_the_other_is_stale()
    {
        await using var cluster = await StartAsync();
        var written = await WriteKeysAsync(cluster.Node(1).Client, "d", 20);
        var region = await cluster.RegionOfAsync("d00");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var commands = new List<SplitCommand>();
        foreach (var _ in new[] { 1, 2 })
        {
            var ids = await cluster.Node(leader).Placement.Ask<PlacementIdsReply>(new PlacementAllocateIds(1 + region.Peers.Length), Patience);
            Assert.True(ids.Ok, ids.Detail);
            commands.Add(new SplitCommand(region.Id, region.Epoch, 0, K("d10"), ids.First, [.. region.Peers.Select((_, i) => ids.First + 1 + (ulong)i)]));
        }

        var answers = await Task.WhenAll(commands.Select(c =>
            cluster.Node(leader).Raft.Coordinator.Ask<object>(new Propose(region.Id, KvCommandCodec.Encode(c)), Patience)));

        var results = answers.Select(a => Assert.IsType<ProposeSucceeded>(a).Result).ToList();
        var winner = Assert.Single(results.OfType<KvResult.SplitResult>());
        Assert.Single(results.OfType<KvResult.EpochNotMatch>());
        var loser = commands.Single(c => c.NewRegionId != winner.Right.Id);
        var layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(3, layout.Length);
        Assert.Contains(layout, r => r.Id == winner.Right.Id);
        Assert.DoesNotContain(layout, r => r.Id == loser.NewRegionId);
        foreach (var node in cluster.Kv)
        {
            var groups = await node.Raft.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, Patience);
            Assert.DoesNotContain(loser.NewRegionId, groups.GroupIds);
        }
        await AssertReadableAsync(cluster.Node(2).Client, written);
    }

    [Fact]
    public async Task Manual_splits_sent_to_every_store_at_once_apply_once_and_the_others_are_told_why()
    {
        await using var cluster = await StartAsync();
        var written = await WriteKeysAsync(cluster.Node(1).Client, "e", 20);
        var region = await cluster.RegionOfAsync("e00");
        await this.LeaderAsync(cluster, region.Id);

        var replies = await Task.WhenAll(cluster.Kv.Select(n => n.Store.Ask<SplitRegionReply>(new SplitRegion(region.Id, K("e10")), Patience)));

        foreach (var reply in replies) _output.WriteLine($"{reply.Status}: {reply.Detail}");
        Assert.True(replies.Count(r => r.IsOk) <= 1, "only one split of one epoch may apply");
        Assert.All(replies.Where(r => !r.IsOk), r => Assert.Contains(r.Status, new[] { SplitRegionStatus.Retry, SplitRegionStatus.InvalidKey, SplitRegionStatus.EpochNotMatch }));
        // Whoever was told Retry retries; the region is split at e10 exactly once either way.
        var retried = await this.SplitAsync(cluster, 3, region.Id, "e10");
        Assert.True(retried.IsOk || retried.Status == SplitRegionStatus.InvalidKey, $"{retried.Status}: {retried.Detail}");
        Assert.True(replies.Count(r => r.IsOk) + (retried.IsOk ? 1 : 0) == 1, "exactly one of the requests must have split the region");
        var layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(3, layout.Length);
        Assert.Single(layout, r => r.StartKey.SequenceEqual(K("e10")));
        await AssertReadableAsync(cluster.Node(3).Client, written);
    }

    [Fact]
    public async Task A_split_racing_a_leader_transfer_leaves_one_consistent_layout_on_every_store_and_placement_and_loses_no_write()
    {
        await using var cluster = await StartAsync();
        await WriteKeysAsync(cluster.Node(1).Client, "t", 20);
        var region = await cluster.RegionOfAsync("t00");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var transferee = region.Peers.First(p => p.StoreId != leader);
        await using var writers = new AcknowledgedWriters(cluster, "t", 4, 1, 2, 3);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        var transfer = cluster.Node(leader).Raft.Coordinator.Ask<object>(new TransferLeadership(region.Id, transferee.PeerId), Patience);
        var split = cluster.Node(leader).Store.Ask<SplitRegionReply>(new SplitRegion(region.Id, K("t1")), Patience);
        _output.WriteLine($"transfer: {await transfer}");
        var first = await split;
        _output.WriteLine($"split: {first.Status} {first.Detail}");
        var final = first.Status == SplitRegionStatus.Retry ? await this.SplitAsync(cluster, leader, region.Id, "t1") : first;
        // Retry may hide a split that applied after all: then the key is already the right half's start.
        Assert.True(final.IsOk || (first.Status == SplitRegionStatus.Retry && final.Status == SplitRegionStatus.InvalidKey), $"{final.Status}: {final.Detail}");
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 60), Patience);
        await writers.StopAsync();

        var layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(3, layout.Length);
        var right = Assert.Single(layout, r => r.StartKey.SequenceEqual(K("t1")));
        Assert.Single(layout, r => r.Id == region.Id && r.EndKey.SequenceEqual(K("t1")));
        await this.LeaderAsync(cluster, region.Id);
        await this.LeaderAsync(cluster, right.Id);
        await AssertReadableAsync(cluster.Node(2).Client, writers.Acknowledged);
        var (inRight, value) = writers.Acknowledged.First(kv => right.Contains(K(kv.Key)));
        Assert.Equal(value, Text(await cluster.ReadInGroupAsync(right.Id, K(inRight))));
        Assert.Null(await cluster.ReadInGroupAsync(region.Id, K(inRight)));
    }

    /// <summary>
    /// Regression: a restarted replica of an initial-layout region with no snapshot replays its log from index 1 onto a
    /// machine the store built from placement's current (post-split) region; the old epoch then rejected every replayed
    /// write from before the split, and the replica silently lost that data.
    /// </summary>
    [Fact]
    public async Task Regression_a_restarted_replica_replaying_its_log_from_the_start_keeps_the_writes_made_before_a_split()
    {
        await using var cluster = await StartAsync();
        var written = await WriteKeysAsync(cluster.Node(1).Client, "g", 20);
        var region = await cluster.RegionOfAsync("g00");
        var reply = await this.SplitAsync(cluster, 1, region.Id, "g10");
        Assert.True(reply.IsOk, reply.Detail);
        await this.AgreedLayoutAsync(cluster);

        await cluster.RestartNodeAsync(3);

        await this.AgreedLayoutAsync(cluster);
        var mine = region.Peers.Single(p => p.StoreId == 3).PeerId;
        await AwaitAssertAsync(async () =>
        {
            var leader = await cluster.LeaderNodeAsync(region.Id);
            Assert.NotEqual(0UL, leader);
            if (leader != 3) await cluster.Node(leader).Raft.Coordinator.Ask<object>(new TransferLeadership(region.Id, mine), TimeSpan.FromSeconds(5));
            Assert.Equal(3UL, await cluster.LeaderNodeAsync(region.Id, among: [3]));
        }, Patience);
        foreach (var (key, value) in written.Where(kv => string.CompareOrdinal(kv.Key, "g10") < 0))
            Assert.Equal(value, Text(await cluster.ReadInGroupAsync(region.Id, K(key))));
    }

    [Fact]
    public async Task A_node_restarted_while_its_regions_split_under_writes_comes_back_hosting_both_halves_with_their_data()
    {
        await using var cluster = await StartAsync();
        var initial = await WriteKeysAsync(cluster.Node(1).Client, "r", 20);
        var region = await cluster.RegionOfAsync("r00");
        await using var writers = new AcknowledgedWriters(cluster, "r", 4, 1, 2);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        // The first split is on its way when node 3 goes down; the second happens while it is down.
        var first = this.SplitAsync(cluster, 1, region.Id, "r1");
        await cluster.Nodes[2].Terminate();
        var firstReply = await first;
        Assert.True(firstReply.IsOk, firstReply.Detail);
        var second = await this.SplitAsync(cluster, 2, region.Id, "r05");
        Assert.True(second.IsOk, second.Detail);
        var acknowledgedWhileDown = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledgedWhileDown + 20), Patience);

        await cluster.RestartNodeAsync(3);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledgedWhileDown + 40), Patience);
        await writers.StopAsync();

        var layout = await this.AgreedLayoutAsync(cluster);
        Assert.Equal(4, layout.Length);
        var acknowledged = new Dictionary<string, string>(initial);
        foreach (var (key, value) in writers.Acknowledged) acknowledged[key] = value;
        await AssertReadableAsync(cluster.Node(3).Client, acknowledged);
        // Node 3's own replicas hold the data: make each 'r' region's replica on store 3 the leader, and read there.
        var halves = new[] { "r00", "r05", "r10" }.Select(key => layout.Single(r => r.Contains(K(key)))).ToList();
        Assert.Equal(3, halves.Select(r => r.Id).Distinct().Count());
        foreach (var half in halves)
        {
            var mine = half.Peers.Single(p => p.StoreId == 3).PeerId;
            await AwaitAssertAsync(async () =>
            {
                var leader = await cluster.LeaderNodeAsync(half.Id);
                Assert.NotEqual(0UL, leader);
                if (leader != 3) await cluster.Node(leader).Raft.Coordinator.Ask<object>(new TransferLeadership(half.Id, mine), TimeSpan.FromSeconds(5));
                Assert.Equal(3UL, await cluster.LeaderNodeAsync(half.Id, among: [3]));
            }, Patience);
            var inHalf = acknowledged.Where(kv => half.Contains(K(kv.Key))).ToList();
            Assert.NotEmpty(inHalf);
            foreach (var (key, value) in inHalf) Assert.Equal(value, Text(await cluster.ReadInGroupAsync(half.Id, K(key))));
            _output.WriteLine($"{half}: {inHalf.Count} keys read from store 3's replica");
        }
    }

    /// <summary>
    /// Regression: every incarnation of a split-born replica got the one split-off state machine object, already mutated
    /// by the previous one; its applied index ran ahead of the journal's commit and the replica crash-looped under its
    /// backoff supervisor (as after a journal failure).
    /// </summary>
    [Fact]
    public async Task A_split_born_replica_restarted_by_its_supervisor_comes_back_and_serves_its_data()
    {
        await using var cluster = await StartAsync();
        var written = await WriteKeysAsync(cluster.Node(1).Client, "b", 20);
        var region = await cluster.RegionOfAsync("b00");
        var reply = await this.SplitAsync(cluster, 1, region.Id, "b10");
        Assert.True(reply.IsOk, reply.Detail);
        var right = reply.Regions[1].ToRegion();
        // Writes applied by the split-born replicas after their birth.
        foreach (var (key, value) in await WriteKeysAsync(cluster.Node(1).Client, "b1", 10, "-after")) written[key] = value;

        // Crash every replica of the right region at once; only their restarts can serve it again.
        foreach (var node in cluster.Kv)
        {
            var replica = node.Raft.Coordinator.Path / $"group-{right.Id}";
            cluster.Nodes[(int)node.NodeId - 1].ActorSelection(replica).Tell(Kill.Instance);
        }

        await AwaitAssertAsync(async () =>
        {
            foreach (var node in cluster.Kv)
            {
                var status = Assert.IsType<GroupStatus>(await node.Raft.StatusAsync(right.Id, TimeSpan.FromSeconds(2)));
                Assert.True(status.Applied >= KvStateMachine.SplitInitialIndex, $"replica on node {node.NodeId}: {status.Applied}");
            }
            Assert.Equal("v05-after", Text(await cluster.ReadInGroupAsync(right.Id, K("b105"))));
        }, Patience);
        await AssertReadableAsync(cluster.Node(2).Client, written);
    }
}
