using Akka.Actor;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.MoveSteps;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>A voter's replica is destroyed only once the region can elect without it.</summary>
public sealed class RemovalSafetyTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    /// <summary>
    /// Regression: a source replica was destroyed as soon as the region's leader left the joint configuration. Followers
    /// that had not learned the commit yet still elected in the joint configuration, which needs the source's vote: with
    /// the leader cut off, the region stayed leaderless (two pre-candidates for ever).
    /// </summary>
    [Fact]
    public async Task A_voters_replica_is_kept_while_the_other_voters_still_count_it_in_their_configuration()
    {
        await using var cluster = await KvCluster.StartAsync(SchedulerConfig());
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var removed = region.Peers.First(p => p.StoreId == 3);
        // What placement would show after a change removing store 3's replica that stores 1 and 2 have not applied.
        var after = region.WithPeers(region.Peers.Where(p => p.StoreId != 3));

        var reply = await cluster.Node(3).Store.Ask<RegionReplicaReply>(
            new DestroyRegionReplica(3, region.Id, removed.PeerId) { After = RegionDescriptor.From(after) }, Patience);

        Assert.False(reply.Ok, reply.Detail);
        Assert.Contains("kept until the removal settles", reply.Detail, StringComparison.Ordinal);
        var status = await cluster.Node(3).Raft.Coordinator.Ask<GroupStatus>(new GetGroupStatus(region.Id), Patience);
        Assert.Equal(removed.PeerId, status.PeerId);
        Assert.Contains(removed.PeerId, status.Membership.Voters);
    }
}
