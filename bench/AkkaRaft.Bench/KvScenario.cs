using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// The KV store as the host embeds it: three clustered actor systems in this process (loopback, SQLite journals),
/// <c>AkkaRaftKv.StartNode</c> on each, R initial regions from R-1 split keys spread evenly over "k0000".."k9999";
/// then C closed-loop clients SET random keys (spread over all regions) through node 1's router; with a GET share
/// (<c>--get-percent</c>), that share of operations are linearizable GETs of random keys instead.
/// </summary>
public static class KvScenario
{
    private const int Nodes = 3;
    private const int KeySpace = 10_000;
    // AKKARAFT_BENCH_JOURNAL=inmem: Akka's in-memory journal, so the figures are the data path and the runtime, not the disk.
    private static readonly bool InMemory = Environment.GetEnvironmentVariable("AKKARAFT_BENCH_JOURNAL") == "inmem";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static async Task<KvBenchResult> Run(int regions, int clients, int payloadBytes, TimeSpan duration, string? profilePath = null, int getPercent = 0)
    {
        var rootDir = BenchSupport.NewDataDir();
        var ids = Enumerable.Range(1, Nodes).Select(i => (ulong)i).ToList();
        var systems = new List<ActorSystem>();
        try
        {
            var splitKeys = Enumerable.Range(1, regions - 1).Select(i => Key((int)((long)i * KeySpace / regions)));
            var layout = $"akka-raft.region.initial-split-keys = [{string.Join(", ", splitKeys.Select(k => $"\"{k}\""))}]";
            foreach (var id in ids) systems.Add(StartSystem(rootDir, id, layout));
            // Ports are chosen by the OS: everyone joins the first node (as ClusterRuntime.StartEmbeddedAsync does).
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            var ups = systems.Select(WhenUp).ToList();
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await Task.WhenAll(ups).WaitAsync(StartTimeout);

            // From the KV nodes starting to every region having a leader.
            var electionWatch = Stopwatch.StartNew();
            var nodes = systems.Select((system, i) => AkkaRaftKv.StartNode(system, ids[i], ids)).ToList();
            await WaitUntilReady(nodes, regions);
            var electedMs = electionWatch.Elapsed.TotalMilliseconds;

            var client = nodes[0].Client;
            // The warm-up only writes: GETs then find many of the keys set.
            await Load(client, TimeSpan.FromSeconds(1), clients, payloadBytes, getPercent: 0);
            // CPU of the whole process (all three nodes, router included) over the measured window only.
            var ((ops, errors, latenciesMs, elapsed), window) = await MeasuredWindow.RunAsync(profilePath, () => Load(client, duration, clients, payloadBytes, getPercent));
            latenciesMs.Sort();
            // Requests to a region led elsewhere cross Akka.Remote both ways: say how many regions node 1 (the router's) led.
            var led = (await client.RegionsAsync()).Count(r => r.LeaderStore == nodes[0].NodeId);

            return new KvBenchResult
            {
                Regions = regions,
                Clients = clients,
                Payload = payloadBytes,
                GetPercent = getPercent,
                OpsPerSecond = Math.Round(ops / elapsed),
                P50Ms = BenchSupport.Percentile(latenciesMs, 0.50),
                P99Ms = BenchSupport.Percentile(latenciesMs, 0.99),
                Errors = errors,
                ElectedMs = Math.Round(electedMs, 1),
                CpuSeconds = Math.Round(window.CpuSeconds, 2),
                CpuMicrosPerWrite = window.CpuMicrosPer(ops),
                AllocatedBytesPerWrite = window.AllocatedBytesPer(ops),
                Journal = InMemory ? "inmem" : "sqlite",
                RegionsLedByRouterNode = led,
                LoadAverage = BenchSupport.LoadAverage(),
            };
        }
        finally
        {
            // Leave gracefully like ClusterRuntime.DisposeAsync (a bare Terminate logs remoting errors from the survivors).
            await Task.WhenAll(systems.Select(s => CoordinatedShutdown.Get(s).Run(CoordinatedShutdown.ClrExitReason.Instance)));
            await Task.WhenAll(systems.Select(s => s.WhenTerminated));
            BenchSupport.DeleteDataDir(rootDir);
        }
    }

    private static string Key(int i) => "k" + i.ToString("D4", CultureInfo.InvariantCulture);

    // The minimal part of the host's NodeConfig.Build: clustered, no auto-downing, SQLite journal, AkkaRaft defaults.
    internal static ActorSystem StartSystem(string rootDir, ulong id, string extraHocon)
    {
        var name = $"node{id}";
        var dataDir = Path.Combine(rootDir, name);
        Directory.CreateDirectory(dataDir);
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, name));
        var config = ConfigurationFactory.ParseString($$"""
                akka {
                  loglevel = ERROR
                  actor.provider = cluster
                  remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                  cluster {
                    seed-nodes = []
                    downing-provider-class = ""
                    run-coordinated-shutdown-when-down = off
                  }
                }
                akka-raft.node-id = {{id}}
                akka-raft.data-dir = "{{dataDir.Replace("\\", "\\\\", StringComparison.Ordinal)}}"
                {{extraHocon}}
                """)
            .WithFallback(InMemory ? RuntimeScenario.InMemoryJournal(dataDir) : SqlitePersistenceConfig.For(dataDir, name))
            .WithFallback(RaftReferenceConfig.Value);
        return ActorSystem.Create("akkaraft", config);
    }

    internal static Task WhenUp(ActorSystem system)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task;
    }

    // Like ClusterRuntime.WaitUntilReadyAsync: all R regions known to the router, each with a leader replica.
    internal static async Task WaitUntilReady(IReadOnlyList<KvNode> nodes, int regions)
    {
        using var limit = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            limit.Token.ThrowIfCancellationRequested();
            var summaries = await nodes[0].Client.RegionsAsync(limit.Token);
            if (summaries.Count == regions)
            {
                var ready = true;
                foreach (var summary in summaries)
                {
                    if (!await HasLeader(nodes, summary.Id)) { ready = false; break; }
                }
                if (ready) return;
            }
            await Task.Delay(20, limit.Token);
        }
    }

    private static async Task<bool> HasLeader(IReadOnlyList<KvNode> nodes, ulong regionId)
    {
        foreach (var node in nodes)
        {
            try
            {
                if (await node.Raft.StatusAsync(regionId, TimeSpan.FromSeconds(2)) is GroupStatus { Role: StateRole.Leader }) return true;
            }
            catch (AskTimeoutException)
            {
                // Replica busy or not yet created: ask the next.
            }
        }
        return false;
    }

    private static async Task<(long Ops, long Errors, List<double> LatenciesMs, double Elapsed)> Load(
        IKvClient client, TimeSpan duration, int clients, int payloadBytes, int getPercent)
    {
        var latencies = new ConcurrentBag<List<double>>();
        long ops = 0;
        long errors = 0;
        var keys = Enumerable.Range(0, KeySpace).Select(i => Encoding.UTF8.GetBytes(Key(i))).ToArray();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            var value = new byte[payloadBytes];
            Random.Shared.NextBytes(value);
            while (watch.Elapsed < duration)
            {
                var key = keys[Random.Shared.Next(KeySpace)];
                var start = Stopwatch.GetTimestamp();
                var reply = Random.Shared.Next(100) < getPercent ? await client.GetAsync(key) : await client.SetAsync(key, value);
                if (reply is KvReply.Error)
                {
                    Interlocked.Increment(ref errors);
                }
                else
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    Interlocked.Increment(ref ops);
                }
            }
            latencies.Add(mine);
        })));
        return (ops, errors, latencies.SelectMany(l => l).ToList(), watch.Elapsed.TotalSeconds);
    }

}

