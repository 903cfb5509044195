using Akka.Actor;
using AkkaRaft.Actors.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.MoveSteps;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>
/// A node without a placement replica passes its messages to the placement nodes in turn. Regression: a placement follower
/// reached that way dropped the message, so a store whose periodic messages lined up with the rotation never got its
/// heartbeats to the leader; placement then declared the store down and kept regions it led leaderless.
/// </summary>
public sealed class PlacementForwardingTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Every_lookup_through_a_node_without_a_placement_replica_reaches_the_leader_whichever_placement_node_it_goes_to_first()
    {
        await using var cluster = await KvCluster.StartAsync(nodeCount: 4);
        var lookup = new PlacementLookup(PlacementLookupKind.All, [], 0);
        // Every placement replica knows the leader (a lookup through each one is answered by it).
        await AwaitAssertAsync(async () =>
        {
            foreach (var node in new ulong[] { 1, 2, 3 })
                Assert.Equal(PlacementLookupStatus.Ok, (await cluster.Node(node).Placement.Ask<PlacementLookupReply>(lookup, TimeSpan.FromSeconds(5))).Status);
        }, Patience);

        // Node 4 tries placement nodes 1, 2 and 3 in turn: two of the three first hops land on a follower.
        var statuses = new List<PlacementLookupStatus>();
        for (var i = 0; i < 6; i++)
            statuses.Add((await cluster.Node(4).Placement.Ask<PlacementLookupReply>(lookup, TimeSpan.FromSeconds(5))).Status);
        Assert.All(statuses, status => Assert.Equal(PlacementLookupStatus.Ok, status));
    }
}
