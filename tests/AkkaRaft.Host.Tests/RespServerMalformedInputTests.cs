using System.Text;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests;

/// <summary>Malformed input closes that client only; others keep working and acknowledged writes stay.</summary>
public sealed class RespServerMalformedInputTests : IClassFixture<SharedRespServer>
{
    private readonly RespTestServer server;

    public RespServerMalformedInputTests(SharedRespServer shared) => server = shared.Server;

    [Theory]
    [InlineData("*abc\r\n", "-ERR Protocol error: invalid multibulk length")]
    [InlineData("*-3\r\n", "-ERR Protocol error: invalid multibulk length")]
    [InlineData("*2\r\n$3\r\nGET\r\n$-7\r\n", "-ERR Protocol error: invalid bulk length")]
    [InlineData("*2\r\n$3\r\nSET\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length")]
    [InlineData("*2\r\n$3\r\nGET\r\n:12\r\n", "-ERR Protocol error: expected '$', got ':'")]
    [InlineData("$3\r\nGET\r\n", "-ERR Protocol error: expected '*', got '$'")]
    [InlineData("\u0000\u00ff\u0013\u0037binary-garbage\r\n", "-ERR Protocol error: unexpected byte 0x00 in inline request")]
    [InlineData("*1\r\n$4\r\nPINGPONG\r\n", "-ERR Protocol error: expected CRLF after bulk string")]
    public async Task MalformedFrameGetsAProtocolErrorAndOnlyThatConnectionCloses(string garbage, string expectedError)
    {
        var key = "acked:" + Guid.NewGuid().ToString("N");
        await using var bystander = await server.ConnectRawAsync();
        Assert.Equal("+OK", await bystander.CommandAsync("SET", key, "kept"));

        await using var offender = await server.ConnectRawAsync();
        Assert.Equal("+PONG", await offender.CommandAsync("PING"));
        await offender.SendAsync(garbage);

        Assert.Equal(expectedError, await offender.ReadReplyAsync());
        Assert.True(await offender.IsClosedByServerAsync());
        Assert.Equal("$kept", await bystander.CommandAsync("GET", key));
        await using var newcomer = await server.ConnectRawAsync();
        Assert.Equal("$kept", await newcomer.CommandAsync("GET", key));
    }

    [Fact]
    public async Task CommandsBeforeAMalformedFrameInTheSameWriteAreAnsweredFirst()
    {
        await using var connection = await server.ConnectRawAsync();

        await connection.SendAsync(RawRespConnection.Encode("SET", "before:garbage", "1") + RawRespConnection.Encode("INCR", "before:garbage") + "*x\r\n");

        Assert.Equal("+OK", await connection.ReadReplyAsync());
        Assert.Equal(":2", await connection.ReadReplyAsync());
        Assert.Equal("-ERR Protocol error: invalid multibulk length", await connection.ReadReplyAsync());
        Assert.True(await connection.IsClosedByServerAsync());
        Assert.Equal("2", server.Store.Peek("before:garbage"));
    }

    [Fact]
    public async Task HalfACommandThenDisconnectIsNeverExecuted()
    {
        await using (var quitter = await server.ConnectRawAsync())
        {
            Assert.Equal("+OK", await quitter.CommandAsync("SET", "half:acked", "1"));
            await quitter.SendAsync("*3\r\n$3\r\nSET\r\n$9\r\nhalf:lost\r\n$5\r\nab");
            await using var meanwhile = await server.ConnectRawAsync();
            Assert.Equal("+PONG", await meanwhile.CommandAsync("PING")); // others are served while the half command waits
            quitter.Abort();
        }

        await using var other = await server.ConnectRawAsync();
        Assert.Equal("$1", await other.CommandAsync("GET", "half:acked"));
        Assert.Equal("(nil)", await other.CommandAsync("GET", "half:lost"));
    }

    [Fact]
    public async Task RandomAndTruncatedFramesNeverStopTheServer()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        await using var keeper = await server.ConnectRawAsync();
        Assert.Equal("+OK", await keeper.CommandAsync("SET", "fuzz:acked", "safe"));

        for (var round = 0; round < 40; round++)
        {
            var frame = Encoding.Latin1.GetBytes(RawRespConnection.Encode("SET", "fuzz:" + round, new string('v', random.Next(0, 64))));
            var bytes = random.Next(3) switch
            {
                0 => frame[..random.Next(1, frame.Length)], // truncated
                1 => frame.Select(b => random.Next(8) == 0 ? (byte)random.Next(256) : b).ToArray(), // corrupted
                _ => Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256)).ToArray(), // noise
            };
            await using var fuzzer = await server.ConnectRawAsync();
            await fuzzer.SendAsync(bytes);
            fuzzer.Abort();
        }

        var acked = await keeper.CommandAsync("GET", "fuzz:acked");
        await using var newcomer = await server.ConnectRawAsync();
        var ping = await newcomer.CommandAsync("PING");
        Assert.True(acked == "$safe" && ping == "+PONG", $"after fuzzing with seed {seed}: GET gave {acked}, PING gave {ping}");
    }
}

/// <summary>Value size limit over the wire, with a bulk larger than one socket read.</summary>
public sealed class RespServerValueLimitTests
{
    [Fact]
    public async Task ValueAtTheLimitIsStoredAndOneByteMoreClosesTheConnection()
    {
        const int limit = 1024 * 1024;
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { MaxBulkLength = limit });
        await using var connection = await server.ConnectRawAsync();

        Assert.Equal("+OK", await connection.CommandAsync("SET", "big", new string('x', limit)));
        Assert.Equal(limit, server.Store.Peek("big")!.Length);
        await connection.SendAsync($"*3\r\n$3\r\nSET\r\n$4\r\nbig2\r\n${limit + 1}\r\n");

        Assert.Equal("-ERR Protocol error: invalid bulk length", await connection.ReadReplyAsync());
        Assert.True(await connection.IsClosedByServerAsync());
        Assert.Equal(limit, server.Store.Peek("big")!.Length);
    }
}
