using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>StackExchange.Redis, unchanged, using hashes, lists, sets, sorted sets and expiry against the real embedded cluster.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class RespTypedCommandsTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task HashesWorkThroughStackExchangeRedisInBothRegions()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        foreach (var key in new[] { "apple:hash", "zebra:hash" })
        {
            await db.HashSetAsync(key, [new("name", "ada"), new("age", "36")]);
            Assert.True(await db.HashSetAsync(key, "city", "london"));
            Assert.False(await db.HashSetAsync(key, "city", "paris"));
            Assert.Equal("paris", (string?)await db.HashGetAsync(key, "city"));
            Assert.Equal(3, await db.HashLengthAsync(key));
            Assert.Equal(40, await db.HashIncrementAsync(key, "age", 4));
            Assert.Equal(1.5, await db.HashIncrementAsync(key, "score", 1.5));
            var all = (await db.HashGetAllAsync(key)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
            Assert.Equal(new Dictionary<string, string?> { ["name"] = "ada", ["age"] = "40", ["city"] = "paris", ["score"] = "1.5" }, all);
            Assert.True(await db.HashDeleteAsync(key, "name"));
            Assert.False(await db.HashExistsAsync(key, "name"));
            Assert.Equal(["40", null], (await db.HashGetAsync(key, ["age", "nope"])).Select(v => (string?)v));
            Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(key));
            Assert.True(await db.KeyDeleteAsync(key));
        }
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ListsSetsAndSortedSetsWorkThroughStackExchangeRedis(RedisProtocol protocol)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", host.RespPort } },
            Protocol = protocol,
            ConnectTimeout = 15_000,
            SyncTimeout = 15_000,
            AsyncTimeout = 15_000,
        });
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(["apple:list", "zebra:set", "zebra:zset"]);

        Assert.Equal(3, await db.ListRightPushAsync("apple:list", ["a", "b", "c"]));
        Assert.Equal(4, await db.ListLeftPushAsync("apple:list", "z"));
        Assert.Equal(["z", "a", "b", "c"], (await db.ListRangeAsync("apple:list")).Select(v => (string?)v));
        Assert.Equal("z", (string?)await db.ListLeftPopAsync("apple:list"));
        Assert.Equal(["c", "b"], (await db.ListRightPopAsync("apple:list", 2)).Select(v => (string?)v));
        Assert.Equal(1, await db.ListLengthAsync("apple:list"));

        Assert.Equal(3, await db.SetAddAsync("zebra:set", ["x", "y", "z"]));
        Assert.True(await db.SetContainsAsync("zebra:set", "y"));
        Assert.Equal(["x", "y", "z"], (await db.SetMembersAsync("zebra:set")).Select(v => (string)v!).Order());
        Assert.True(await db.SetRemoveAsync("zebra:set", "y"));
        Assert.Equal(2, await db.SetLengthAsync("zebra:set"));

        Assert.Equal(3, await db.SortedSetAddAsync("zebra:zset", [new("a", 1), new("b", 2.5), new("c", 3)]));
        Assert.Equal(2.5, await db.SortedSetScoreAsync("zebra:zset", "b"));
        Assert.Equal(4.5, await db.SortedSetIncrementAsync("zebra:zset", "b", 2));
        Assert.Equal(["a", "c", "b"], (await db.SortedSetRangeByRankAsync("zebra:zset")).Select(v => (string?)v));
        var byScore = await db.SortedSetRangeByScoreWithScoresAsync("zebra:zset", 2, 10);
        Assert.Equal([("c", 3.0), ("b", 4.5)], byScore.Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal(1, await db.SortedSetRankAsync("zebra:zset", "c"));
        Assert.Equal(2, await db.SortedSetLengthAsync("zebra:zset", 1, 4));
        var popped = await db.SortedSetPopAsync("zebra:zset", Order.Descending);
        Assert.Equal(("b", 4.5), ((string)popped!.Value.Element!, popped.Value.Score));
    }

    [Fact]
    public async Task WrongTypeExpiryAndCrossRegionErrorsReachTheClientWithRedisTexts()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        await db.HashSetAsync("apple:typed", "f", "v");

        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync("apple:typed"));
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", wrongType.Message);
        await Assert.ThrowsAsync<RedisServerException>(() => db.ListLeftPushAsync("apple:typed", "x"));
        await db.StringSetAsync("apple:plain", "text");
        // MGET answers nil for a key of another type, as Redis does.
        Assert.Equal([null, "text"], (await db.StringGetAsync(["apple:typed", "apple:plain"])).Select(v => (string?)v));

        Assert.True(await db.KeyExpireAsync("apple:typed", TimeSpan.FromSeconds(100)));
        var ttl = await db.KeyTimeToLiveAsync("apple:typed");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(100));
        Assert.True(await db.KeyPersistAsync("apple:typed"));
        Assert.Null(await db.KeyTimeToLiveAsync("apple:typed"));
        Assert.True(await db.KeyExpireAsync("apple:typed", TimeSpan.FromMilliseconds(1)));
        await Eventually.UntilAsync(_ => db.KeyExistsAsync("apple:typed"), exists => !exists, TimeSpan.FromSeconds(10), "apple:typed to expire");
        Assert.Equal(0, await db.HashLengthAsync("apple:typed"));

        await db.SetAddAsync("apple:s1", "m");
        await db.SetAddAsync("zebra:s2", "m");
        var cross = await Assert.ThrowsAsync<RedisServerException>(() => db.SetCombineAsync(SetOperation.Intersect, "apple:s1", "zebra:s2"));
        Assert.StartsWith("CROSSSLOT", cross.Message);
        var arity = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("HSET", "apple:h"));
        Assert.Equal("ERR wrong number of arguments for 'hset' command", arity.Message);
        var syntax = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("ZADD", "apple:z", "XX", "NX", "1", "a"));
        Assert.Equal("ERR XX and NX options at the same time are not compatible", syntax.Message);
    }

    [Fact]
    public async Task CommandListsTheTypedCommandsWithTheirArityAndKeys()
    {
        await using var connection = await RawRespConnection.ConnectAsync(host.RespPort);
        var info = await connection.CommandAsync("COMMAND", "INFO", "hset", "zrangebyscore", "rename");
        Assert.Contains("$hset, :-4", info);
        Assert.Contains("$zrangebyscore, :-4", info);
        Assert.Contains("$rename, :3", info);
        Assert.Equal(":2", await connection.CommandAsync("RPUSH", "apple:raw", "a", "b"));
        Assert.Equal("[$a, $b]", await connection.CommandAsync("LRANGE", "apple:raw", "0", "-1"));
        Assert.Equal("+list", await connection.CommandAsync("TYPE", "apple:raw"));
    }

    [Fact]
    public async Task Resp3SendsMapsSetsScorePairsAndDoublesAsRedis7Does()
    {
        await using var connection = await RawRespConnection.ConnectAsync(host.RespPort);
        await connection.CommandAsync("HELLO", "3");
        await connection.CommandAsync("DEL", "apple:r3h", "apple:r3s", "apple:r3z");
        await connection.CommandAsync("HSET", "apple:r3h", "a", "1");
        await connection.CommandAsync("SADD", "apple:r3s", "x");
        await connection.CommandAsync("ZADD", "apple:r3z", "1", "a", "2.5", "b", "3", "c");

        Assert.Equal("{$a: $1}", await connection.CommandAsync("HGETALL", "apple:r3h"));
        Assert.Equal("[$x]", await connection.CommandAsync("SMEMBERS", "apple:r3s"));
        Assert.Equal(",2.5", await connection.CommandAsync("ZSCORE", "apple:r3z", "b"));
        Assert.Equal("[[$a, ,1], [$b, ,2.5], [$c, ,3]]", await connection.CommandAsync("ZRANGE", "apple:r3z", "0", "-1", "WITHSCORES"));
        Assert.Equal("[$a, ,1]", await connection.CommandAsync("ZPOPMIN", "apple:r3z"));
        Assert.Equal("[[$b, ,2.5]]", await connection.CommandAsync("ZPOPMIN", "apple:r3z", "1"));
        Assert.Equal("[,3, (nil)]", await connection.CommandAsync("ZMSCORE", "apple:r3z", "c", "x"));
        await connection.CommandAsync("HELLO", "2");
        Assert.Equal("$3", await connection.CommandAsync("ZSCORE", "apple:r3z", "c"));
        Assert.Equal("[$c, $3]", await connection.CommandAsync("ZRANGE", "apple:r3z", "0", "-1", "WITHSCORES"));
    }
}
