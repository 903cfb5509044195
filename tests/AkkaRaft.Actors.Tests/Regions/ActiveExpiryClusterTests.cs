using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>Active expiry on a three-node cluster: the region leaders purge expired keys through Raft, with no client touching them.</summary>
public sealed class ActiveExpiryClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly Config FastSweeps = ConfigurationFactory.ParseString("akka-raft.region { expiry-sweep-interval = 100ms, expiry-sweep-keys = 7 }");

    [Fact]
    public async Task Expired_keys_disappear_from_every_replica_without_a_client_touching_them_and_a_key_set_again_survives()
    {
        const int perRegion = 20;
        await using var cluster = await StartAsync(FastSweeps);
        var client = cluster.Node(1).Client;
        var shortTtl = new SetOptions(ExpireAfterMs: 300);
        for (var i = 0; i < perRegion; i++)
        {
            AssertOk(await client.SetAsync(K($"a-ttl-{i:D2}"), K("v"), shortTtl));
            AssertOk(await cluster.Node(2).Client.SetAsync(K($"z-ttl-{i:D2}"), K("v"), shortTtl));
        }
        // Set with a short TTL, then set again without one before it expires: it must survive every sweep.
        AssertOk(await client.SetAsync(K("a-again"), K("v1"), shortTtl));
        AssertOk(await client.SetAsync(K("a-again"), K("v2")));
        AssertOk(await client.SetAsync(K("z-long"), K("v"), new SetOptions(ExpireAfterMs: 600_000)));
        var regions = new[] { (await cluster.RegionOfAsync("a")).Id, (await cluster.RegionOfAsync("z")).Id };

        // Live: a-warmup, a-again | z-warmup, z-long. The sweep removes at most 7 keys per region per round, so this takes rounds.
        await AwaitAssertAsync(async () =>
        {
            foreach (var node in cluster.Kv)
            {
                foreach (var regionId in regions)
                {
                    var counts = await node.Raft.Coordinator.Ask<object>(new PeekState(regionId, sm =>
                        (((KvStateMachine)sm).KeyCount, ((KvStateMachine)sm).ExpiringKeyCount)), TimeSpan.FromSeconds(5));
                    var (keys, expiring) = Assert.IsType<(int, int)>(Assert.IsType<ReadSucceeded>(counts).Value);
                    Assert.True(keys == 2, $"node {node.NodeId} region {regionId}: {keys} keys stored ({expiring} with an expiry), expected 2");
                }
            }
        }, Patience, TimeSpan.FromMilliseconds(200));

        Assert.Equal(new KvReply.Integer(4), await client.CountKeysAsync());
        Assert.Equal("v2", ValueOf(await cluster.Node(3).Client.GetAsync(K("a-again"))));
        Assert.Equal("v", ValueOf(await cluster.Node(3).Client.GetAsync(K("z-long"))));
    }
}
