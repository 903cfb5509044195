using System.Net;
using AkkaRaft.Host.Admin;
using AkkaRaft.Host.Resp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaRaft.Host.Hosting;

/// <summary>Where the host listens.</summary>
public sealed partial record EndpointOptions(int RespPort, int HttpPort, string? Password, IPAddress Address)
{
    /// <summary>Loopback defaults: RESP 6379, HTTP 8080.</summary>
    public static EndpointOptions Default { get; } = new(6379, 8080, null, IPAddress.Loopback);
}

/// <summary>Runs the front ends (RESP and HTTP admin) over a started <see cref="ClusterRuntime"/> until cancelled.</summary>
public static class HostApp
{
    /// <summary>Builds the web application; call <c>StartAsync</c> on it. Ports 0 pick free ports.</summary>
    public static (WebApplication App, RespServerState Resp) Build(ClusterRuntime cluster, EndpointOptions endpoints, MetricsCollector metrics)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
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
        AdminApi.Map(app, cluster, metrics, resp);
        return (app, resp);
    }

    /// <summary>The HTTP address Kestrel bound (the real port when 0 was asked for).</summary>
    public static string HttpAddress(WebApplication app, RespServerState resp) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => !a.EndsWith($":{resp.BoundPort}", StringComparison.Ordinal)) ?? "unknown";

    /// <summary>Starts the cluster's front ends, prints one line per endpoint and "ready", then waits for cancellation.</summary>
    public static async Task<int> RunAsync(Func<Task<ClusterRuntime>> start, EndpointOptions endpoints, TextWriter output, CancellationToken cancellationToken)
    {
        using var metrics = new MetricsCollector();
        await using var cluster = await start().ConfigureAwait(false);
        var (app, resp) = Build(cluster, endpoints, metrics);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var node in cluster.Nodes) output.WriteLine($"node {node.NodeId}: {node.Address}");
            output.WriteLine($"resp: redis://{endpoints.Address}:{resp.BoundPort}");
            output.WriteLine($"http: {HttpAddress(app, resp)}");
            await cluster.WaitUntilReadyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
            output.WriteLine("ready");
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine("shutting down");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return 0;
    }
}
