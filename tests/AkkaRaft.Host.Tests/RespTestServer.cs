using AkkaRaft.Host.Resp;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace AkkaRaft.Host.Tests;

/// <summary>A RESP endpoint on an ephemeral loopback port, backed by an <see cref="InMemoryKvClient"/>.</summary>
internal sealed class RespTestServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private RespTestServer(WebApplication app, RespServerState state, InMemoryKvClient store)
    {
        this.app = app;
        State = state;
        Store = store;
    }

    /// <summary>The fake store behind the endpoint.</summary>
    public InMemoryKvClient Store { get; }

    /// <summary>The endpoint's shared state (port, counters).</summary>
    public RespServerState State { get; }

    /// <summary>The bound port.</summary>
    public int Port => State.BoundPort;

    /// <summary>Starts a server; <paramref name="options"/> defaults to the production defaults on port 0.</summary>
    public static async Task<RespTestServer> StartAsync(RespServerOptions? options = null, InMemoryKvClient? store = null)
    {
        store ??= new InMemoryKvClient();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var state = RespEndpoint.Map(builder, store, (options ?? new RespServerOptions()) with { Port = 0 });
        var app = builder.Build();
        await app.StartAsync();
        if (state.BoundPort == 0) throw new InvalidOperationException("the RESP endpoint did not report its port");
        return new RespTestServer(app, state, store);
    }

    /// <summary>Stops the server as the host's shutdown does: stop listening, ask every connection to close, abort the rest when <paramref name="abortAfter"/> fires.</summary>
    public Task StopAsync(CancellationToken abortAfter) => app.StopAsync(abortAfter);

    /// <summary>Opens a raw TCP connection to the endpoint.</summary>
    public Task<RawRespConnection> ConnectRawAsync() => RawRespConnection.ConnectAsync(Port);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>Shares one server between the tests of a class (each test uses its own keys).</summary>
public sealed class SharedRespServer : IAsyncLifetime
{
    /// <summary>The server; set once started.</summary>
    internal RespTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RespTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
