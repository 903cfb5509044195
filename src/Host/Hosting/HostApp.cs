using System.Net;
using AkkaRaft.Host.Admin;
using AkkaRaft.Host.Resp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRaft.Host.Hosting;

/// <summary>Where the host listens.</summary>
internal sealed partial record EndpointOptions(int RespPort, int HttpPort, string? Password, IPAddress Address)
{
    /// <summary>Loopback defaults: RESP 6379, HTTP 8080.</summary>
    public static EndpointOptions Default { get; } = new(6379, 8080, null, IPAddress.Loopback);
}

/// <summary>Runs the front ends (RESP and HTTP admin) over a started <see cref="ClusterRuntime"/> until a signal, then shuts down within a deadline.</summary>
internal static class HostApp
{
    /// <summary>Builds the web application; call <c>StartAsync</c> on it. Ports 0 pick free ports.</summary>
    public static (WebApplication App, RespServerState Resp) Build(
        ClusterRuntime cluster, EndpointOptions endpoints, MetricsCollector metrics, HostStatus? status = null, bool verbose = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        // The host owns the signals (ShutdownSignals); the default console lifetime would take SIGTERM and Ctrl-C too.
        builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>();
        var respOptions = endpoints.RespOptions();
        respOptions.Validate();
        var resp = RespEndpoint.Map(builder, cluster.Client, respOptions);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoints.Address, endpoints.HttpPort));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.WriteIndented = false;
            json.SerializerOptions.Converters.Add(new OperatorTextConverter());
        });
        var app = builder.Build();
        AdminAccess.Use(app, endpoints.Address, endpoints.AdminSecret);
        AdminApi.Map(app, cluster, metrics, resp, status ?? HostStatus.CreateReady());
        return (app, resp);
    }

    /// <summary>The HTTP address Kestrel bound (the real port when 0 was asked for).</summary>
    public static string HttpAddress(WebApplication app, RespServerState resp) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => !a.EndsWith($":{resp.BoundPort}", StringComparison.Ordinal)) ?? "unknown";

    /// <summary>
    /// Starts the nodes and their front ends, prints one line per endpoint and "ready", serves until
    /// <see cref="ShutdownSignals.Requested"/>, then runs the shutdown sequence; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(
        Func<CancellationToken, Task<ClusterRuntime>> start, EndpointOptions endpoints, ShutdownSettings shutdown, bool verbose,
        ShutdownSignals signals, TextWriter output)
    {
        QuietAkkaLogger.Phase = HostPhase.Starting;
        ClusterRuntime cluster;
        try
        {
            cluster = await start(signals.Requested).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Requested.IsCancellationRequested)
        {
            output.WriteLine("stopped before the nodes were up");
            return 0;
        }

        using var metrics = new MetricsCollector();
        var status = new HostStatus();
        var (app, resp) = Build(cluster, endpoints, metrics, status, verbose);
        Exception? failure = null;
        try
        {
            await app.StartAsync(signals.Requested).ConfigureAwait(false);
            foreach (var node in cluster.Nodes) output.WriteLine($"node {node.NodeId}: {node.Address}");
            output.WriteLine($"resp: redis://{endpoints.Address}:{resp.BoundPort}");
            output.WriteLine($"http: {HttpAddress(app, resp)}");
            await cluster.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), signals.Requested).ConfigureAwait(false);
            status.MarkReady();
            QuietAkkaLogger.Phase = HostPhase.Running;
            output.WriteLine("ready");
            await Task.Delay(Timeout.Infinite, signals.Requested).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Requested.IsCancellationRequested)
        {
            // A signal: the sequence below.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e;
        }

        status.MarkStopping();
        QuietAkkaLogger.Phase = HostPhase.Stopping;
        var code = await new ShutdownSequence(shutdown.Timeout, output, signals.SinceSignal).RunAsync(Phases(app, resp, cluster, shutdown)).ConfigureAwait(false);
        signals.ExitCode = code;
        if (failure is not null) throw failure;
        return code;
    }

    /// <summary>
    /// Stop accepting and drain the front ends; hand leaderships to other stores; leave the cluster (the actor systems
    /// and their journals stop); close the journal files.
    /// </summary>
    internal static IReadOnlyList<ShutdownPhase> Phases(WebApplication app, RespServerState resp, ClusterRuntime cluster, ShutdownSettings shutdown) =>
    [
        new("front ends", shutdown.DrainTimeout, async (budget, cut) =>
        {
            var connections = resp.ConnectedClients;
            // Commands still waiting for the store a little before the budget ends get an error reply instead of nothing.
            var failAfter = budget > TimeSpan.FromSeconds(2) ? budget - TimeSpan.FromSeconds(1) : budget / 2;
            using var failPending = new Timer(_ => resp.FailPending(), null, failAfter, Timeout.InfiniteTimeSpan);
            // Kestrel stops listening at once, asks every connection to close, and aborts those still open when cut fires.
            await app.StopAsync(cut).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return $"{connections} RESP connection(s) closed";
        }, () => $"{resp.ConnectedClients} RESP connection(s) still open"),
        new("leaderships", shutdown.TransferLeadersTimeout, (_, cut) => cluster.HandOverLeadershipsAsync(cut), () => cluster.PendingLeaderships),
        new("cluster", null, (_, cut) => cluster.LeaveAsync(cut), () => cluster.PendingNodes),
        new("journal", null, (_, _) =>
        {
            ClusterRuntime.CloseJournals();
            return Task.FromResult("");
        }, () => "journal files not closed"),
    ];

    /// <summary>A host lifetime that leaves the process's signals alone.</summary>
    private sealed class SignalFreeLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
