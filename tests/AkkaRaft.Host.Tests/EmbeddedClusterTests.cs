using System.Globalization;
using System.Net;
using System.Text.Json;
using AkkaRaft.Host.Admin;
using AkkaRaft.Host.Hosting;
using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>The real embedded three-node cluster behind the RESP and HTTP admin front ends, driven by real clients.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class EmbeddedClusterTests(EmbeddedHostFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task SetGetIncrDelAndExistsWorkInBothRegions()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();

        foreach (var key in new[] { "apple:basic", "zebra:basic" }) // either side of the split key "m"
        {
            Assert.True(await db.StringSetAsync(key, $"value of {key}"));
            Assert.Equal($"value of {key}", (string?)await db.StringGetAsync(key));
            Assert.True(await db.KeyExistsAsync(key));
            Assert.True(await db.KeyDeleteAsync(key));
            Assert.False(await db.KeyExistsAsync(key));
            Assert.True((await db.StringGetAsync(key)).IsNull);
        }
        Assert.Equal(1, await db.StringIncrementAsync("apple:counter"));
        Assert.Equal(11, await db.StringIncrementAsync("apple:counter", 10));
        Assert.Equal(1, await db.StringIncrementAsync("zebra:counter"));
        Assert.Equal(0, await db.StringDecrementAsync("zebra:counter"));
    }

    [Fact]
    public async Task MsetAndMgetSpanBothRegions()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();

        Assert.True(await db.StringSetAsync([new("apple:multi", "a"), new("kiwi:multi", "k"), new("pear:multi", "p"), new("zebra:multi", "z")]));
        var values = await db.StringGetAsync(["zebra:multi", "apple:multi", "missing:multi", "pear:multi", "kiwi:multi"]);

        Assert.Equal(["z", "a", null, "p", "k"], values.Select(v => (string?)v));
        Assert.Equal(2, await db.KeyDeleteAsync(["apple:multi", "zebra:multi", "missing:multi"]));
        Assert.Equal(2, await db.KeyExistsAsync(["apple:multi", "kiwi:multi", "pear:multi", "zebra:multi"]));
    }

    [Fact]
    public async Task KeysWithAnExpiryDisappearAndOthersStay()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();

        Assert.True(await db.StringSetAsync("apple:short-lived", "soon gone", TimeSpan.FromSeconds(2)));
        Assert.True(await db.StringSetAsync("zebra:long-lived", "stays", TimeSpan.FromHours(1)));
        Assert.True(await db.StringSetAsync("zebra:short-lived", "soon gone", TimeSpan.FromSeconds(2)));

        await Eventually.UntilAsync(_ => db.StringGetAsync("apple:short-lived"), v => v.IsNull, Deadline, "apple:short-lived expiring");
        await Eventually.UntilAsync(_ => db.StringGetAsync("zebra:short-lived"), v => v.IsNull, Deadline, "zebra:short-lived expiring");
        Assert.Equal("stays", (string?)await db.StringGetAsync("zebra:long-lived"));
        Assert.False(await db.KeyExistsAsync("apple:short-lived"));
    }

    [Fact]
    public async Task RedisCliSetsAndGetsKeysInBothRegions()
    {
        var port = host.RespPort.ToString(CultureInfo.InvariantCulture);
        foreach (var key in new[] { "apple:cli", "zebra:cli" })
        {
            var set = await ChildProcess.RunAsync("redis-cli", ["-p", port, "set", key, $"{key} via redis-cli"], Deadline);
            var get = await ChildProcess.RunAsync("redis-cli", ["-p", port, "get", key], Deadline);

            Assert.Equal("OK", set.Output.Trim());
            Assert.Equal($"{key} via redis-cli", get.Output.Trim());
        }
    }

    [Fact]
    public async Task HealthIsOkWhenEveryRegionHasALeader()
    {
        // Another test may just have moved a leader: the cluster settles within the deadline.
        var (status, body) = await Eventually.UntilAsync(
            async ct =>
            {
                using var response = await host.Http.GetAsync(new Uri("/health", UriKind.Relative), ct);
                return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone());
            },
            answer => answer.StatusCode == HttpStatusCode.OK, Deadline, "/health answering 200");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(2, body.GetProperty("regions").GetInt32());
    }

    [Fact]
    public async Task LivenessAndReadinessAnswer200OnAServingNode()
    {
        using var live = await host.Http.GetAsync(new Uri("/livez", UriKind.Relative));
        using var ready = await host.Http.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ReadinessIs503WhileStartingAndOnceStoppingWhileLivenessStays200()
    {
        // A second front end on the same nodes, with its own start-up status.
        var status = new HostStatus();
        using var metrics = new MetricsCollector();
        var (app, resp) = HostApp.Build(host.Cluster, new EndpointOptions(0, 0, null, IPAddress.Loopback), metrics, status);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(HostApp.HttpAddress(app, resp)), Timeout = Deadline };
            async Task<(HttpStatusCode Code, string Body)> ReadyzAsync()
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }

            var starting = await ReadyzAsync();
            status.MarkReady();
            var ready = await ReadyzAsync();
            status.MarkStopping();
            var stopping = await ReadyzAsync();
            using var live = await http.GetAsync(new Uri("/livez", UriKind.Relative));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.Code);
            Assert.Contains("starting", starting.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, ready.Code);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopping.Code);
            Assert.Contains("shutting down", stopping.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task RegionsApiShowsTwoRegionsSplitAtMEachWithALeaderAndThreeReplicas()
    {
        // Right after a leader transfer two replicas may briefly both think they lead (old and new term): wait for one each.
        var regions = await Eventually.UntilAsync(
            _ => RegionsAsync(),
            all => all.All(r => r.GetProperty("replicas").EnumerateArray().Count(x => x.GetProperty("role").GetString() == "Leader") == 1),
            Deadline, "exactly one leader replica per region");

        Assert.Equal(2, regions.Count);
        var ranges = regions.Select(r => (r.GetProperty("startKey").GetString(), r.GetProperty("endKey").GetString())).Order().ToList();
        Assert.Equal([("", "m"), ("m", "")], ranges);
        foreach (var region in regions)
        {
            Assert.Equal([1UL, 2UL, 3UL], region.GetProperty("stores").EnumerateArray().Select(s => s.GetUInt64()).Order());
            Assert.Contains(region.GetProperty("leaderStore").GetUInt64(), new[] { 1UL, 2UL, 3UL });
            Assert.Equal(3, region.GetProperty("replicas").GetArrayLength());
            Assert.Single(region.GetProperty("replicas").EnumerateArray(), r => r.GetProperty("role").GetString() == "Leader");
        }
    }

    [Fact]
    public async Task RegionsApiPagesByLimitWithALinkToTheNextPageAndRefusesBadPagingParameters()
    {
        var all = (await RegionsAsync()).Select(r => r.GetProperty("id").GetUInt64()).ToList();
        Assert.True(all.Count >= 2, $"{all.Count} regions");

        var paged = new List<ulong>();
        var next = "/api/regions?limit=1";
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages <= all.Count, $"more pages than regions: {string.Join(", ", paged)}");
            using var response = await host.Http.GetAsync(new Uri(next, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(all.Count.ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("X-Total-Count")));
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            paged.Add(Assert.Single(page.EnumerateArray()).GetProperty("id").GetUInt64());
            next = response.Headers.TryGetValues("Link", out var links)
                ? System.Text.RegularExpressions.Regex.Match(Assert.Single(links), "^<([^>]+)>; rel=\"next\"$").Groups[1].Value
                : null;
        }
        Assert.Equal(all.Order(), paged);

        foreach (var (query, parameter) in new[] { ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=abc", "limit"), ("after=-1", "after"), ("after=x", "after") })
        {
            using var refused = await host.Http.GetAsync(new Uri($"/api/regions?{query}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains($"'{parameter}'", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RegionByIdAnswers404ForAnUnknownIdAnd400ForANonNumber()
    {
        var known = (await RegionsAsync())[0].GetProperty("id").GetUInt64();

        using var found = await host.Http.GetAsync(new Uri($"/api/regions/{known}", UriKind.Relative));
        using var unknown = await host.Http.GetAsync(new Uri("/api/regions/987654", UriKind.Relative));
        using var notANumber = await host.Http.GetAsync(new Uri("/api/regions/abc", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(known, JsonDocument.Parse(await found.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetUInt64());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("987654", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.StatusCode);
        Assert.Contains("abc", await notANumber.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MetricsShowRegionTermsAndProposalLatencyAfterWrites()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        for (var i = 0; i < 10; i++) await db.StringSetAsync($"{(i % 2 == 0 ? "apple" : "zebra")}:metrics:{i}", i);

        var metrics = await host.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains("akkaraft_region_term{region=", metrics);
        Assert.Contains("akkaraft_region_is_leader{region=", metrics);
        Assert.Matches(@"akkaraft_proposal_latency_ms_count\{region=""\d+""\} [1-9]", metrics);
        Assert.Contains("akkaraft_resp_commands_total", metrics);
    }

    [Fact]
    public async Task TransferLeaderMovesTheRegionsLeadershipToTheChosenStore()
    {
        var region = (await RegionsAsync())[0];
        var id = region.GetProperty("id").GetUInt64();
        var target = region.GetProperty("leaderStore").GetUInt64() % 3 + 1; // some other store

        using var response = await host.Http.PostAsync(new Uri($"/api/regions/{id}/transfer-leader?store={target}", UriKind.Relative), JsonBody.Empty());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.UntilAsync(
            async ct => JsonDocument.Parse(await host.Http.GetStringAsync(new Uri($"/api/regions/{id}", UriKind.Relative), ct)).RootElement.GetProperty("leaderStore").GetUInt64(),
            leader => leader == target, Deadline, $"store {target} leading region {id}");
        await using var redis = await host.ConnectRedisAsync();
        Assert.True(await redis.GetDatabase().StringSetAsync("apple:after-transfer", "written"));
        Assert.True(await redis.GetDatabase().StringSetAsync("zebra:after-transfer", "written"));
    }

    [Fact]
    public async Task TransferLeaderToAStoreWithoutAReplicaOrOfAnUnknownRegionIsABadRequest()
    {
        var id = (await RegionsAsync())[0].GetProperty("id").GetUInt64();

        using var noReplica = await host.Http.PostAsync(new Uri($"/api/regions/{id}/transfer-leader?store=9", UriKind.Relative), JsonBody.Empty());
        using var noRegion = await host.Http.PostAsync(new Uri("/api/regions/987654/transfer-leader?store=1", UriKind.Relative), JsonBody.Empty());

        Assert.Equal(HttpStatusCode.BadRequest, noReplica.StatusCode);
        Assert.Contains("holds no replica", await noReplica.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, noRegion.StatusCode);
    }

    private async Task<List<JsonElement>> RegionsAsync()
    {
        var json = await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative));
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
