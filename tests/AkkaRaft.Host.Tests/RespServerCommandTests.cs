using AkkaRaft.Host.Resp;
using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Tests;

/// <summary>Exact replies of every command over a raw socket.</summary>
public sealed class RespServerCommandTests : IClassFixture<SharedRespServer>
{
    private readonly RespTestServer server;

    public RespServerCommandTests(SharedRespServer shared) => server = shared.Server;

    [Fact]
    public async Task PingAndEchoAnswerLikeRedis()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+PONG", await connection.CommandAsync("PING"));
        Assert.Equal("$hi", await connection.CommandAsync("ping", "hi"));
        Assert.Equal("$hello world", await connection.CommandAsync("ECHO", "hello world"));
        await connection.SendAsync("PING\r\n"); // inline, as telnet sends it
        Assert.Equal("+PONG", await connection.ReadReplyAsync());
    }

    [Fact]
    public async Task SetGetDelExistsRoundTripThroughTheStore()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+OK", await connection.CommandAsync("SET", "cmd:a", "1"));
        Assert.Equal("$1", await connection.CommandAsync("GET", "cmd:a"));
        Assert.Equal("1", server.Store.Peek("cmd:a"));
        Assert.Equal(":1", await connection.CommandAsync("EXISTS", "cmd:a", "cmd:missing"));
        Assert.Equal(":1", await connection.CommandAsync("DEL", "cmd:a", "cmd:missing"));
        Assert.Equal("(nil)", await connection.CommandAsync("GET", "cmd:a"));
    }

    [Fact]
    public async Task SetOptionsNxXxGetAndExpiryAreHonoured()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("(nil)", await connection.CommandAsync("SET", "opt:k", "v1", "XX"));
        Assert.Equal("+OK", await connection.CommandAsync("SET", "opt:k", "v1", "NX"));
        Assert.Equal("(nil)", await connection.CommandAsync("SET", "opt:k", "v2", "NX"));
        Assert.Equal("$v1", await connection.CommandAsync("SET", "opt:k", "v3", "XX", "GET"));
        Assert.Equal("+OK", await connection.CommandAsync("SET", "opt:ttl", "x", "px", "1500"));
        server.Store.AdvanceClock(TimeSpan.FromSeconds(2));
        Assert.Equal("(nil)", await connection.CommandAsync("GET", "opt:ttl"));
        Assert.Equal("$v3", await connection.CommandAsync("GET", "opt:k"));
    }

    [Theory]
    [InlineData(new[] { "SET", "k", "v", "NX", "XX" }, "-ERR syntax error")]
    [InlineData(new[] { "SET", "k", "v", "EX" }, "-ERR syntax error")]
    [InlineData(new[] { "SET", "k", "v", "EX", "1", "PX", "5" }, "-ERR syntax error")]
    [InlineData(new[] { "SET", "k", "v", "EX", "0" }, "-ERR invalid expire time in 'set' command")]
    [InlineData(new[] { "SET", "k", "v", "EX", "ten" }, "-ERR value is not an integer or out of range")]
    [InlineData(new[] { "SET", "k", "v", "KEEPTTL" }, "-ERR syntax error")]
    [InlineData(new[] { "GET" }, "-ERR wrong number of arguments for 'get' command")]
    [InlineData(new[] { "GET", "a", "b" }, "-ERR wrong number of arguments for 'get' command")]
    [InlineData(new[] { "MSET", "a", "1", "b" }, "-ERR wrong number of arguments for 'mset' command")]
    [InlineData(new[] { "INCRBY", "k", "x" }, "-ERR value is not an integer or out of range")]
    [InlineData(new[] { "DECRBY", "k", "-9223372036854775808" }, "-ERR decrement would overflow")]
    [InlineData(new[] { "SELECT", "1" }, "-ERR DB index is out of range")]
    [InlineData(new[] { "SELECT", "0" }, "+OK")]
    [InlineData(new[] { "SWAPDB", "now", "x" }, "-ERR unknown command 'SWAPDB', with args beginning with: 'now' 'x' ")]
    [InlineData(new[] { "AUTH", "secret" }, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")]
    [InlineData(new[] { "HELLO", "4" }, "-NOPROTO unsupported protocol version")]
    public async Task InvalidCommandsGetRedisStyleErrorsAndTheConnectionStaysUsable(string[] command, string expected)
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal(expected, await connection.CommandAsync(command));
        Assert.Equal("+PONG", await connection.CommandAsync("PING"));
    }

    [Fact]
    public async Task ClassicStringCommandsSetnxSetexPsetexAndUnlinkWork()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal(":1", await connection.CommandAsync("SETNX", "classic:nx", "a"));
        Assert.Equal(":0", await connection.CommandAsync("SETNX", "classic:nx", "b"));
        Assert.Equal("+OK", await connection.CommandAsync("SETEX", "classic:ex", "10", "x"));
        Assert.Equal("+OK", await connection.CommandAsync("PSETEX", "classic:px", "20000", "y"));
        Assert.Equal("-ERR invalid expire time in 'setex' command", await connection.CommandAsync("SETEX", "classic:ex", "0", "x"));
        server.Store.AdvanceClock(TimeSpan.FromSeconds(11));
        Assert.Equal("[$a, (nil), $y]", await connection.CommandAsync("MGET", "classic:nx", "classic:ex", "classic:px"));
        Assert.Equal(":2", await connection.CommandAsync("UNLINK", "classic:nx", "classic:px"));
    }

    [Fact]
    public async Task IncrementsCountAndRejectTextAndOverflow()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal(":1", await connection.CommandAsync("INCR", "inc:n"));
        Assert.Equal(":11", await connection.CommandAsync("INCRBY", "inc:n", "10"));
        Assert.Equal(":10", await connection.CommandAsync("DECR", "inc:n"));
        Assert.Equal(":-5", await connection.CommandAsync("DECRBY", "inc:n", "15"));
        await connection.CommandAsync("SET", "inc:text", "abc");
        Assert.Equal("-ERR value is not an integer or out of range", await connection.CommandAsync("INCR", "inc:text"));
        await connection.CommandAsync("SET", "inc:max", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("-ERR increment or decrement would overflow", await connection.CommandAsync("INCR", "inc:max"));
    }

    [Fact]
    public async Task MsetThenMgetReturnsValuesInKeyOrderWithNilForMissing()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+OK", await connection.CommandAsync("MSET", "m:a", "1", "z:b", "2"));
        Assert.Equal("[$1, (nil), $2]", await connection.CommandAsync("MGET", "m:a", "m:missing", "z:b"));
    }

    [Fact]
    public async Task HelloThreeSwitchesToResp3MapsAndNulls()
    {
        await using var connection = await server.ConnectRawAsync();

        var hello = await connection.CommandAsync("HELLO", "3", "SETNAME", "tester");
        Assert.StartsWith("{$server: $akkaraft, $version: $7.2.0, $proto: :3, $id: :", hello);
        Assert.EndsWith("$mode: $standalone, $role: $master, $modules: []}", hello);
        Assert.Equal("(nil)", await connection.CommandAsync("GET", "hello:missing"));
        Assert.Equal("$tester", await connection.CommandAsync("CLIENT", "GETNAME"));
        Assert.Equal("{$save: $, $appendonly: $no}", await connection.CommandAsync("CONFIG", "GET", "save", "appendonly"));
        Assert.StartsWith("[$ping, $echo, ", await connection.CommandAsync("COMMAND", "LIST"));
    }

    [Fact]
    public async Task ConfigGetAnswersHarmlessValuesAsAFlatArrayInResp2()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("[$save, $, $appendonly, $no]", await connection.CommandAsync("CONFIG", "GET", "save", "appendonly"));
        Assert.Equal("[$maxmemory, $0, $maxmemory-policy, $noeviction]", await connection.CommandAsync("CONFIG", "GET", "maxmemory*"));
        Assert.Equal("[]", await connection.CommandAsync("CONFIG", "GET", "no-such-setting"));
    }

    [Fact]
    public async Task ConfigGetWithAHostileGlobAnswersAtOnce()
    {
        await using var connection = await server.ConnectRawAsync();

        // A recursive matcher tries every way to split the names among 40 stars: this never answered.
        Assert.Equal("[]", await connection.CommandAsync("CONFIG", "GET", new string('*', 40) + "z"));
        Assert.Equal("[$save, $]", await connection.CommandAsync("CONFIG", "GET", new string('*', 500) + "s*a*v*e"));
        Assert.Equal("+PONG", await connection.CommandAsync("PING"));
    }

    [Fact]
    public async Task ConfigGetRefusesAPatternLongerThanTheCapWithAClearError()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("-ERR pattern too long: 100000 bytes, at most 1024 are allowed", await connection.CommandAsync("CONFIG", "GET", new string('*', 100_000)));
        Assert.Equal("[$save, $]", await connection.CommandAsync("CONFIG", "GET", new string('*', 1020) + "save"));
    }

    [Fact]
    public async Task ConfigGetPatternsFollowRedisGlobRulesIgnoringCase()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("[$maxmemory-policy, $noeviction]", await connection.CommandAsync("CONFIG", "GET", "MAXMEMORY-[^Q]OLICY"));
        Assert.Equal("[$appendonly, $no]", await connection.CommandAsync("CONFIG", "GET", "[A]ppendonl?"));
        Assert.Equal("[$maxmemory, $0]", await connection.CommandAsync("CONFIG", "GET", "[l-n]axmemory"));
        Assert.Equal("[$save, $]", await connection.CommandAsync("CONFIG", "GET", "SAVE"));
        // Without '*', '?' or '[' the name is looked up as written, backslashes included (Redis does the same).
        Assert.Equal("[]", await connection.CommandAsync("CONFIG", "GET", "s\\ave"));
        Assert.Equal("[$save, $]", await connection.CommandAsync("CONFIG", "GET", "s\\av?"));
    }

    [Fact]
    public async Task CommandDescribesTheCommandsItServes()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal($":{RespCommandTable.All.Count}", await connection.CommandAsync("COMMAND", "COUNT"));
        Assert.True(RespCommandTable.All.Count > 100, "the typed keyspace commands are listed");
        var info = await connection.CommandAsync("COMMAND", "INFO", "get", "nosuch");
        Assert.Equal("[[$get, :2, [+readonly, +fast], :1, :1, :1, [], [], [], []], (nil)]", info);
        Assert.StartsWith("[$get, [$summary, ", await connection.CommandAsync("COMMAND", "DOCS", "get"));
        Assert.StartsWith("[[$ping, :-1, ", await connection.CommandAsync("COMMAND"));
        Assert.StartsWith("[[$watch, :-2, [", await connection.CommandAsync("COMMAND", "INFO", "watch"));
        Assert.StartsWith("[[$multi, :1, [", await connection.CommandAsync("COMMAND", "INFO", "multi"));
    }

    [Fact]
    public async Task InfoReportsServerClientsKeyspaceAndRegions()
    {
        await using var connection = await server.ConnectRawAsync();
        await connection.CommandAsync("SET", "info:k", "v");

        var info = await connection.CommandAsync("INFO");

        Assert.Contains("redis_version:7.2.0\r\n", info);
        Assert.Contains($"tcp_port:{server.Port}\r\n", info);
        Assert.Matches(@"connected_clients:[1-9]", info);
        Assert.Matches(@"db0:keys=[1-9]", info);
        Assert.Contains("region_count:2\r\n", info);
        Assert.Contains("region_1:start=,end=m,epoch=1/1,leader_store=1,stores=1;2;3,approximate_size_bytes=1234\r\n", info);
        var regionsOnly = await connection.CommandAsync("INFO", "regions");
        Assert.StartsWith("$# Regions\r\n", regionsOnly);
        Assert.DoesNotContain("# Server", regionsOnly);
    }

    [Fact]
    public async Task DbsizeCountsTheStoresKeys()
    {
        await using var connection = await server.ConnectRawAsync();
        await connection.CommandAsync("SET", "dbsize:k", "v");

        var reply = await connection.CommandAsync("DBSIZE");

        Assert.True(long.Parse(reply[1..], System.Globalization.CultureInfo.InvariantCulture) >= 1, reply);
    }

    [Fact]
    public async Task QuitAnswersOkThenClosesTheConnection()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+OK", await connection.CommandAsync("QUIT"));
        Assert.True(await connection.IsClosedByServerAsync());
    }

    [Fact]
    public async Task ClientSetnameAndSetinfoAreAccepted()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+OK", await connection.CommandAsync("CLIENT", "SETNAME", "me"));
        Assert.Equal("+OK", await connection.CommandAsync("CLIENT", "SETINFO", "lib-name", "test"));
        Assert.Equal("$me", await connection.CommandAsync("CLIENT", "GETNAME"));
        Assert.StartsWith(":", await connection.CommandAsync("CLIENT", "ID"));
    }
}

