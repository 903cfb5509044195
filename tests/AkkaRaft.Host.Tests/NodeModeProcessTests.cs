using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// Three `akkaraft node --config FILE` processes form one cluster; one is killed with SIGKILL while writes go on,
/// restarted on the same data, and every acknowledged write is still there.
/// </summary>
[Collection(NodeProcessesCollection.Name)]
public sealed class NodeModeProcessTests(ITestOutputHelper log)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SigkillOfOneNodeWhileWritingLosesNoAcknowledgedWrite()
    {
        var clock = Stopwatch.StartNew();
        var root = EmbeddedHost.NewDataDir();
        var nodes = new Dictionary<int, ChildProcess>();
        try
        {
            var ports = FreePorts(9);
            var remote = ports[0..3];
            var resp = ports[3..6];
            var http = ports[6..9];
            var configs = new Dictionary<int, string>();
            Directory.CreateDirectory(root);
            for (var n = 1; n <= 3; n++)
            {
                configs[n] = Path.Combine(root, $"node-{n}.conf");
                await File.WriteAllTextAsync(configs[n], NodeConf(n, remote, resp[n - 1], http[n - 1], Path.Combine(root, $"data-{n}")));
            }

            for (var n = 1; n <= 3; n++) nodes[n] = ChildProcess.StartAkkaraft("node", "--config", configs[n]);
            await Task.WhenAll(nodes.Values.Select(p => p.WaitForLineAsync("ready", ReadyTimeout)));
            log.WriteLine($"{clock.Elapsed}: three nodes ready");

            await using var writer = await EmbeddedHost.ConnectRedisAsync(resp[0], abortOnConnectFail: false);
            var acknowledged = new Dictionary<string, string>();
            var rejected = 0;
            async Task WriteAsync(int from, int count, TimeSpan budget)
            {
                var db = writer.GetDatabase();
                using var limit = new CancellationTokenSource(budget);
                for (var i = from; i < from + count && !limit.IsCancellationRequested; i++)
                {
                    var key = $"{(i % 2 == 0 ? "apple" : "zebra")}:kill:{i}";
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
            }

            await WriteAsync(0, 100, TimeSpan.FromSeconds(20));
            Assert.Equal(100, acknowledged.Count);

            var victim = await LeaderOtherThanNodeOneAsync(http[0]);
            await nodes[victim].KillAsync();
            log.WriteLine($"{clock.Elapsed}: node {victim} killed (SIGKILL)");

            await WriteAsync(100, 100, TimeSpan.FromSeconds(30));
            var afterKill = acknowledged.Count - 100;
            log.WriteLine($"{clock.Elapsed}: {afterKill} writes acknowledged with node {victim} down, {rejected} rejected");
            Assert.True(afterKill >= 50, $"only {afterKill} of 100 writes were acknowledged with one of three nodes down");

            nodes[victim] = ChildProcess.StartAkkaraft("node", "--config", configs[victim]);
            await nodes[victim].WaitForLineAsync("ready", ReadyTimeout);
            log.WriteLine($"{clock.Elapsed}: node {victim} restarted and ready");
            await WriteAsync(200, 20, TimeSpan.FromSeconds(20));

            var survivor = victim == 2 ? 3 : 2;
            foreach (var reader in new[] { survivor, victim })
            {
                await using var redis = await EmbeddedHost.ConnectRedisAsync(resp[reader - 1], abortOnConnectFail: false);
                var keys = acknowledged.Keys.Select(k => (RedisKey)k).ToArray();
                var values = await Eventually.UntilAsync(_ => redis.GetDatabase().StringGetAsync(keys), _ => true, TimeSpan.FromSeconds(30), $"MGET through node {reader}");
                var lost = keys.Select((key, i) => (Key: (string)key!, Value: (string?)values[i]))
                    .Where(kv => kv.Value != acknowledged[kv.Key]).Select(kv => $"{kv.Key}={kv.Value ?? "(nil)"}").ToList();
                Assert.True(lost.Count == 0, $"read through node {reader}: {lost.Count} acknowledged writes lost or wrong: {string.Join(", ", lost.Take(10))}");
            }
            log.WriteLine($"{clock.Elapsed}: all {acknowledged.Count} acknowledged keys read back through nodes {survivor} and {victim}");
        }
        catch
        {
            foreach (var (n, node) in nodes) log.WriteLine($"--- node {n} output ---\n{node.Output}");
            throw;
        }
        finally
        {
            await Task.WhenAll(nodes.Values.Select(async p => await p.DisposeAsync()));
            EmbeddedHost.DeleteDataDir(root);
        }
    }

    /// <summary>A store other than 1 that leads some region (so the kill forces an election), else store 3.</summary>
    private static async Task<int> LeaderOtherThanNodeOneAsync(int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var regions = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/api/stores")));
        var leading = regions.RootElement.EnumerateArray()
            .Where(s => s.GetProperty("id").GetUInt64() != 1 && s.GetProperty("leaders").GetInt32() > 0)
            .Select(s => (int)s.GetProperty("id").GetUInt64()).ToList();
        return leading.Count > 0 ? leading[0] : 3;
    }

    internal static string NodeConf(int node, int[] remotePorts, int respPort, int httpPort, string dataDir) => $$"""
        akka.remote.dot-netty.tcp {
          hostname = "127.0.0.1"
          port = {{remotePorts[node - 1]}}
        }
        akka.cluster.seed-nodes = [
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[0]}}"
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[1]}}"
        ]
        akka-raft {
          node-id = {{node}}
          initial-node-ids = [1, 2, 3]
          data-dir = "{{dataDir.Replace("\\", "\\\\", StringComparison.Ordinal)}}"
          tick-interval = 50ms
          host {
            resp-port = {{respPort}}
            http-port = {{httpPort}}
          }
        }
        """;

    /// <summary>Distinct free loopback ports: all bound at once (so no duplicates), then released for the nodes to take.</summary>
    internal static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners) listener.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}

/// <summary>Runs alone: three processes of a real cluster.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NodeProcessesCollection
{
    public const string Name = "node processes";
}
