using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests;

/// <summary>What a connection may cost before AUTH, how many there may be, and how long one may stay silent.</summary>
public sealed class RespConnectionLimitsTests
{
    [Fact]
    public async Task AHundredMegabyteBulkHeaderBeforeAuthClosesTheConnectionWithAProtocolError()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { Password = "s3cret" });
        await using var stranger = await server.ConnectRawAsync();

        await stranger.SendAsync("*2\r\n$3\r\nSET\r\n$100000000\r\n");

        Assert.Equal("-ERR Protocol error: unauthenticated bulk length", await stranger.ReadReplyAsync());
        Assert.True(await stranger.IsClosedByServerAsync());
        Assert.Equal(1, server.State.ProtocolErrors);
    }

    [Fact]
    public async Task ElevenArgumentsBeforeAuthCloseTheConnectionButTheSameCommandAfterAuthRuns()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { Password = "s3cret" });
        var mset = new[] { "MSET" }.Concat(Enumerable.Range(0, 5).SelectMany(i => new[] { $"limit:{i}", "v" })).ToArray(); // 11 arguments
        await using (var stranger = await server.ConnectRawAsync())
        {
            await stranger.SendCommandAsync(mset);
            Assert.Equal("-ERR Protocol error: unauthenticated multibulk length", await stranger.ReadReplyAsync());
            Assert.True(await stranger.IsClosedByServerAsync());
        }
        Assert.Null(server.Store.Peek("limit:0"));

        await using var client = await server.ConnectRawAsync();
        Assert.Equal("+OK", await client.CommandAsync("AUTH", "s3cret"));
        Assert.Equal("+OK", await client.CommandAsync(mset));
        Assert.Equal("v", server.Store.Peek("limit:4"));
    }

    [Fact]
    public async Task AuthAndCommandsPipelinedInOneWriteUseTheFullLimitsRightAfterAuth()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { Password = "s3cret" });
        await using var client = await server.ConnectRawAsync();
        var big = new string('x', 64 * 1024);

        await client.SendAsync(RawRespConnection.Encode("AUTH", "s3cret") + RawRespConnection.Encode("SET", "pipelined:big", big));

        Assert.Equal("+OK", await client.ReadReplyAsync());
        Assert.Equal("+OK", await client.ReadReplyAsync());
        Assert.Equal(big, server.Store.Peek("pipelined:big"));
    }

    [Fact]
    public async Task TheClientPastMaxClientsGetsRedisErrorAndTheOthersKeepWorking()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { MaxClients = 3 });
        var admitted = new List<RawRespConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                admitted.Add(await server.ConnectRawAsync());
                Assert.Equal("+PONG", await admitted[^1].CommandAsync("PING"));
            }

            await using var fourth = await server.ConnectRawAsync();
            Assert.Equal("-ERR max number of clients reached", await fourth.ReadReplyAsync());
            Assert.True(await fourth.IsClosedByServerAsync());
            Assert.Equal("+PONG", await admitted[0].CommandAsync("PING"));

            // A slot freed is a slot for the next client.
            await admitted[2].DisposeAsync();
            admitted.RemoveAt(2);
            await Eventually.UntilAsync(_ => Task.FromResult(server.State.ConnectedClients), n => n == 2, TimeSpan.FromSeconds(10), "the closed client to be gone");
            await using var fifth = await server.ConnectRawAsync();
            Assert.Equal("+PONG", await fifth.CommandAsync("PING"));
        }
        finally
        {
            foreach (var connection in admitted) await connection.DisposeAsync();
        }
    }

    [Fact]
    public void TheDefaultMaxClientsIsRedisTenThousand()
    {
        Assert.Equal(10_000, new RespServerOptions().MaxClients);
    }

    [Fact]
    public async Task AnIdleConnectionIsClosedAfterTheIdleTimeoutAndABusyOneIsNot()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var idle = await server.ConnectRawAsync();
        await using var busy = await server.ConnectRawAsync();
        Assert.Equal("+PONG", await idle.CommandAsync("PING"));

        var closed = idle.IsClosedByServerAsync();
        while (!closed.IsCompleted)
        {
            Assert.Equal("+PONG", await busy.CommandAsync("PING"));
            await Task.WhenAny(closed, Task.Delay(200));
        }

        Assert.True(await closed);
        Assert.Equal("+PONG", await busy.CommandAsync("PING"));
        Assert.Equal("[$timeout, $1]", await busy.CommandAsync("CONFIG", "GET", "timeout"));
    }

    [Fact]
    public async Task AConnectionThatDoesNotAuthenticateInTimeIsClosedEvenWhileItKeepsTalking()
    {
        await using var server = await RespTestServer.StartAsync(new RespServerOptions { Password = "s3cret", AuthTimeout = TimeSpan.FromSeconds(1) });
        await using var stranger = await server.ConnectRawAsync();
        await using var client = await server.ConnectRawAsync();
        Assert.Equal("+OK", await client.CommandAsync("AUTH", "s3cret"));

        var closed = false;
        for (var i = 0; i < 100 && !closed; i++)
        {
            try
            {
                Assert.Equal("-NOAUTH Authentication required.", await stranger.CommandAsync("PING"));
                await Task.Delay(100);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the unauthenticated connection stayed open");
        Assert.Equal("+PONG", await client.CommandAsync("PING"));
    }
}
