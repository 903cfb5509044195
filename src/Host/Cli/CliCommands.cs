using System.Globalization;
using System.Text.Json;

namespace AkkaRaft.Host.Cli;

/// <summary>The operator verbs: status, regions, transfer-leader. Each returns a process exit code.</summary>
public static class CliCommands
{
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
            client.Output.WriteLine($"store {store.GetProperty("id").GetUInt64()}: {store.GetProperty("regions").GetInt32()} regions, {store.GetProperty("leaders").GetInt32()} leaders");
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
}
