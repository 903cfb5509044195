using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>TTL expiry is judged by the region leader's time, corrected towards the cluster's: no one fast clock expires every key.</summary>
public sealed class ExpiryClockClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly SetOptions TenMinutes = new(ExpireAfterMs: 600_000);

    // Leaders stay where the test puts them.
    private static readonly Config NoBalancing = ConfigurationFactory.ParseString("akka-raft.scheduler.balance = off");

    [Fact]
    public async Task A_router_with_a_clock_a_day_ahead_does_not_expire_keys_written_through_other_routers()
    {
        await using var cluster = await StartAsync();
        var node = cluster.Node(1);
        var fast = node.NewClient(new ShiftedClock(Day));
        AssertOk(await cluster.Node(2).Client.SetAsync(K("a-ttl"), K("v"), TenMinutes));
        AssertOk(await cluster.Node(3).Client.SetAsync(K("z-ttl"), K("v"), TenMinutes));

        // The fast router writes to both regions, including a TTL key of its own.
        AssertOk(await fast.SetAsync(K("a-plain"), K("1")));
        Assert.Equal(new KvReply.Integer(1), await fast.IncrementAsync(K("z-count"), 1));
        AssertOk(await fast.SetAsync(K("b-ttl"), K("v"), TenMinutes));
        AssertOk(await fast.SetManyAsync([new(K("c-plain"), K("1")), new(K("y-plain"), K("1"))]));

        foreach (var client in new IKvClient[] { cluster.Node(1).Client, cluster.Node(2).Client, fast })
            Assert.Equal(["v", "v", "v"], (await client.GetManyAsync([K("a-ttl"), K("z-ttl"), K("b-ttl")])).Select(ValueOf));
        foreach (var region in await cluster.HostedRegionsAsync(1))
            AssertNotAhead(await cluster.LogicalNowMsAsync(region.Id), $"region {region.Id}");
    }

    [Fact]
    public async Task A_node_whose_clock_is_a_day_ahead_stamps_the_cluster_time_while_it_leads()
    {
        await using var cluster = await StartAsync(NoBalancing, clocks: id => id == 3 ? new ShiftedClock(Day) : null);
        // Node 3 has measured the others' clocks and follows them.
        await AwaitAssertAsync(async () =>
        {
            var status = await cluster.Node(3).Store.Ask<ClockStatus>(GetClockStatus.Instance, TimeSpan.FromSeconds(5));
            Assert.InRange(status.CorrectionMs, -(long)Day.TotalMilliseconds - 60_000, -(long)Day.TotalMilliseconds + 60_000);
            AssertNotAhead(status.NowMs, "node 3's expiry clock");
        }, Patience);
        var left = (await cluster.HostedRegionsAsync(1)).Single(r => r.Contains(K("a")));
        await this.TransferLeaderAsync(cluster, left, 1);
        AssertOk(await cluster.Node(2).Client.SetAsync(K("a-before"), K("v"), TenMinutes)); // stamped by node 1

        await this.TransferLeaderAsync(cluster, left, 3);
        AssertOk(await cluster.Node(1).Client.SetAsync(K("a-during"), K("v"), TenMinutes));
        AssertOk(await cluster.Node(3).Client.SetAsync(K("b-plain"), K("1")));
        Assert.Equal(new KvReply.Integer(1), await cluster.Node(3).Client.IncrementAsync(K("c-count"), 1));

        Assert.Equal(3UL, await cluster.LeaderNodeAsync(left.Id));
        foreach (var client in cluster.Kv.Select(n => n.Client))
            Assert.Equal(["v", "v"], (await client.GetManyAsync([K("a-before"), K("a-during")])).Select(ValueOf));
        AssertNotAhead(await cluster.LogicalNowMsAsync(left.Id), "the region led by node 3");
    }

    private static void AssertNotAhead(long clockMs, string what)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.True(clockMs <= now + 60_000, $"{what} is at {DateTimeOffset.FromUnixTimeMilliseconds(clockMs):O}, {TimeSpan.FromMilliseconds(clockMs - now)} ahead of real time");
    }

    /// <summary>The system clock shifted by a fixed amount (wall time only: timers and timestamps are the system's).</summary>
    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + shift;
    }
}
