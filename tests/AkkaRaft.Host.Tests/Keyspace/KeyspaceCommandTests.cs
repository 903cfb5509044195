using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;

namespace AkkaRaft.Host.Tests.Keyspace;

/// <summary>SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHDB and FLUSHALL on the embedded three-node host (regions ["", "m") and ["m", "")), through StackExchange.Redis.</summary>
[Collection(RestartCollection.Name)]
public sealed class KeyspaceCommandTests(KeyspaceHostFixture fixture) : IClassFixture<KeyspaceHostFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task ScanVisitsEveryKeyOfBothRegionsOnceAndFiltersByMatchAndType()
    {
        await using var redis = await ConnectAdminAsync();
        var (db, server) = await EmptyAsync(redis);
        var keys = Enumerable.Range(0, 60).Select(i => $"{(char)('a' + (i % 26))}:scan:{i}").ToList(); // both sides of "m"
        foreach (var key in keys) Assert.True(await db.StringSetAsync(key, "v"));

        var scanned = server.Keys(pattern: "*", pageSize: 7).Select(k => (string)k!).ToList();
        var matched = server.Keys(pattern: "[a-f]:scan:*", pageSize: 5).Select(k => (string)k!).ToList();
        var strings = await db.ExecuteAsync("SCAN", "0", "COUNT", "1000", "TYPE", "string");
        var hashes = await db.ExecuteAsync("SCAN", "0", "COUNT", "1000", "TYPE", "hash");

        Assert.Equal(keys.Order(StringComparer.Ordinal), scanned.Order(StringComparer.Ordinal)); // each key once
        Assert.Equal(keys.Where(k => k[0] <= 'f').Order(StringComparer.Ordinal), matched.Order(StringComparer.Ordinal));
        Assert.Equal(60, ((RedisResult[])strings!)[1].Length);
        Assert.Equal("0", (string?)((RedisResult[])strings!)[0]);
        Assert.Empty((RedisResult[])((RedisResult[])hashes!)[1]!);
    }

    [Fact]
    public async Task ScanCursorStaysValidWhenTheRegionSplitsBetweenPages()
    {
        await using var redis = await ConnectAdminAsync();
        var (db, _) = await EmptyAsync(redis);
        var keys = Enumerable.Range(0, 40).Select(i => $"split:{i:D2}").ToList(); // all in ["m", ""): "s" sorts after "m"
        foreach (var key in keys) Assert.True(await db.StringSetAsync(key, "v"));

        var first = (RedisResult[])(await db.ExecuteAsync("SCAN", "0", "COUNT", "10"))!;
        var seen = ((RedisResult[])first[1]!).Select(k => (string)k!).ToList();
        var cursor = (string)first[0]!;
        Assert.NotEqual("0", cursor);
        var regionsBefore = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement.GetArrayLength();
        await SplitRegionHoldingAsync("split:", "split:25");
        var regionsAfter = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement.GetArrayLength();
        while (cursor != "0")
        {
            var page = (RedisResult[])(await db.ExecuteAsync("SCAN", cursor, "COUNT", "10"))!;
            seen.AddRange(((RedisResult[])page[1]!).Select(k => (string)k!));
            cursor = (string)page[0]!;
        }

        Assert.Equal(regionsBefore + 1, regionsAfter);
        Assert.Equal(keys, seen); // each key exactly once, in key order, across the split
    }

    [Fact]
    public async Task KeysMatchesOverAllRegionsAndDbsizeCountsLiveKeysOnly()
    {
        await using var redis = await ConnectAdminAsync();
        var (db, server) = await EmptyAsync(redis);
        foreach (var key in new[] { "apple:k", "apricot:k", "banana:k", "zebra:k", "zinc:other" }) Assert.True(await db.StringSetAsync(key, "v"));
        Assert.True(await db.StringSetAsync("apple:short-lived", "v", TimeSpan.FromMilliseconds(300)));
        Assert.True(await db.StringSetAsync("zebra:short-lived", "v", TimeSpan.FromMilliseconds(300)));

        await Eventually.UntilAsync(_ => server.DatabaseSizeAsync(), n => n == 5, Deadline, "DBSIZE leaving the expired keys out");
        var colonK = ((RedisResult[])(await db.ExecuteAsync("KEYS", "*:k"))!).Select(k => (string)k!).Order(StringComparer.Ordinal);
        var startsWithA = ((RedisResult[])(await db.ExecuteAsync("KEYS", "ap*"))!).Select(k => (string)k!).Order(StringComparer.Ordinal);
        var none = (RedisResult[])(await db.ExecuteAsync("KEYS", "nothing*"))!;

        Assert.Equal(["apple:k", "apricot:k", "banana:k", "zebra:k"], colonK);
        Assert.Equal(["apple:k", "apricot:k"], startsWithA);
        Assert.Empty(none);
    }

    [Fact]
    public async Task RandomKeyReturnsALiveKeyOfEitherRegionAndNilWhenEmpty()
    {
        await using var redis = await ConnectAdminAsync();
        var (db, _) = await EmptyAsync(redis);
        Assert.Null((string?)await db.KeyRandomAsync());
        var keys = new HashSet<string> { "apple:r", "kiwi:r", "pear:r", "zebra:r" };
        foreach (var key in keys) Assert.True(await db.StringSetAsync(key, "v"));

        var picked = new HashSet<string>();
        for (var i = 0; i < 200 && picked.Count < keys.Count; i++) picked.Add((string)(await db.KeyRandomAsync())!);

        Assert.Equal(keys, picked); // every key comes up: both regions are drawn from
    }

    [Fact]
    public async Task FlushdbAndFlushallEmptyEveryRegion()
    {
        await using var redis = await ConnectAdminAsync();
        var (db, server) = await EmptyAsync(redis);
        foreach (var key in new[] { "apple:f", "zebra:f" }) Assert.True(await db.StringSetAsync(key, "v"));
        Assert.Equal(2, await server.DatabaseSizeAsync());

        await server.FlushDatabaseAsync();
        var afterFlushdb = await server.DatabaseSizeAsync();
        foreach (var key in new[] { "apple:f", "zebra:f" }) Assert.True(await db.StringSetAsync(key, "v"));
        await server.FlushAllDatabasesAsync();

        Assert.Equal(0, afterFlushdb);
        Assert.Equal(0, await server.DatabaseSizeAsync());
        Assert.False(await db.KeyExistsAsync("apple:f"));
        Assert.Equal("OK", (await db.ExecuteAsync("FLUSHDB", "ASYNC")).ToString());
    }

    [Fact]
    public async Task BadArgumentsGetRedisErrors()
    {
        await using var wire = await RawRespConnection.ConnectAsync(host.RespPort);

        Assert.Equal("-ERR invalid cursor", await wire.CommandAsync("SCAN", "abc"));
        Assert.Equal("-ERR invalid cursor", await wire.CommandAsync("SCAN", "-1"));
        Assert.StartsWith("-ERR invalid or expired cursor", await wire.CommandAsync("SCAN", "123456789"));
        Assert.Equal("-ERR syntax error", await wire.CommandAsync("SCAN", "0", "COUNT", "0"));
        Assert.Equal("-ERR syntax error", await wire.CommandAsync("SCAN", "0", "COUNT"));
        Assert.Equal("-ERR syntax error", await wire.CommandAsync("SCAN", "0", "LIMIT", "5"));
        Assert.Equal("-ERR value is not an integer or out of range", await wire.CommandAsync("SCAN", "0", "COUNT", "ten"));
        Assert.Equal("-ERR wrong number of arguments for 'scan' command", await wire.CommandAsync("SCAN"));
        Assert.Equal("-ERR wrong number of arguments for 'keys' command", await wire.CommandAsync("KEYS"));
        Assert.Equal("-ERR wrong number of arguments for 'randomkey' command", await wire.CommandAsync("RANDOMKEY", "x"));
        Assert.Equal("-ERR syntax error", await wire.CommandAsync("FLUSHDB", "NOW"));
        Assert.Equal("-ERR syntax error", await wire.CommandAsync("FLUSHALL", "ASYNC", "SYNC"));
        Assert.StartsWith("-ERR pattern too long", await wire.CommandAsync("KEYS", new string('*', 2000)));
    }

    /// <summary>StackExchange.Redis with admin commands (FLUSHDB, KEYS through IServer) allowed.</summary>
    private async Task<ConnectionMultiplexer> ConnectAdminAsync() => await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", host.RespPort } },
        AllowAdmin = true,
        ConnectTimeout = 15_000,
        SyncTimeout = 15_000,
        AsyncTimeout = 15_000,
    });

    /// <summary>Flushes the host and checks it is empty.</summary>
    private static async Task<(IDatabase Db, IServer Server)> EmptyAsync(ConnectionMultiplexer redis)
    {
        var server = redis.GetServers().Single();
        await server.FlushDatabaseAsync();
        Assert.Equal(0, await server.DatabaseSizeAsync());
        return (redis.GetDatabase(), server);
    }

    /// <summary>Splits the region holding <paramref name="key"/> at <paramref name="splitKey"/> through the admin API.</summary>
    private async Task SplitRegionHoldingAsync(string key, string splitKey)
    {
        var regions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
        var holding = regions.EnumerateArray().Single(r =>
            string.CompareOrdinal(r.GetProperty("startKey").GetString(), key) <= 0
            && (r.GetProperty("endKey").GetString() is not { Length: > 0 } end || string.CompareOrdinal(key, end) < 0));
        var id = holding.GetProperty("id").GetUInt64().ToString(CultureInfo.InvariantCulture);
        using var response = await host.Http.PostAsync(new Uri($"/api/regions/{id}/split?key={Uri.EscapeDataString(splitKey)}", UriKind.Relative), JsonContent.Create(new { }));
        Assert.True(response.IsSuccessStatusCode, $"split of region {id} at {splitKey}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