/// <summary>Typed store errors become the Redis error a client can act on.</summary>
public sealed class RespServerErrorMappingTests
{
    [Theory]
    [InlineData(KvErrorCode.Unavailable, "-TRYAGAIN injected Unavailable")]
    [InlineData(KvErrorCode.OutcomeUnknown, "-UNKNOWN the write may or may not have been applied; read before retrying (injected OutcomeUnknown)")]
    [InlineData(KvErrorCode.Busy, "-BUSY injected Busy")]
    [InlineData(KvErrorCode.NotAnInteger, "-ERR value is not an integer or out of range")]
    [InlineData(KvErrorCode.Overflow, "-ERR increment or decrement would overflow")]
    [InlineData(KvErrorCode.TooLarge, "-ERR injected TooLarge")]
    [InlineData(KvErrorCode.InvalidRequest, "-ERR injected InvalidRequest")]
    public async Task StoreErrorIsMappedToItsRedisError(KvErrorCode code, string expected)
    {
        await using var server = await RespTestServer.StartAsync();
        await using var connection = await server.ConnectRawAsync();
        server.Store.ForcedError = code;

        Assert.Equal(expected, await connection.CommandAsync("SET", "k", "v"));
        Assert.Equal(expected, await connection.CommandAsync("GET", "k"));
        Assert.Equal($"[{expected}, {expected}]", await connection.CommandAsync("MGET", "a", "b"));

        server.Store.ForcedError = null;
        Assert.Equal("+OK", await connection.CommandAsync("SET", "k", "v"));
    }
}

/// <summary>A store that throws instead of answering costs one error reply, not the connection.</summary>
public sealed class RespServerStoreFailureTests
{
    [Fact]
    public async Task StoreThatThrowsGetsAnErrorReplyAndTheConnectionStaysUsable()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var connection = await server.ConnectRawAsync();
        server.Store.ThrowOnCall = true;

        Assert.Equal("-ERR internal error: store exploded", await connection.CommandAsync("GET", "k"));

        server.Store.ThrowOnCall = false;
        Assert.Equal("+OK", await connection.CommandAsync("SET", "k", "v"));
        Assert.Equal("$v", await connection.CommandAsync("GET", "k"));
    }
}
