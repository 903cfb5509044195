using StackExchange.Redis;
using StackExchange.Redis.Availability;

namespace AkkaRaft.Host.Tests;

/// <summary>StackExchange.Redis, unchanged, against the RESP endpoint in RESP2 and RESP3.</summary>
public sealed class RespServerStackExchangeRedisTests : IClassFixture<SharedRespServer>
{
    private readonly RespTestServer server;

    public RespServerStackExchangeRedisTests(SharedRespServer shared) => server = shared.Server;

    private async Task<ConnectionMultiplexer> ConnectAsync(RedisProtocol protocol = RedisProtocol.Resp2, string? password = null, int? port = null)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port ?? server.Port } },
            Protocol = protocol,
            Password = password,
            AbortOnConnectFail = true,
            AllowAdmin = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
        };
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task SetGetDeleteAndExistsWork(RedisProtocol protocol)
    {
        await using var redis = await ConnectAsync(protocol);
        var db = redis.GetDatabase();
        var key = $"se:{protocol}:basic";

        Assert.True(await db.StringSetAsync(key, "hello"));
        Assert.Equal("hello", (string?)await db.StringGetAsync(key));
        Assert.True(await db.KeyExistsAsync(key));
        Assert.True(await db.KeyDeleteAsync(key));
        Assert.False(await db.KeyExistsAsync(key));
        Assert.True((await db.StringGetAsync(key)).IsNull);
        Assert.Equal(protocol, redis.GetServers().Single().Protocol);
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task IncrementsMgetAndMsetWork(RedisProtocol protocol)
    {
        await using var redis = await ConnectAsync(protocol);
        var db = redis.GetDatabase();
        var prefix = $"se:{protocol}:";

        Assert.Equal(1, await db.StringIncrementAsync(prefix + "n"));
        Assert.Equal(6, await db.StringIncrementAsync(prefix + "n", 5));
        Assert.Equal(4, await db.StringDecrementAsync(prefix + "n", 2));
        Assert.True(await db.StringSetAsync([new(prefix + "a", "1"), new(prefix + "z", "26")]));
        var values = await db.StringGetAsync([prefix + "a", prefix + "missing", prefix + "z"]);
        Assert.Equal(["1", null, "26"], values.Select(v => (string?)v));
        Assert.Equal(2, await db.KeyDeleteAsync([prefix + "a", prefix + "z", prefix + "missing"]));
    }

    [Fact]
    public async Task ExpiryAndConditionalSetsFollowRedisSemantics()
    {
        await using var redis = await ConnectAsync();
        var db = redis.GetDatabase();

        Assert.False(await db.StringSetAsync("se:xx", "v", when: When.Exists));
        Assert.True(await db.StringSetAsync("se:nx", "first", when: When.NotExists));
        Assert.False(await db.StringSetAsync("se:nx", "second", when: When.NotExists));
        Assert.Equal("first", (string?)await db.StringGetAsync("se:nx"));
        Assert.Equal("first", (string?)await db.StringSetAndGetAsync("se:nx", "third"));
        Assert.True(await db.StringSetAsync("se:ttl", "short-lived", TimeSpan.FromSeconds(5)));
        Assert.Equal("short-lived", (string?)await db.StringGetAsync("se:ttl"));
        server.Store.AdvanceClock(TimeSpan.FromSeconds(6));
        Assert.True((await db.StringGetAsync("se:ttl")).IsNull);
    }

    [Fact]
    public async Task PipelinedBatchOfThousandOperationsCompletesInOrder()
    {
        await using var redis = await ConnectAsync();
        var db = redis.GetDatabase();

        var batch = db.CreateBatch();
        var sets = Enumerable.Range(0, 500).Select(i => batch.StringSetAsync($"se:batch:{i}", i)).ToArray();
        var increments = Enumerable.Range(0, 500).Select(_ => batch.StringIncrementAsync("se:batch:counter")).ToArray();
        batch.Execute();

        Assert.All(await Task.WhenAll(sets), Assert.True);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), await Task.WhenAll(increments));
        Assert.Equal("499", server.Store.Peek("se:batch:499"));
    }

    [Fact]
    public async Task StoreErrorsSurfaceAsRedisServerExceptions()
    {
        await using var isolated = await RespTestServer.StartAsync();
        await using var redis = await ConnectAsync(port: isolated.Port);
        var db = redis.GetDatabase();
        isolated.Store.ForcedError = AkkaRaft.Actors.Kv.KvErrorCode.Unavailable;

        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("se:down", "v"));

        Assert.StartsWith("TRYAGAIN", error.Message);
        isolated.Store.ForcedError = null;
        Assert.True(await db.StringSetAsync("se:down", "v"));
    }

    [Fact]
    public async Task StackExchangeRedisResendsAnIncrAnsweredTryAgainButNotOneAnsweredUnknown()
    {
        await using var isolated = await RespTestServer.StartAsync();
        await using var redis = await ConnectAsync(port: isolated.Port);
        var db = redis.GetDatabase().WithRetry(new RetryPolicy.Builder { RetryDelay = TimeSpan.FromMilliseconds(10), JitterMax = TimeSpan.Zero }.Create());

        // TRYAGAIN means "not applied" to this client, so it sends even an INCR again: right only when it was not applied.
        isolated.Store.ForcedError = AkkaRaft.Actors.Kv.KvErrorCode.Unavailable;
        var before = isolated.Store.Requests;
        Assert.StartsWith("TRYAGAIN", (await Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync("se:count"))).Message);
        var tryAgainSends = isolated.Store.Requests - before;

        isolated.Store.ForcedError = AkkaRaft.Actors.Kv.KvErrorCode.OutcomeUnknown;
        before = isolated.Store.Requests;
        var unknown = await Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync("se:count"));

        Assert.StartsWith("UNKNOWN the write may or may not have been applied; read before retrying", unknown.Message);
        Assert.Equal(1, isolated.Store.Requests - before);
        Assert.True(tryAgainSends > 1, $"TRYAGAIN was sent {tryAgainSends} time(s)");
    }

    [Fact]
    public async Task PasswordProtectedServerAcceptsTheRightPasswordOnly()
    {
        await using var secured = await RespTestServer.StartAsync(new AkkaRaft.Host.Resp.RespServerOptions { Password = "pw" });

        await using (var redis = await ConnectAsync(password: "pw", port: secured.Port))
        {
            Assert.True(await redis.GetDatabase().StringSetAsync("se:auth", "ok"));
        }

        await Assert.ThrowsAnyAsync<RedisException>(() => ConnectAsync(password: "wrong", port: secured.Port));
        Assert.Equal("ok", secured.Store.Peek("se:auth"));
    }

    [Fact]
    public async Task PingAndInfoWorkThroughTheServerApi()
    {
        await using var redis = await ConnectAsync();
        var endpoint = redis.GetServers().Single();

        Assert.True(await redis.GetDatabase().PingAsync() < TimeSpan.FromSeconds(10));
        var info = await endpoint.InfoAsync("regions");
        Assert.Contains(info.SelectMany(g => g), kv => kv.Key == "region_count" && kv.Value == "2");
    }
}
