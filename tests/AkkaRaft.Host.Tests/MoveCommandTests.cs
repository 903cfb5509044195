using System.Globalization;
using System.Net;
using System.Text.Json;
using Akka.Configuration;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// A four-node embedded host (nodes 1..3 hold the first regions, node 4 joins as an empty store) with the scheduler on a
/// short interval and balancing off, so only the tests move replicas. Shared by <see cref="MoveCommandTests"/>.
/// </summary>
public sealed class FourNodeHostFixture : IAsyncLifetime
{
    /// <summary>Heartbeats every second, so store 4 shows up in placement soon after it starts (the default is 30 s).</summary>
    private static readonly Config ManualOperatorsOnly = ConfigurationFactory.ParseString(
        "akka-raft { scheduler { interval = 200ms, balance = off, catch-up-distance = 10 }\n placement.heartbeat-interval = 1s }");
    private readonly string dataDir = EmbeddedHost.NewDataDir();

    /// <summary>The host; set once started and store 4 is known to the scheduler.</summary>
    internal EmbeddedHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await EmbeddedHost.StartAsync(dataDir, nodeCount: 4, ManualOperatorsOnly);
        await Eventually.UntilAsync(
            async ct => await Host.Http.GetAsync(new Uri("/api/operators", UriKind.Relative), ct) is { StatusCode: HttpStatusCode.OK } r
                ? JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("stores").EnumerateArray().Select(s => s.GetProperty("storeId").GetUInt64()).ToList()
                : [],
            stores => stores.Contains(4UL), TimeSpan.FromSeconds(60), "store 4 registering with the scheduler");
        await Eventually.UntilAsync(async ct => await Host.Cluster.Nodes[0].Client.SetAsync("warm-up"u8.ToArray(), "1"u8.ToArray(), cancellationToken: ct), r => r is Actors.Kv.KvReply.OkReply,
            TimeSpan.FromSeconds(60), "a first write");
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        EmbeddedHost.DeleteDataDir(dataDir);
    }
}

