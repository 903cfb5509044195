using System.Net;
using AkkaRaft.Host.Hosting;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests.Keyspace;

/// <summary>An embedded host of its own with FLUSHDB allowed (akka-raft.host.allow-flush = on), for tests that empty it.</summary>
public sealed class KeyspaceHostFixture : IAsyncLifetime
{
    private readonly string dataDir = EmbeddedHost.NewDataDir();

    /// <summary>The host; set once started.</summary>
    internal EmbeddedHost Host { get; private set; } = null!;

    /// <summary>Endpoints on free loopback ports with FLUSHDB and FLUSHALL allowed.</summary>
    internal static EndpointOptions FlushAllowed { get; } =
        new EndpointOptions(0, 0, null, IPAddress.Loopback) { RespLimits = new RespServerOptions { AllowFlush = true } };

    public async Task InitializeAsync() => Host = await EmbeddedHost.StartAsync(dataDir, endpoints: FlushAllowed);

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        EmbeddedHost.DeleteDataDir(dataDir);
    }
}
