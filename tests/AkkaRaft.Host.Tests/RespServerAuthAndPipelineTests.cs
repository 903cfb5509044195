using System.Text;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests;

/// <summary>AUTH / NOAUTH / WRONGPASS with a configured password.</summary>
public sealed class RespServerAuthTests : IAsyncLifetime
{
    private RespTestServer server = null!;

    public async Task InitializeAsync() => server = await RespTestServer.StartAsync(new RespServerOptions { Password = "s3cret" });

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task EveryCommandBeforeAuthGetsNoauthAndNothingReachesTheStore()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("-NOAUTH Authentication required.", await connection.CommandAsync("PING"));
        Assert.Equal("-NOAUTH Authentication required.", await connection.CommandAsync("SET", "noauth:k", "v"));
        Assert.Equal("-NOAUTH Authentication required.", await connection.CommandAsync("NOSUCHCOMMAND"));
        Assert.StartsWith("-NOAUTH HELLO must be called with the client already authenticated", await connection.CommandAsync("HELLO", "3"));
        Assert.Null(server.Store.Peek("noauth:k"));
    }

    [Fact]
    public async Task WrongPasswordOrUserIsRejectedAndTheRightOneUnlocksTheConnection()
    {
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", await connection.CommandAsync("AUTH", "nope"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", await connection.CommandAsync("AUTH", "admin", "s3cret"));
        Assert.Equal("-NOAUTH Authentication required.", await connection.CommandAsync("GET", "k"));
        Assert.Equal("+OK", await connection.CommandAsync("AUTH", "s3cret"));
        Assert.Equal("+OK", await connection.CommandAsync("SET", "auth:k", "v"));
        Assert.Equal("$v", await connection.CommandAsync("GET", "auth:k"));
    }

    [Fact]
    public async Task AuthWithDefaultUserAndHelloWithAuthBothAuthenticate()
    {
        await using var first = await server.ConnectRawAsync();
        await using var second = await server.ConnectRawAsync();

        Assert.Equal("+OK", await first.CommandAsync("AUTH", "default", "s3cret"));
        Assert.Equal("+PONG", await first.CommandAsync("PING"));
        Assert.Equal("-WRONGPASS invalid username-password pair or user is disabled.", await second.CommandAsync("HELLO", "3", "AUTH", "default", "bad"));
        Assert.StartsWith("{$server: $akkaraft", await second.CommandAsync("HELLO", "3", "AUTH", "default", "s3cret"));
        Assert.Equal("+PONG", await second.CommandAsync("PING"));
    }

    [Fact]
    public async Task AuthenticationIsPerConnection()
    {
        await using var authenticated = await server.ConnectRawAsync();
        await using var stranger = await server.ConnectRawAsync();

        Assert.Equal("+OK", await authenticated.CommandAsync("AUTH", "s3cret"));

        Assert.Equal("-NOAUTH Authentication required.", await stranger.CommandAsync("PING"));
    }
}

/// <summary>Pipelined commands: replies in order, one key's commands in order, the pipeline depth bound.</summary>
public sealed class RespServerPipelineTests
{
    [Fact]
    public async Task ThousandPipelinedCommandsInOneWriteAreAnsweredInOrder()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var connection = await server.ConnectRawAsync();
        var batch = new StringBuilder();
        for (var i = 0; i < 1000; i++)
        {
            batch.Append(RawRespConnection.Encode("SET", $"p:{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            batch.Append(RawRespConnection.Encode("INCR", "p:counter"));
            batch.Append(RawRespConnection.Encode("GET", $"p:{i}"));
        }

        await connection.SendAsync(batch.ToString());

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal("+OK", await connection.ReadReplyAsync());
            Assert.Equal($":{i + 1}", await connection.ReadReplyAsync());
            Assert.Equal($"${i}", await connection.ReadReplyAsync());
        }
    }

    [Fact]
    public async Task PipelinedCommandsOnDifferentKeysRunConcurrentlyButNeverBeyondTheDepthLimit()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { MaxPipelineDepth = 4 });
        await using var connection = await server.ConnectRawAsync();
        server.Store.HoldRequests();

        await connection.SendAsync(string.Concat(Enumerable.Range(0, 20).Select(i => RawRespConnection.Encode("SET", $"depth:{i}", "v"))));
        await server.Store.WaitForInFlightAsync(4, TimeSpan.FromSeconds(10));
        server.Store.ReleaseRequests();

        for (var i = 0; i < 20; i++) Assert.Equal("+OK", await connection.ReadReplyAsync());
        Assert.Equal(4, server.Store.MaxInFlight);
    }

    [Fact]
    public async Task PipelinedCommandsOnOneKeyWaitForEachOther()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var connection = await server.ConnectRawAsync();
        server.Store.HoldRequests();

        await connection.SendAsync(RawRespConnection.Encode("SET", "same", "1") + RawRespConnection.Encode("GET", "same") + RawRespConnection.Encode("SET", "other", "2"));
        await server.Store.WaitForInFlightAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, server.Store.InFlight); // GET same must wait for SET same, and so must everything after it
        server.Store.ReleaseRequests();

        Assert.Equal("+OK", await connection.ReadReplyAsync());
        Assert.Equal("$1", await connection.ReadReplyAsync());
        Assert.Equal("+OK", await connection.ReadReplyAsync());
        Assert.Equal(1, server.Store.MaxInFlight);
    }

    [Fact]
    public async Task RepliesArriveEvenWhenTheClientSendsFasterThanTheStoreAnswers()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { MaxPipelineDepth = 2 });
        await using var connection = await server.ConnectRawAsync();
        var payload = new string('x', 4096);

        await connection.SendAsync(string.Concat(Enumerable.Range(0, 2000).Select(i => RawRespConnection.Encode("SET", $"flood:{i}", payload))));

        for (var i = 0; i < 2000; i++) Assert.Equal("+OK", await connection.ReadReplyAsync());
        Assert.Equal(payload, server.Store.Peek("flood:1999"));
        Assert.True(server.Store.MaxInFlight <= 2, $"max in flight {server.Store.MaxInFlight}");
    }
}

/// <summary>Replies larger than one socket write, pipelined.</summary>
public sealed class RespServerLargeReplyTests
{
    [Fact]
    public async Task PipelinedLargeValuesArriveIntactAndInOrder()
    {
        await using var server = await RespTestServer.StartAsync();
        var values = Enumerable.Range(0, 8).Select(i => new string((char)('a' + i), 300 * 1024)).ToArray();
        for (var i = 0; i < values.Length; i++) server.Store.Put($"large:{i}", values[i]);
        await using var connection = await server.ConnectRawAsync();

        await connection.SendAsync(string.Concat(Enumerable.Range(0, values.Length).Select(i => RawRespConnection.Encode("GET", $"large:{i}"))) + RawRespConnection.Encode("PING"));

        foreach (var value in values) Assert.Equal("$" + value, await connection.ReadReplyAsync());
        Assert.Equal("+PONG", await connection.ReadReplyAsync());
    }
}
