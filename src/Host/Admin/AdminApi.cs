using System.Globalization;
using System.Text;
using AkkaRaft.Host.Hosting;
using AkkaRaft.Host.Resp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AkkaRaft.Host.Admin;

/// <summary>HTTP admin surface: liveness, readiness, health, Prometheus metrics, stores and regions as JSON, leader transfer, split, move operators, the dashboard.</summary>
internal static class AdminApi
{
    /// <summary>Regions per page of GET /api/regions without <c>limit</c>; the response's Link header points at the next page.</summary>
    public const int DefaultRegionPage = 1000;

    /// <summary>The largest <c>limit</c> GET /api/regions accepts.</summary>
    public const int MaxRegionPage = 10_000;

    /// <summary>Maps every admin endpoint onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, ClusterRuntime cluster, MetricsCollector metrics, RespServerState? resp, HostStatus status)
    {
        // Liveness: the process answers HTTP. An orchestrator restarts a process that stops answering.
        app.MapGet("/livez", () => Results.Ok(new { status = "ok" }));
        // Readiness: started, not stopping, this process's stores answer and the router knows a region for every key.
        app.MapGet("/readyz", async (CancellationToken ct) =>
        {
            var reason = status.IsStopping ? "shutting down" : !status.IsReady ? "starting" : await cluster.NotReadyReasonAsync(ct);
            return reason is null
                ? Results.Ok(new { status = "ready" })
                : Results.Json(new { status = "not ready", reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });

        app.MapGet("/health", async (CancellationToken ct) =>
        {
            var regions = await cluster.RegionsAsync(ct);
            var missing = regions.Where(r => !ClusterRuntime.HasLeader(r)).Select(r => r.Id).ToList();
            return regions.Count > 0 && missing.Count == 0
                ? Results.Ok(new { status = "ok", regions = regions.Count })
                : Results.Json(new { status = "unavailable", regions = regions.Count, without_leader = missing }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });

        app.MapGet("/metrics", async (CancellationToken ct) =>
        {
            var text = new StringBuilder();
            var regions = await cluster.RegionsAsync(ct);
            WriteRegionGauges(text, regions);
            if (resp is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"# TYPE akkaraft_resp_connected_clients gauge\nakkaraft_resp_connected_clients {resp.ConnectedClients}\n");
                text.Append(CultureInfo.InvariantCulture, $"# TYPE akkaraft_resp_commands_total counter\nakkaraft_resp_commands_total {resp.TotalCommands}\n");
            }
            metrics.WriteTo(text);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4");
        });

        app.MapGet("/api/stores", async (CancellationToken ct) => Results.Ok(await cluster.StoresAsync(ct)));
        app.MapGet("/api/regions", async (HttpContext http, string? after, string? limit, CancellationToken ct) =>
        {
            var afterId = 0UL;
            if (after is not null && !ulong.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
                return Results.BadRequest(new { error = $"query parameter 'after' must be a region id, not '{after}'" });
            var pageSize = DefaultRegionPage;
            if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxRegionPage))
                return Results.BadRequest(new { error = $"query parameter 'limit' must be a number from 1 to {MaxRegionPage}, not '{limit}'" });
            var page = await cluster.RegionPageAsync(afterId, pageSize, ct);
            http.Response.Headers["X-Total-Count"] = page.Total.ToString(CultureInfo.InvariantCulture);
            if (page.NextAfter is { } next)
                http.Response.Headers.Link = $"</api/regions?after={next}&limit={pageSize}>; rel=\"next\"";
            return Results.Ok(page.Regions);
        });
        app.MapGet("/api/regions/{id}", async (string id, CancellationToken ct) =>
        {
            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var regionId))
            {
                return Results.BadRequest(new { error = $"'{id}' is not a region id" });
            }
            var region = await cluster.RegionAsync(regionId, ct);
            return region is null ? Results.NotFound(new { error = $"region {regionId} does not exist" }) : Results.Ok(region);
        });
        app.MapPost("/api/regions/{id}/transfer-leader", async (string id, string? store, CancellationToken ct) =>
        {
            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var regionId))
            {
                return Results.BadRequest(new { error = $"'{id}' is not a region id" });
            }
            if (!ulong.TryParse(store, NumberStyles.None, CultureInfo.InvariantCulture, out var storeId))
            {
                return Results.BadRequest(new { error = "query parameter 'store' must be a store id" });
            }
            var error = await cluster.TransferLeaderAsync(regionId, storeId, ct);
            return error is null ? Results.Ok(new { region = regionId, transferring_to = storeId }) : Results.BadRequest(new { error });
        });
        app.MapPost("/api/regions/{id}/split", async (string id, string? key, CancellationToken ct) =>
        {
            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var regionId))
            {
                return Results.BadRequest(new { error = $"'{id}' is not a region id" });
            }
            var outcome = await cluster.SplitAsync(regionId, key is null ? null : Encoding.UTF8.GetBytes(key), ct);
            if (outcome.Error is { } error)
            {
                return outcome.UnknownRegion ? Results.NotFound(new { error }) : Results.BadRequest(new { error });
            }
            return Results.Ok(outcome.Regions);
        });
        app.MapPost("/api/regions/{id}/move", async (string id, string? from, string? to, CancellationToken ct) =>
        {
            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var regionId))
            {
                return Results.BadRequest(new { error = $"'{id}' is not a region id" });
            }
            if (!ulong.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var fromStore)
                || !ulong.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var toStore))
            {
                return Results.BadRequest(new { error = "query parameters 'from' and 'to' must be store ids" });
            }
            var outcome = await cluster.MoveAsync(regionId, fromStore, toStore, ct);
            if (outcome.Error is { } error) return OperatorError(error, outcome.UnknownRegion, outcome.Unavailable);
            return Results.Ok(new { @operator = outcome.OperatorId, region = regionId, from = fromStore, to = toStore, detail = outcome.Detail });
        });
        app.MapGet("/api/operators", async (CancellationToken ct) =>
        {
            var operators = await cluster.OperatorsAsync(TimeSpan.FromSeconds(3), ct);
            return operators.Error is { } error
                ? Results.Json(new { error }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Ok(new { schedulerNode = operators.SchedulerNode, running = operators.Running, recent = operators.Recent, stores = operators.Stores });
        });
        app.MapPost("/api/stores/{id}/remove", async (string id, CancellationToken ct) =>
        {
            if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var storeId))
            {
                return Results.BadRequest(new { error = $"'{id}' is not a store id" });
            }
            var outcome = await cluster.RemoveStoreAsync(storeId, ct);
            if (outcome.Error is { } error) return OperatorError(error, outcome.UnknownStore, outcome.Unavailable);
            return Results.Ok(new { store = storeId, detail = outcome.Detail });
        });
        app.MapGet("/", () => Results.Content(Dashboard.Html, "text/html; charset=utf-8"));
    }

    /// <summary>404 for an unknown region or store, 503 while no scheduler answers, 400 for any other refusal (the scheduler's reason).</summary>
    private static IResult OperatorError(string error, bool unknown, bool unavailable) =>
        unknown ? Results.NotFound(new { error })
        : unavailable ? Results.Json(new { error }, statusCode: StatusCodes.Status503ServiceUnavailable)
        : Results.BadRequest(new { error });

    private static void WriteRegionGauges(StringBuilder text, IReadOnlyList<RegionView> regions)
    {
        void Gauge(string name, string help, Func<RegionView, ReplicaView, double> value)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
            foreach (var region in regions)
            {
                foreach (var replica in region.Replicas)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{name}{{region=\"{region.Id}\",store=\"{replica.Store}\"}} {value(region, replica)}\n");
                }
            }
        }
        Gauge("akkaraft_region_is_leader", "1 when this store's replica leads the region", (_, r) => r.Role == "Leader" ? 1 : 0);
        Gauge("akkaraft_region_term", "Raft term of the replica", (_, r) => r.Term);
        Gauge("akkaraft_region_commit_index", "Committed log index", (_, r) => r.Committed);
        Gauge("akkaraft_region_applied_index", "Applied log index", (_, r) => r.Applied);
        Gauge("akkaraft_region_approximate_size_bytes", "Approximate data size reported to placement", (g, _) => g.ApproximateSizeBytes);
    }
}
