using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// Four `akkaraft node --config FILE` processes (the three initial nodes and node 4, which joins as a new store) from
/// the hocon/node-N.conf samples: one initial node is killed with SIGKILL and stays down; after
/// <c>store-down-after</c> the placement leader's scheduler rebuilds its replicas on store 4, and every acknowledged
/// write is readable through the survivors.
/// </summary>
[Collection(NodeProcessesCollection.Name)]
public sealed class NodeModeRepairTests(ITestOutputHelper log)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    // Silence counts from the scheduler's start for a store it has not heard yet, and a node of this test can take 8 s
    // or more to join the Akka cluster (its join retried) on a busy machine: with 5 s, store 3 was declared down and
    // repaired before the kill. This must outlast the slowest start, not only the heartbeat interval.
    private static readonly TimeSpan StoreDownAfter = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RepairTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ReplicasOfAKilledStoreAreRebuiltOnTheNewStoreAndNoAcknowledgedWriteIsLost()
    {
        var clock = Stopwatch.StartNew();
        var root = EmbeddedHost.NewDataDir();
        var nodes = new Dictionary<int, ChildProcess>();
        var httpPorts = Array.Empty<int>();
        try
        {
            var ports = NodeModeProcessTests.FreePorts(12);
            var remote = ports[0..4];
            var resp = ports[4..8];
            var http = ports[8..12];
            httpPorts = http;
            Directory.CreateDirectory(root);
            for (var n = 1; n <= 4; n++)
            {
                var config = Path.Combine(root, $"node-{n}.conf");
                await File.WriteAllTextAsync(config, NodeConf(n, remote, resp[n - 1], http[n - 1], Path.Combine(root, $"data-{n}")));
                nodes[n] = ChildProcess.StartAkkaraft("node", "--config", config);
            }
            await Task.WhenAll(nodes.Values.Select(p => p.WaitForLineAsync("ready", ReadyTimeout)));
            log.WriteLine($"{clock.Elapsed}: four nodes ready");

            // Balance is off: before the kill every region stays on the initial stores, store 4 holds nothing.
            var before = await RegionsAsync(http[0], CancellationToken.None);
            Assert.True(before.Count >= 1, "no regions");
            Assert.All(before, r => Assert.Equal([1UL, 2UL, 3UL], r.Stores));

            await using var writer = await EmbeddedHost.ConnectRedisAsync(resp[0], abortOnConnectFail: false);
            var acknowledged = new Dictionary<string, string>();
            var rejected = 0;
            async Task<int> WriteAsync(int from, int count, TimeSpan budget, CancellationToken stop = default)
            {
                var db = writer.GetDatabase();
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
                limit.CancelAfter(budget);
                var i = from;
                for (; i < from + count && !limit.IsCancellationRequested; i++)
                {
                    var key = $"{(i % 2 == 0 ? "apple" : "zebra")}:repair:{i}";
                    var value = $"value-{i}";
                    try
                    {
                        if (await db.StringSetAsync(key, value)) acknowledged[key] = value;
                    }
                    catch (RedisException e)
                    {
                        // TRYAGAIN, UNKNOWN or a client timeout: not acknowledged, so not checked (it may or may not have been applied).
                        rejected++;
                        log.WriteLine($"{clock.Elapsed}: {key} not acknowledged: {e.Message}");
                    }
                }
                return i;
            }

            await WriteAsync(0, 100, TimeSpan.FromSeconds(30));
            Assert.Equal(100, acknowledged.Count);

            // Node 1 serves the client; the victim is another initial node, preferably one leading a region.
            var victim = before.Any(r => r.LeaderStore == 2) ? 2 : 3;
            var survivor = victim == 2 ? 3 : 2;
            await nodes[victim].KillAsync();
            var sinceKill = Stopwatch.StartNew();
            log.WriteLine($"{clock.Elapsed}: node {victim} killed (SIGKILL); it stays down");

            // No throughput bar (a loaded 2-core machine): writes must go on being acknowledged with a replica down.
            await WriteAsync(100, 100, TimeSpan.FromSeconds(60));
            var afterKill = acknowledged.Count - 100;
            log.WriteLine($"{clock.Elapsed}: {afterKill} writes acknowledged with node {victim} down, {rejected} rejected");
            Assert.True(afterKill >= 10, $"only {afterKill} of 100 writes were acknowledged with one of three replicas down");

            // Writes go on while the replicas move; the layout is watched through node 1's admin API.
            using var stopWriting = new CancellationTokenSource();
            var background = WriteAsync(200, int.MaxValue - 200, RepairTimeout, stopWriting.Token);
            ulong[] live = [.. new ulong[] { 1, (ulong)survivor, 4 }.Order()];
            RegionList repaired;
            TimeSpan repairTime;
            int written;
            try
            {
                repaired = await Eventually.UntilAsync(ct => RegionsAsync(http[0], ct),
                    regions => regions.Count > 0 && regions.All(r => r.FromPlacement && r.Stores.SequenceEqual(live)),
                    RepairTimeout, $"every region on stores {string.Join(", ", live)}");
                repairTime = sinceKill.Elapsed;
            }
            finally
            {
                await stopWriting.CancelAsync();
                written = await background - 200;
            }
            log.WriteLine($"{clock.Elapsed}: kill -> repaired: {repairTime.TotalSeconds:F1} s (store-down-after {StoreDownAfter.TotalSeconds} s); "
                + $"{repaired.Count} regions on stores {string.Join(", ", live)}; {written} writes attempted meanwhile");

            var final = await RegionsAsync(http[0], CancellationToken.None);
            Assert.DoesNotContain(final, r => r.Stores.Contains((ulong)victim));
            Assert.All(final, r => Assert.Equal(live, r.Stores));

            // Store 4 really runs a replica of every region (its own admin API shows the local Raft state).
            await Eventually.UntilAsync(ct => RegionsAsync(http[3], ct),
                regions => regions.Count == final.Count && regions.All(r => r.LocalRoles.Count == 1 && r.LocalRoles[0] is "Follower" or "Leader"),
                TimeSpan.FromSeconds(30), "a voting replica of every region on store 4");

            foreach (var reader in new[] { survivor, 4 })
            {
                await using var redis = await EmbeddedHost.ConnectRedisAsync(resp[reader - 1], abortOnConnectFail: false);
                var keys = acknowledged.Keys.Select(k => (RedisKey)k).ToArray();
                var values = await Eventually.UntilAsync(_ => redis.GetDatabase().StringGetAsync(keys), _ => true, TimeSpan.FromSeconds(30), $"MGET through node {reader}");
                var lost = keys.Select((key, i) => (Key: (string)key!, Value: (string?)values[i]))
                    .Where(kv => kv.Value != acknowledged[kv.Key]).Select(kv => $"{kv.Key}={kv.Value ?? "(nil)"}").ToList();
                Assert.True(lost.Count == 0, $"read through node {reader}: {lost.Count} acknowledged writes lost or wrong: {string.Join(", ", lost.Take(10))}");
            }
            log.WriteLine($"{clock.Elapsed}: all {acknowledged.Count} acknowledged keys read back through nodes {survivor} and 4 ({rejected} writes not acknowledged)");
        }
        catch
        {
            foreach (var port in httpPorts.Take(1))
                foreach (var path in new[] { "/api/stores", "/api/operators" })
                    log.WriteLine($"--- GET {path} ---\n{await AdminGetAsync(port, path)}");
            foreach (var (n, node) in nodes) log.WriteLine($"--- node {n} output ---\n{node.Output}");
            throw;
        }
        finally
        {
            await Task.WhenAll(nodes.Values.Select(async p => await p.DisposeAsync()));
            EmbeddedHost.DeleteDataDir(root);
        }
    }

    /// <summary>One region of GET /api/regions: placement's stores and the roles of the answering node's local replicas.</summary>
    private sealed record RegionSeen(ulong Id, ulong LeaderStore, ulong[] Stores, bool FromPlacement, IReadOnlyList<string> LocalRoles)
    {
        public override string ToString() => $"region {Id} on [{string.Join(", ", Stores)}] leader {LeaderStore} local [{string.Join(", ", LocalRoles)}]";
    }

    private sealed class RegionList(List<RegionSeen> regions) : List<RegionSeen>(regions)
    {
        public override string ToString() => string.Join("; ", this);
    }

    private static async Task<string> AdminGetAsync(int httpPort, string path)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            return await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}{path}"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"(no answer: {e.Message})";
        }
    }

    private static async Task<RegionList> RegionsAsync(int httpPort, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/api/regions"), ct));
        return new([.. json.RootElement.EnumerateArray().Select(r => new RegionSeen(
            r.GetProperty("id").GetUInt64(),
            r.GetProperty("leaderStore").GetUInt64(),
            [.. r.GetProperty("stores").EnumerateArray().Select(s => s.GetUInt64()).Order()],
            // -1: the node could not reach placement and answered from its region cache.
            r.GetProperty("approximateSizeBytes").GetInt64() >= 0,
            [.. r.GetProperty("replicas").EnumerateArray().Select(x => x.GetProperty("role").GetString() ?? "")]))]);
    }

    /// <summary>The sample hocon/node-N.conf with this test's ports, data directory and short repair timing appended (later keys win).</summary>
    private static string NodeConf(int node, int[] remotePorts, int respPort, int httpPort, string dataDir) => File.ReadAllText(SamplePath(node)) + $$"""

        # ---- test overrides ----
        akka.loglevel = INFO
        akka.remote.dot-netty.tcp.port = {{remotePorts[node - 1]}}
        akka.cluster.seed-nodes = [
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[0]}}"
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[1]}}"
        ]
        akka-raft {
          data-dir = "{{dataDir.Replace("\\", "\\\\", StringComparison.Ordinal)}}"
          tick-interval = 50ms
          placement.heartbeat-interval = 500ms
          scheduler {
            interval = 500ms
            store-down-after = {{(int)StoreDownAfter.TotalSeconds}}s
            balance = off
          }
          host {
            resp-port = {{respPort}}
            http-port = {{httpPort}}
          }
        }
        """;

    /// <summary>hocon/node-N.conf of the repository the tests were built from.</summary>
    private static string SamplePath(int node)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var sample = Path.Combine(dir.FullName, "hocon", $"node-{node}.conf");
            if (File.Exists(Path.Combine(dir.FullName, "AkkaRaft.sln")) && File.Exists(sample)) return sample;
        }
        throw new FileNotFoundException($"hocon/node-{node}.conf not found above {AppContext.BaseDirectory}");
    }
}
