using System.Globalization;
using System.Text.Json;

namespace AkkaRaft.Host.Cli;

/// <summary>The operator verbs: status, regions, transfer-leader, split, move, operators, store remove. Each returns a process exit code.</summary>
internal static class CliCommands
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan OperatorLostAfter = TimeSpan.FromSeconds(20);

    /// <summary>Health and a one-line summary per store.</summary>
    public static async Task<int> StatusAsync(AdminClient client, CancellationToken ct)
    {
        var health = await client.GetAsync("/health", ct);
        var stores = health is null ? null : await client.GetAsync("/api/stores", ct);
        if (health is null || stores is null) return 2;
        var status = health.Value.GetProperty("status").GetString();
        client.Output.WriteLine($"cluster: {status}, {health.Value.GetProperty("regions").GetInt32()} regions");
        foreach (var store in stores.Value.EnumerateArray())
        {
            var state = store.GetProperty("state").GetString();
            var notes = (state is "up" or "unknown" ? "" : $", {state}") + (store.GetProperty("down").GetBoolean() ? ", down" : "");
            client.Output.WriteLine($"store {store.GetProperty("id").GetUInt64()}: {store.GetProperty("regions").GetInt32()} regions, {store.GetProperty("leaders").GetInt32()} leaders{notes}");
        }
        return status == "ok" ? 0 : 1;
    }

    /// <summary>Regions as a table, or the raw JSON with <paramref name="json"/>.</summary>
    public static async Task<int> RegionsAsync(AdminClient client, bool json, CancellationToken ct)
    {
        var regions = await client.GetAsync("/api/regions", ct);
        if (regions is null) return 2;
        if (json)
        {
            client.Output.WriteLine(JsonSerializer.Serialize(regions.Value));
            return 0;
        }
        client.Output.WriteLine($"{"id",-6} {"range",-24} {"epoch",-8} {"leader",-7} {"stores",-12} size");
        foreach (var r in regions.Value.EnumerateArray())
        {
            var range = $"[{r.GetProperty("startKey").GetString()}, {r.GetProperty("endKey").GetString()})";
            var stores = string.Join(",", r.GetProperty("stores").EnumerateArray().Select(s => s.GetUInt64().ToString(CultureInfo.InvariantCulture)));
            client.Output.WriteLine($"{r.GetProperty("id").GetUInt64(),-6} {range,-24} {r.GetProperty("epoch").GetString(),-8} {r.GetProperty("leaderStore").GetUInt64(),-7} {stores,-12} {r.GetProperty("approximateSizeBytes").GetInt64()}");
        }
        return 0;
    }

    /// <summary>Splits a region at <paramref name="key"/> (or near the middle of its data) and prints both halves.</summary>
    public static async Task<int> SplitAsync(AdminClient client, ulong region, string? key, CancellationToken ct)
    {
        client.Output.WriteLine(key is null ? $"splitting region {region} near the middle of its data ..." : $"splitting region {region} at \"{key}\" ...");
        var query = key is null ? "" : $"?key={Uri.EscapeDataString(key)}";
        var halves = await client.PostAsync($"/api/regions/{region}/split{query}", ct);
        if (halves is null) return 2;
        foreach (var r in halves.Value.EnumerateArray())
        {
            client.Output.WriteLine($"region {r.GetProperty("id").GetUInt64()} [{r.GetProperty("startKey").GetString()}, {r.GetProperty("endKey").GetString()}) {r.GetProperty("epoch").GetString()}");
        }
        return 0;
    }

    /// <summary>Moves a region's leadership to the replica on <paramref name="store"/> and waits until it happened.</summary>
    public static async Task<int> TransferLeaderAsync(AdminClient client, ulong region, ulong store, CancellationToken ct)
    {
        var started = await client.PostAsync($"/api/regions/{region}/transfer-leader?store={store}", ct);
        if (started is null) return 2;
        client.Output.Write($"transferring leadership of region {region} to store {store}");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var current = await client.GetAsync($"/api/regions/{region}", ct);
            if (current is null) return 2;
            if (current.Value.GetProperty("leaderStore").GetUInt64() == store)
            {
                client.Output.WriteLine(" done");
                return 0;
            }
            client.Output.Write('.');
            await Task.Delay(200, ct);
        }
        client.Output.WriteLine();
        await Console.Error.WriteLineAsync($"error: store {store} did not take over region {region} within 10 s");
        return 1;
    }

    /// <summary>
    /// Starts moving a region's replica from one store to another, then follows the operator: one line per step, a progress bar
    /// while the learner receives its snapshot and catches up. 0 when done, 1 when it failed or was cancelled, 2 when the request was refused.
    /// </summary>
    public static async Task<int> MoveAsync(AdminClient client, ulong region, ulong from, ulong to, CancellationToken ct)
    {
        var started = await client.PostAsync($"/api/regions/{region}/move?from={from}&to={to}", ct);
        if (started is not { } accepted || IsError(client, accepted)) return 2;
        var id = accepted.GetProperty("operator").GetInt64();
        client.Output.WriteLine($"operator {id}: moving region {region} from store {from} to store {to}");
        string? step = null, bar = null;
        var lastSeen = DateTimeOffset.UtcNow;
        while (true)
        {
            var operators = await client.GetAsync("/api/operators", ct);
            if (operators is null) return 2;
            var current = operators.Value.TryGetProperty("error", out _) ? null : FindOperator(operators.Value, id);
            if (current is not { } op)
            {
                // The scheduler may be moving to another node (placement re-election) for a moment; its history goes with it.
                if (DateTimeOffset.UtcNow - lastSeen > OperatorLostAfter)
                {
                    client.Error.WriteLine($"error: operator {id} is no longer known to the scheduler; check `akkaraft regions`");
                    return 1;
                }
                await Task.Delay(FollowInterval, ct);
                continue;
            }
            lastSeen = DateTimeOffset.UtcNow;
            var nowStep = op.GetProperty("step").GetString();
            if (nowStep != step)
            {
                step = nowStep;
                bar = null;
                client.Output.WriteLine($"step: {step} ({op.GetProperty("detail").GetString()})");
            }
            if (Progress(op) is { } progress && progress != bar)
            {
                bar = progress;
                client.Output.WriteLine($"  {progress}");
            }
            switch (op.GetProperty("state").GetString())
            {
                case "done":
                    var took = op.GetProperty("finishedAtMs").GetInt64() - op.GetProperty("startedAtMs").GetInt64();
                    client.Output.WriteLine($"done in {took / 1000.0:F1} s: {op.GetProperty("detail").GetString()}");
                    return 0;
                case "failed" or "cancelled":
                    client.Error.WriteLine($"error: operator {id} {op.GetProperty("state").GetString()}: {op.GetProperty("detail").GetString()}");
                    return 1;
            }
            await Task.Delay(FollowInterval, ct);
        }
    }

    /// <summary>Running and recent operators and the stores as tables, or the raw JSON with <paramref name="json"/>.</summary>
    public static async Task<int> OperatorsAsync(AdminClient client, bool json, CancellationToken ct)
    {
        var operators = await client.GetAsync("/api/operators", ct);
        if (operators is not { } all || IsError(client, all)) return 2;
        if (json)
        {
            client.Output.WriteLine(JsonSerializer.Serialize(all));
            return 0;
        }
        client.Output.WriteLine($"scheduler: node {all.GetProperty("schedulerNode").GetUInt64()}");
        client.Output.WriteLine("running:");
        var header = $"  {"id",-5} {"kind",-8} {"region",-7} {"move",-8} {"step",-16} {"state",-10}";
        client.Output.WriteLine(header + " progress");
        var running = all.GetProperty("running").EnumerateArray().ToList();
        if (running.Count == 0) client.Output.WriteLine("  (none)");
        foreach (var op in running) client.Output.WriteLine($"{Row(op)} {Progress(op) ?? op.GetProperty("detail").GetString()}");
        client.Output.WriteLine("recent:");
        client.Output.WriteLine(header + " took    detail");
        var recent = all.GetProperty("recent").EnumerateArray().Reverse().ToList();
        if (recent.Count == 0) client.Output.WriteLine("  (none)");
        foreach (var op in recent)
        {
            var took = (op.GetProperty("finishedAtMs").GetInt64() - op.GetProperty("startedAtMs").GetInt64()) / 1000.0;
            client.Output.WriteLine($"{Row(op)} {took,5:F1} s {op.GetProperty("detail").GetString()}");
        }
        client.Output.WriteLine("stores:");
        client.Output.WriteLine($"  {"store",-6} {"state",-9} {"down",-5} {"replicas",-9} leaders");
        foreach (var s in all.GetProperty("stores").EnumerateArray())
        {
            client.Output.WriteLine($"  {s.GetProperty("storeId").GetUInt64(),-6} {s.GetProperty("state").GetString(),-9} {(s.GetProperty("down").GetBoolean() ? "yes" : "no"),-5} {s.GetProperty("replicas").GetInt32(),-9} {s.GetProperty("leaders").GetInt32()}");
        }
        return 0;
    }

    /// <summary>Decommissions a store: the scheduler moves its replicas away, then marks it removed.</summary>
    public static async Task<int> RemoveStoreAsync(AdminClient client, ulong store, CancellationToken ct)
    {
        var reply = await client.PostAsync($"/api/stores/{store}/remove", ct);
        if (reply is not { } accepted || IsError(client, accepted)) return 2;
        client.Output.WriteLine(accepted.GetProperty("detail").GetString());
        return 0;
    }

    /// <summary>True (and the error printed) for an answer that carries an error, e.g. a 503 while no scheduler is active.</summary>
    private static bool IsError(AdminClient client, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("error", out var error)) return false;
        client.Error.WriteLine($"error: {error.GetString()}");
        return true;
    }

    private static JsonElement? FindOperator(JsonElement operators, long id) =>
        operators.GetProperty("running").EnumerateArray().Concat(operators.GetProperty("recent").EnumerateArray())
            .Select(o => (JsonElement?)o).FirstOrDefault(o => o!.Value.GetProperty("id").GetInt64() == id);

    private static string Row(JsonElement op) =>
        $"  {op.GetProperty("id").GetInt64(),-5} {op.GetProperty("kind").GetString(),-8} {op.GetProperty("regionId").GetUInt64(),-7} " +
        $"{$"{op.GetProperty("fromStore").GetUInt64()}->{op.GetProperty("toStore").GetUInt64()}",-8} {op.GetProperty("step").GetString(),-16} {op.GetProperty("state").GetString(),-10}";

    /// <summary>A text progress bar for a running operator: the snapshot while it is being received, then the learner's log catch-up.</summary>
    private static string? Progress(JsonElement op)
    {
        if (op.GetProperty("state").GetString() != "running") return null;
        var (sent, total) = (op.GetProperty("snapshotBytesSent").GetInt64(), op.GetProperty("snapshotBytesTotal").GetInt64());
        if (total > 0 && sent < total) return $"snapshot  {Bar(sent, total)} {sent / 1048576.0:F1}/{total / 1048576.0:F1} MiB";
        var (match, last) = (op.GetProperty("learnerMatch").GetUInt64(), op.GetProperty("leaderLastIndex").GetUInt64());
        if (last > 0) return $"catch up  {Bar((long)Math.Min(match, last), (long)last)} match {match} of {last}";
        return total > 0 ? $"snapshot  {Bar(sent, total)} {total / 1048576.0:F1} MiB" : null;
    }

    private static string Bar(long done, long total)
    {
        const int width = 30;
        var filled = total <= 0 ? 0 : (int)Math.Clamp(done * width / total, 0, width);
        var percent = total <= 0 ? 0 : (int)Math.Clamp(done * 100 / total, 0, 100);
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {percent,3}%";
    }
}
