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
}