/// <summary>JSON line of the kv scenario (ops and latencies count successful SETs and GETs; errors are KvReply.Error answers).</summary>
public sealed record KvBenchResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "kv";
    [JsonPropertyName("regions")] public int Regions { get; init; }
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("payload")] public int Payload { get; init; }
    [JsonPropertyName("get_pct")] public int GetPercent { get; init; }
    [JsonPropertyName("ops_per_sec")] public double OpsPerSecond { get; init; }
    [JsonPropertyName("p50_ms")] public double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public double P99Ms { get; init; }
    [JsonPropertyName("errors")] public long Errors { get; init; }
    [JsonPropertyName("elected_ms")] public double ElectedMs { get; init; }
    [JsonPropertyName("cpu_s")] public double CpuSeconds { get; init; }
    [JsonPropertyName("cpu_us_per_write")] public double CpuMicrosPerWrite { get; init; }
    [JsonPropertyName("alloc_bytes_per_write")] public double AllocatedBytesPerWrite { get; init; }
    [JsonPropertyName("journal")] public string Journal { get; init; } = "sqlite";
    [JsonPropertyName("regions_led_by_router_node")] public int RegionsLedByRouterNode { get; init; }
    [JsonPropertyName("load_avg")] public string LoadAverage { get; init; } = "";
}
