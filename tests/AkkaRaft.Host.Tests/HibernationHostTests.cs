using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// The embedded host's idle regions stay asleep while operators watch them: Prometheus scrapes, the regions API and the
/// stores API read the replicas' state without waking them; a client's write wakes its region.
/// </summary>
public sealed class HibernationHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task IdleRegionsStayAsleepAcrossMetricsScrapesAndAdminReadsAndWakeForAWrite()
    {
        var dataDir = EmbeddedHost.NewDataDir();
        try
        {
            // Sleep after 15 ticks of 50 ms; store heartbeats every 500 ms (several go by while the test watches). Leader
            // balancing is off: a transfer it starts is real work and rightly wakes its region.
            await using var host = await EmbeddedHost.StartAsync(dataDir, extra: ConfigurationFactory.ParseString("""
                akka-raft.hibernate-after-ticks = 15
                akka-raft.placement.heartbeat-interval = 500ms
                akka-raft.scheduler.balance = off
                """));
            await using (var redis = await host.ConnectRedisAsync())
            {
                Assert.True(await redis.GetDatabase().StringSetAsync("apple", "1"));
                Assert.True(await redis.GetDatabase().StringSetAsync("zebra", "2"));
            }
            var regionIds = (await host.Cluster.RegionsAsync()).Select(r => r.Id).ToList();
            Assert.True(regionIds.Count >= 2, $"{regionIds.Count} regions");

            await Eventually.UntilAsync(_ => AwakeReplicasAsync(host, regionIds), awake => awake.Count == 0, Patience, "every region replica asleep");

            // Several heartbeat intervals of operators' reads: each must leave every replica asleep.
            for (var round = 0; round < 4; round++)
            {
                var metrics = await host.Http.GetStringAsync("/metrics");
                Assert.Contains("akkaraft_", metrics, StringComparison.Ordinal);
                Assert.Equal(System.Net.HttpStatusCode.OK, (await host.Http.GetAsync("/api/regions")).StatusCode);
                Assert.Equal(System.Net.HttpStatusCode.OK, (await host.Http.GetAsync("/api/stores")).StatusCode);
                var awake = await AwakeReplicasAsync(host, regionIds);
                Assert.True(awake.Count == 0, $"round {round}: awake after scrapes: {string.Join("; ", awake)}");
            }

            await using var client = await host.ConnectRedisAsync();
            Assert.True(await client.GetDatabase().StringSetAsync("apple", "3"));
            Assert.Equal("3", (string?)await client.GetDatabase().StringGetAsync("apple"));
        }
        finally
        {
            EmbeddedHost.DeleteDataDir(dataDir);
        }
    }

    private static async Task<List<string>> AwakeReplicasAsync(EmbeddedHost host, IEnumerable<ulong> regionIds)
    {
        var awake = new List<string>();
        foreach (var node in host.Cluster.Nodes)
            foreach (var regionId in regionIds)
                if (await node.Raft.StatusAsync(regionId, TimeSpan.FromSeconds(5)) is GroupStatus { Hibernating: false } status)
                    awake.Add($"region {regionId} on node {node.NodeId}: {status.Role}");
        return awake;
    }
}
