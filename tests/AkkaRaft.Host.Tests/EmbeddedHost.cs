using System.Net;
using Akka.Configuration;
using AkkaRaft.Host.Admin;
using AkkaRaft.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>The real host in this process: an embedded three-node cluster with RESP and HTTP admin on free loopback ports.</summary>
internal sealed class EmbeddedHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly WebApplication app;
    private readonly MetricsCollector metrics;

    private EmbeddedHost(string dataDir, ClusterRuntime cluster, WebApplication app, MetricsCollector metrics, int respPort, Uri httpAddress)
    {
        DataDir = dataDir;
        Cluster = cluster;
        this.app = app;
        this.metrics = metrics;
        RespPort = respPort;
        HttpAddress = httpAddress;
        Http = new HttpClient { BaseAddress = httpAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Fast ticks so elections and leader transfers take well under a second.</summary>
    public static Config TestConfig { get; } = ConfigurationFactory.ParseString("akka-raft.tick-interval = 50ms");

    /// <summary>Where the three nodes keep their data.</summary>
    public string DataDir { get; }

    /// <summary>The running nodes.</summary>
    public ClusterRuntime Cluster { get; }

    /// <summary>The bound RESP port.</summary>
    public int RespPort { get; }

    /// <summary>The HTTP admin base address, e.g. http://127.0.0.1:41234.</summary>
    public Uri HttpAddress { get; }

    /// <summary>A client for the admin API.</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Starts (or restarts, when <paramref name="dataDir"/> holds data) the cluster and its front ends; returns once every region has a leader.
    /// <paramref name="nodeCount"/> above 3 adds nodes that join as empty stores; <paramref name="extra"/> wins over <see cref="TestConfig"/>.
    /// </summary>
    public static async Task<EmbeddedHost> StartAsync(string dataDir, int nodeCount = 3, Config? extra = null, EndpointOptions? endpoints = null)
    {
        var metrics = new MetricsCollector();
        ClusterRuntime? cluster = null;
        WebApplication? app = null;
        try
        {
            cluster = await ClusterRuntime.StartEmbeddedAsync(nodeCount, dataDir, extra is null ? TestConfig : extra.WithFallback(TestConfig), StartTimeout);
            endpoints ??= new EndpointOptions(0, 0, null, IPAddress.Loopback);
            var (built, resp) = HostApp.Build(cluster, endpoints, metrics);
            app = built;
            await app.StartAsync();
            await cluster.WaitUntilReadyAsync(StartTimeout, CancellationToken.None);
            var host = new EmbeddedHost(dataDir, cluster, app, metrics, resp.BoundPort, new Uri(HostApp.HttpAddress(app, resp)));
            if (endpoints.AdminSecret is { } token) host.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return host;
        }
        catch
        {
            if (app is not null) await app.DisposeAsync();
            if (cluster is not null) await cluster.DisposeAsync();
            metrics.Dispose();
            throw;
        }
    }

    /// <summary>A fresh, empty data directory under the temp folder.</summary>
    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "akkaraft-host-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Deletes a data directory made by <see cref="NewDataDir"/>.</summary>
    public static void DeleteDataDir(string dataDir)
    {
        try
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in the temp folder; harmless.
        }
    }

    /// <summary>Connects StackExchange.Redis to the RESP port.</summary>
    public Task<ConnectionMultiplexer> ConnectRedisAsync() => ConnectRedisAsync(RespPort);

    /// <summary>Connects StackExchange.Redis to <paramref name="port"/> on loopback.</summary>
    public static async Task<ConnectionMultiplexer> ConnectRedisAsync(int port, bool abortOnConnectFail = true) =>
        await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port } },
            AbortOnConnectFail = abortOnConnectFail,
            ConnectTimeout = 15_000,
            SyncTimeout = 15_000,
            AsyncTimeout = 15_000,
        });

    /// <summary>Stops the front ends and the cluster (gracefully); the data directory stays.</summary>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await Cluster.DisposeAsync();
        metrics.Dispose();
    }
}

/// <summary>One embedded host shared by the tests of the "embedded host" collection (each test uses its own keys).</summary>
public sealed class EmbeddedHostFixture : IAsyncLifetime
{
    private readonly string dataDir = EmbeddedHost.NewDataDir();

    /// <summary>The host; set once started.</summary>
    internal EmbeddedHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await EmbeddedHost.StartAsync(dataDir);

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        EmbeddedHost.DeleteDataDir(dataDir);
    }
}

/// <summary>
/// Tests against the shared embedded host. The collection does not run in parallel with others: a real cluster
/// on a small machine should not compete with another one.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmbeddedHostCollection : ICollectionFixture<EmbeddedHostFixture>
{
    public const string Name = "embedded host";
}