/// <summary>`akkaraft move`, `operators` and `store remove`, and their HTTP endpoints, against a four-node embedded host.</summary>
[Collection(RestartCollection.Name)]
public sealed class MoveCommandTests(FourNodeHostFixture fixture, ITestOutputHelper log) : IClassFixture<FourNodeHostFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly EmbeddedHost host = fixture.Host;

    private string Url => host.HttpAddress.ToString().TrimEnd('/');

    [Fact]
    public async Task HttpMoveMovesAFollowerReplicaToStoreFourAndOperatorsShowItDone()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        var keys = Enumerable.Range(0, 50).Select(i => $"apple-{i:D3}").ToList();
        foreach (var key in keys) Assert.True(await db.StringSetAsync(key, "v-" + key));
        var region = await RegionAsync("");
        var id = region.GetProperty("id").GetUInt64();
        var leader = region.GetProperty("leaderStore").GetUInt64();
        var from = Stores(region).First(s => s != leader);

        JsonElement? done = null;
        // A scheduler that loses placement leadership cancels its operators (a user runs the move again): at most twice here.
        for (var attempt = 0; attempt < 3 && done?.GetProperty("state").GetString() is null or "cancelled"; attempt++)
        {
            using var response = await host.Http.PostAsync(new Uri($"/api/regions/{id}/move?from={from}&to=4", UriKind.Relative), JsonBody.Empty());
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
            var operatorId = body.GetProperty("operator").GetInt64();
            done = await Eventually.UntilAsync(
                async ct => FindOperator(await GetJsonAsync("/api/operators", ct), operatorId),
                op => op is { } o && o.GetProperty("state").GetString() != "running", Patience, $"operator {operatorId} finishing");
            log.WriteLine(done.ToString());
        }

        Assert.Equal("done", done!.Value.GetProperty("state").GetString());
        Assert.Equal(id, done.Value.GetProperty("regionId").GetUInt64());
        var after = await Eventually.UntilAsync(async _ => await RegionAsync(""), r => Stores(r).Contains(4UL), Patience, "placement showing store 4");
        Assert.DoesNotContain(from, Stores(after));
        Assert.Equal(3, Stores(after).Count);
        var values = await db.StringGetAsync([.. keys.Select(k => (RedisKey)k)]);
        Assert.Equal(keys.Select(k => "v-" + k), values.Select(v => (string?)v));
        var store4 = (await GetJsonAsync("/api/stores", CancellationToken.None)).EnumerateArray().Single(s => s.GetProperty("id").GetUInt64() == 4);
        Assert.Equal("up", store4.GetProperty("state").GetString());
        Assert.False(store4.GetProperty("down").GetBoolean());
    }

    [Fact]
    public async Task BadMoveRequestsAnswer400Or404WithTheReasonAndChangeNothing()
    {
        var region = await RegionAsync("m");
        var id = region.GetProperty("id").GetUInt64();
        var holder = Stores(region)[0];
        var other = Stores(region)[1];
        var before = (await GetJsonAsync("/api/regions", CancellationToken.None)).EnumerateArray().Select(r => (r.GetProperty("id").GetUInt64(), r.GetProperty("epoch").GetString())).ToList();
        var operatorsBefore = OperatorIds(await GetJsonAsync("/api/operators", CancellationToken.None));

        await AssertRefusedAsync($"/api/regions/abc/move?from=1&to=4", HttpStatusCode.BadRequest, "'abc' is not a region id");
        await AssertRefusedAsync($"/api/regions/{id}/move?from=x&to=4", HttpStatusCode.BadRequest, "must be store ids");
        await AssertRefusedAsync($"/api/regions/{id}/move?from={holder}", HttpStatusCode.BadRequest, "must be store ids");
        await AssertRefusedAsync($"/api/regions/999/move?from=1&to=4", HttpStatusCode.NotFound, "region 999 does not exist");
        await AssertRefusedAsync($"/api/regions/{id}/move?from={holder}&to=9", HttpStatusCode.BadRequest, "store 9 is unknown");
        await AssertRefusedAsync($"/api/regions/{id}/move?from={holder}&to={other}", HttpStatusCode.BadRequest, $"store {other} already holds a replica");
        var outsider = new ulong[] { 1, 2, 3, 4 }.First(s => !Stores(region).Contains(s));
        await AssertRefusedAsync($"/api/regions/{id}/move?from={outsider}&to={holder}", HttpStatusCode.BadRequest, $"store {outsider} holds no replica");

        var after = (await GetJsonAsync("/api/regions", CancellationToken.None)).EnumerateArray().Select(r => (r.GetProperty("id").GetUInt64(), r.GetProperty("epoch").GetString())).ToList();
        Assert.Equal(before, after);
        Assert.Equal(operatorsBefore, OperatorIds(await GetJsonAsync("/api/operators", CancellationToken.None)));
    }

    [Fact]
    public async Task CliMoveOfTheLeaderReplicaPrintsItsStepsAndExitsZero()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        for (var i = 0; i < 200; i++) Assert.True(await db.StringSetAsync($"melon-{i:D3}", new string('x', 512)));
        var region = await RegionAsync("m");
        var id = region.GetProperty("id").GetUInt64();
        var leader = region.GetProperty("leaderStore").GetUInt64();
        Assert.DoesNotContain(4UL, Stores(region));

        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("move", Text(id), Text(leader), "4", "--url", Url);
        log.WriteLine(output + error);
        if (exitCode == 1 && error.Contains(" cancelled", StringComparison.Ordinal))
        {
            // The scheduler lost placement leadership and cancelled the operator: the user runs the move again.
            (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("move", Text(id), Text(leader), "4", "--url", Url);
            log.WriteLine(output + error);
        }

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Matches($"^operator \\d+: moving region {id} from store {leader} to store 4", output);
        Assert.Contains("step: ", output);
        Assert.Contains("\ndone in ", output);
        var after = await RegionAsync("m");
        Assert.Contains(4UL, Stores(after));
        Assert.DoesNotContain(leader, Stores(after));
        Assert.Equal(new string('x', 512), (string?)await db.StringGetAsync("melon-199"));

        var (listExit, list, listError) = await ChildProcess.RunAkkaraftAsync("operators", "--url", Url);
        log.WriteLine(list + listError);
        Assert.True(listExit == 0, $"exit {listExit}: {list}{listError}");
        Assert.Contains("recent:", list);
        Assert.Matches($"manual +{id} +{leader}->4 ", list);
    }

    [Fact]
    public async Task OperatorsJsonParsesWithRunningRecentAndFourStores()
    {
        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("operators", "--json", "--url", Url);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        using var operators = JsonDocument.Parse(output);
        Assert.NotEqual(0UL, operators.RootElement.GetProperty("schedulerNode").GetUInt64());
        Assert.Equal(JsonValueKind.Array, operators.RootElement.GetProperty("running").ValueKind);
        Assert.Equal(JsonValueKind.Array, operators.RootElement.GetProperty("recent").ValueKind);
        var stores = operators.RootElement.GetProperty("stores").EnumerateArray().ToList();
        Assert.Equal([1UL, 2UL, 3UL, 4UL], stores.Select(s => s.GetProperty("storeId").GetUInt64()).Order());
        Assert.All(stores, s => Assert.Equal("up", s.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task StoreRemoveOfAnUnknownStoreIsAClearErrorWithExitCodeTwo()
    {
        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("store", "remove", "42", "--url", Url);

        Assert.Equal(2, exitCode);
        Assert.Contains("store 42 is unknown", error);
        Assert.Contains("HTTP 404", error);
        Assert.DoesNotContain("Unhandled exception", output + error);
    }

    [Fact]
    public async Task CliMoveOfAnUnknownRegionExitsTwoWithTheReason()
    {
        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("move", "999", "1", "4", "--url", Url);

        Assert.Equal(2, exitCode);
        Assert.Contains("region 999 does not exist", error);
        Assert.DoesNotContain("operator", output);
    }

    private async Task AssertRefusedAsync(string path, HttpStatusCode expected, string reason)
    {
        using var response = await host.Http.PostAsync(new Uri(path, UriKind.Relative), JsonBody.Empty());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path}: HTTP {(int)response.StatusCode} {text}");
        Assert.Contains(reason, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
    }

    private async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct) =>
        JsonDocument.Parse(await host.Http.GetStringAsync(new Uri(path, UriKind.Relative), ct)).RootElement;

    private async Task<JsonElement> RegionAsync(string startKey) =>
        (await GetJsonAsync("/api/regions", CancellationToken.None)).EnumerateArray().Single(r => r.GetProperty("startKey").GetString() == startKey);

    private static List<ulong> Stores(JsonElement region) => [.. region.GetProperty("stores").EnumerateArray().Select(s => s.GetUInt64())];

    private static List<long> OperatorIds(JsonElement operators) =>
        [.. operators.GetProperty("running").EnumerateArray().Concat(operators.GetProperty("recent").EnumerateArray()).Select(o => o.GetProperty("id").GetInt64()).Order()];

    private static JsonElement? FindOperator(JsonElement operators, long id)
    {
        foreach (var op in operators.GetProperty("running").EnumerateArray().Concat(operators.GetProperty("recent").EnumerateArray()))
            if (op.GetProperty("id").GetInt64() == id) return op;
        return null;
    }

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
