using Akka.Actor;
using Akka.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.TestKit.Tests;

public sealed class LoopbackClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Three_nodes_form_a_cluster_and_a_blackhole_cuts_then_restores_delivery_between_two_of_them()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3);

        await AwaitAssertAsync(() =>
        {
            foreach (var system in nodes.Systems)
            {
                var members = Akka.Cluster.Cluster.Get(system).State.Members;
                Assert.Equal(3, members.Count);
                Assert.All(members, m => Assert.Equal(MemberStatus.Up, m.Status));
            }
        }, TimeSpan.FromSeconds(30));

        var atB = CreateTestProbe(nodes[1]);
        var atC = CreateTestProbe(nodes[2]);
        var fromAToB = nodes[0].ActorSelection(atB.Ref.Path.ToStringWithAddress(nodes.AddressOf(1)));
        var fromAToC = nodes[0].ActorSelection(atC.Ref.Path.ToStringWithAddress(nodes.AddressOf(2)));

        fromAToB.Tell("before");
        atB.ExpectMsg("before", TimeSpan.FromSeconds(10));

        await nodes.Blackhole(0, 1);
        fromAToB.Tell("during");
        fromAToC.Tell("during");
        atC.ExpectMsg("during", TimeSpan.FromSeconds(10)); // only the A-B link is cut
        atB.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        await nodes.PassThrough(0, 1);
        await AwaitAssertAsync(() =>
        {
            fromAToB.Tell("after");
            atB.ExpectMsg("after", TimeSpan.FromMilliseconds(500));
        }, TimeSpan.FromSeconds(20));
    }
}
