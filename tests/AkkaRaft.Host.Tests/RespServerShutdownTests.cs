using System.Diagnostics;

namespace AkkaRaft.Host.Tests;

/// <summary>What a Redis client sees while the RESP endpoint stops: answers to what it sent, then a closed connection.</summary>
public sealed class RespServerShutdownTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task StoppingServerAnswersTheCommandItAlreadyReceivedThenClosesTheConnection()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectRawAsync();
        server.Store.HoldRequests();
        await client.SendCommandAsync("SET", "drain:k", "v");
        await server.Store.WaitForInFlightAsync(1, Patience);

        // Kestrel would abort connections only after a minute: a prompt close must come from the connection itself.
        using var abortAfter = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var stopping = server.StopAsync(abortAfter.Token);
        server.Store.ReleaseRequests();

        Assert.Equal("+OK", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync(), "the connection stayed open after the server stopped");
        await stopping.WaitAsync(Patience);
        Assert.True(clock.Elapsed < Patience, $"stopping took {clock.Elapsed}");
        Assert.Equal("v", server.Store.Peek("drain:k"));
    }

    [Fact]
    public async Task StoppingServerClosesAnIdleConnectionAtOnce()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectRawAsync();
        Assert.Equal("+PONG", await client.CommandAsync("PING"));

        using var abortAfter = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        await server.StopAsync(abortAfter.Token).WaitAsync(Patience);

        Assert.True(clock.Elapsed < Patience, $"stopping took {clock.Elapsed}");
        Assert.True(await client.IsClosedByServerAsync(), "the idle connection stayed open after the server stopped");
    }

    [Fact]
    public async Task CommandsStillWaitingForTheStoreWhenTheServerGivesUpAreAnsweredWithShutdownErrors()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var client = await server.ConnectRawAsync();
        server.Store.HoldRequests();
        await client.SendAsync(RawRespConnection.Encode("SET", "fail:w", "v") + RawRespConnection.Encode("GET", "fail:r"));
        await server.Store.WaitForInFlightAsync(2, Patience);

        server.State.FailPending();

        var write = await client.ReadReplyAsync();
        var read = await client.ReadReplyAsync();
        Assert.StartsWith("-UNKNOWN ", write, StringComparison.Ordinal);
        Assert.Contains("shutting down", write, StringComparison.Ordinal);
        Assert.Equal("-TRYAGAIN the server is shutting down, try another node", read);
        Assert.True(await client.IsClosedByServerAsync(), "the connection stayed open after its pending commands were failed");
        server.Store.ReleaseRequests();
    }
}
