using StackExchange.Redis;

// The point here is WATCH/MULTI/EXEC itself, not the newer single-command conditional SET the analyzer suggests.
#pragma warning disable SER301

namespace AkkaRaft.Host.Tests;

/// <summary>
/// MULTI/EXEC/DISCARD/WATCH against the real embedded cluster: raw RESP for Redis's exact texts (checked against
/// redis-server 7.0), StackExchange.Redis transactions with conditions. Keys starting "apple" and "zebra" lie in two regions.
/// </summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class RespTransactionTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task ExecAppliesTheQueuedCommandsInOrderWithOneReplyEachAndRuntimeErrorsAsElements()
    {
        await using var c = await RawRespConnection.ConnectAsync(host.RespPort);
        await c.CommandAsync("DEL", "apple:tx:s", "apple:tx:h");
        await c.CommandAsync("HSET", "apple:tx:h", "f", "v");
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:s", "1"));
        Assert.Equal("+QUEUED", await c.CommandAsync("INCR", "apple:tx:s"));
        Assert.Equal("+QUEUED", await c.CommandAsync("INCR", "apple:tx:h"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:s2", "x", "BOGUS"));
        Assert.Equal("+QUEUED", await c.CommandAsync("HGET", "apple:tx:h", "f"));
        Assert.Equal("+QUEUED", await c.CommandAsync("PING"));
        Assert.Equal("+QUEUED", await c.CommandAsync("ECHO", "hi"));
        Assert.Equal(
            "[+OK, :2, -WRONGTYPE Operation against a key holding the wrong kind of value, -ERR syntax error, $v, +PONG, $hi]",
            await c.CommandAsync("EXEC"));
        Assert.Equal("$2", await c.CommandAsync("GET", "apple:tx:s"));
        Assert.Equal("-ERR EXEC without MULTI", await c.CommandAsync("EXEC"));
    }

    [Fact]
    public async Task ErrorsOutsideAndInsideMultiHaveRedisTextsAndQueueErrorsAbortExec()
    {
        await using var c = await RawRespConnection.ConnectAsync(host.RespPort);
        await c.CommandAsync("DEL", "apple:tx:abort");
        Assert.Equal("-ERR EXEC without MULTI", await c.CommandAsync("EXEC"));
        Assert.Equal("-ERR DISCARD without MULTI", await c.CommandAsync("DISCARD"));
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("-ERR MULTI calls can not be nested", await c.CommandAsync("MULTI"));
        Assert.Equal("-ERR WATCH inside MULTI is not allowed", await c.CommandAsync("WATCH", "apple:tx:abort"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:abort", "1"));
        // Neither of those aborts the transaction (as in Redis): it still runs.
        Assert.Equal("[+OK]", await c.CommandAsync("EXEC"));

        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:abort", "2"));
        Assert.Equal("-ERR wrong number of arguments for 'set' command", await c.CommandAsync("SET", "apple:tx:abort"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", await c.CommandAsync("EXEC"));
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("-ERR unknown command 'NOSUCH', with args beginning with: 'x' ", await c.CommandAsync("NOSUCH", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'hset' command", await c.CommandAsync("HSET", "apple:tx:abort", "f"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", await c.CommandAsync("EXEC"));
        Assert.Equal("$1", await c.CommandAsync("GET", "apple:tx:abort"));

        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:abort", "3"));
        Assert.Equal("+OK", await c.CommandAsync("DISCARD"));
        Assert.Equal("$1", await c.CommandAsync("GET", "apple:tx:abort"));
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("[]", await c.CommandAsync("EXEC"));
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.StartsWith("-ERR 'select' cannot be queued in MULTI", await c.CommandAsync("SELECT", "0"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", await c.CommandAsync("EXEC"));
    }

    [Fact]
    public async Task ATransactionOverTwoRegionsIsRefusedWithCrossslotAndAppliesNothing()
    {
        await using var c = await RawRespConnection.ConnectAsync(host.RespPort);
        await c.CommandAsync("DEL", "apple:tx:cross", "zebra:tx:cross");
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:cross", "1"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "zebra:tx:cross", "1"));
        Assert.Equal("-CROSSSLOT Keys in request don't hash to the same region", await c.CommandAsync("EXEC"));
        Assert.Equal(":0", await c.CommandAsync("EXISTS", "apple:tx:cross", "zebra:tx:cross"));

        Assert.Equal("+OK", await c.CommandAsync("WATCH", "zebra:tx:cross"));
        Assert.Equal("+OK", await c.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await c.CommandAsync("SET", "apple:tx:cross", "1"));
        Assert.Equal("-CROSSSLOT WATCHed keys and the transaction's keys are not in the same region", await c.CommandAsync("EXEC"));
        Assert.Equal("-CROSSSLOT Keys in request don't hash to the same region", await c.CommandAsync("WATCH", "apple:tx:cross", "zebra:tx:cross"));
        Assert.Equal("+OK", await c.CommandAsync("WATCH", "apple:tx:cross"));
        Assert.Equal("-CROSSSLOT WATCHed keys don't hash to the same region", await c.CommandAsync("WATCH", "zebra:tx:cross"));
    }

    [Fact]
    public async Task AWatchedKeyWrittenByAnotherConnectionMakesExecAnswerNilAndApplyNothing()
    {
        await using var watcher = await RawRespConnection.ConnectAsync(host.RespPort);
        await using var other = await RawRespConnection.ConnectAsync(host.RespPort);
        await watcher.CommandAsync("SET", "zebra:tx:w", "1");
        await watcher.CommandAsync("DEL", "zebra:tx:w2");

        Assert.Equal("+OK", await watcher.CommandAsync("WATCH", "zebra:tx:w", "zebra:tx:w2"));
        Assert.Equal("+OK", await other.CommandAsync("SET", "zebra:tx:w", "1")); // the same value: still a change
        Assert.Equal("+OK", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await watcher.CommandAsync("INCR", "zebra:tx:w"));
        Assert.Equal("(nil)", await watcher.CommandAsync("EXEC"));
        Assert.Equal("$1", await watcher.CommandAsync("GET", "zebra:tx:w"));

        // EXEC ended the watch: the next transaction runs. A watch with no change in between runs too.
        Assert.Equal("+OK", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await watcher.CommandAsync("INCR", "zebra:tx:w"));
        Assert.Equal("[:2]", await watcher.CommandAsync("EXEC"));
        Assert.Equal("+OK", await watcher.CommandAsync("WATCH", "zebra:tx:w2"));
        Assert.Equal("+OK", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await watcher.CommandAsync("SET", "zebra:tx:w2", "mine"));
        Assert.Equal("[+OK]", await watcher.CommandAsync("EXEC"));

        // A key created by someone else after WATCH (it was absent) aborts; UNWATCH forgets the watch.
        await watcher.CommandAsync("DEL", "zebra:tx:w2");
        Assert.Equal("+OK", await watcher.CommandAsync("WATCH", "zebra:tx:w2"));
        Assert.Equal("+OK", await other.CommandAsync("SET", "zebra:tx:w2", "theirs"));
        Assert.Equal("+OK", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await watcher.CommandAsync("SET", "zebra:tx:w2", "mine"));
        Assert.Equal("(nil)", await watcher.CommandAsync("EXEC"));
        Assert.Equal("$theirs", await watcher.CommandAsync("GET", "zebra:tx:w2"));
        Assert.Equal("+OK", await watcher.CommandAsync("WATCH", "zebra:tx:w2"));
        Assert.Equal("+OK", await other.CommandAsync("SET", "zebra:tx:w2", "again"));
        Assert.Equal("+OK", await watcher.CommandAsync("UNWATCH"));
        Assert.Equal("+OK", await watcher.CommandAsync("MULTI"));
        Assert.Equal("+QUEUED", await watcher.CommandAsync("SET", "zebra:tx:w2", "mine"));
        Assert.Equal("[+OK]", await watcher.CommandAsync("EXEC"));
    }

    [Fact]
    public async Task StackExchangeRedisTransactionsWithConditionsCommitOrAbort()
    {
        await using var redis = await host.ConnectRedisAsync();
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(["apple:se:tx", "apple:se:tx:h", "apple:se:tx:new"]);
        await db.StringSetAsync("apple:se:tx", "v1");

        var tx = db.CreateTransaction();
        tx.AddCondition(Condition.StringEqual("apple:se:tx", "v1"));
        tx.AddCondition(Condition.KeyNotExists("apple:se:tx:new"));
        var set = tx.StringSetAsync("apple:se:tx", "v2");
        var hset = tx.HashSetAsync("apple:se:tx:h", "f", "v");
        var incr = tx.StringIncrementAsync("apple:se:tx:new", 5);
        Assert.True(await tx.ExecuteAsync());
        Assert.True(await set);
        Assert.True(await hset);
        Assert.Equal(5, await incr);
        Assert.Equal("v2", (string?)await db.StringGetAsync("apple:se:tx"));

        var failing = db.CreateTransaction();
        failing.AddCondition(Condition.StringEqual("apple:se:tx", "v1")); // it is v2 now
        _ = failing.StringSetAsync("apple:se:tx", "v3");
        Assert.False(await failing.ExecuteAsync());
        Assert.Equal("v2", (string?)await db.StringGetAsync("apple:se:tx"));

        var hashCondition = db.CreateTransaction();
        hashCondition.AddCondition(Condition.HashEqual("apple:se:tx:h", "f", "v"));
        _ = hashCondition.KeyDeleteAsync("apple:se:tx:h");
        Assert.True(await hashCondition.ExecuteAsync());
        Assert.False(await db.KeyExistsAsync("apple:se:tx:h"));
    }
}
