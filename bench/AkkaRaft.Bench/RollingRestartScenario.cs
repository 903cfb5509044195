using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace AkkaRaft.Bench;

/// <summary>Figures of one rolling restart: writes acknowledged, failed and lost, and how each node stopped and came back.</summary>
public sealed record RollingRestartResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "rolling-restart";
    [JsonPropertyName("nodes")] public int Nodes { get; init; }
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("writes")] public long Writes { get; init; }
    [JsonPropertyName("acknowledged")] public long Acknowledged { get; init; }
    [JsonPropertyName("failed")] public long Failed { get; init; }
    [JsonPropertyName("resent_after_disconnect")] public long ResentAfterDisconnect { get; init; }
    [JsonPropertyName("lost")] public long Lost { get; init; }
    [JsonPropertyName("success_pct")] public double SuccessPercent { get; init; }
    [JsonPropertyName("errors")] public IReadOnlyDictionary<string, long> Errors { get; init; } = new Dictionary<string, long>();
    [JsonPropertyName("shutdown_s")] public IReadOnlyList<double> ShutdownSeconds { get; init; } = [];
    [JsonPropertyName("exit_codes")] public IReadOnlyList<int> ExitCodes { get; init; } = [];
    [JsonPropertyName("restart_ready_s")] public IReadOnlyList<double> RestartReadySeconds { get; init; } = [];
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
    [JsonPropertyName("lost_examples")] public IReadOnlyList<string> LostExamples { get; init; } = [];
    [JsonPropertyName("error_examples")] public IReadOnlyList<string> ErrorExamples { get; init; } = [];
}

/// <summary>
/// Three `akkaraft node` processes; clients SET fresh keys through every node's RESP port while each node in turn gets
/// SIGTERM, exits, is started again on its data and becomes ready. A client whose connection closes (its node stops)
/// reconnects to the next node and sends the same SET again (idempotent: same key, same value); an error reply or no
/// reply within 10 s is a failed write. At the end every acknowledged key is read back through every node.
/// </summary>
public static class RollingRestartScenario
{
    private const int NodeCount = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RestartPause = TimeSpan.FromSeconds(6);

    /// <summary>Runs the scenario; <paramref name="log"/> gets progress lines (and every node's output when it fails).</summary>
    public static async Task<RollingRestartResult> Run(int clientsPerNode, TimeSpan settle, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var root = BenchSupport.NewDataDir();
        Directory.CreateDirectory(root);
        var ports = BenchSupport.FreePorts(3 * NodeCount);
        var resp = ports[NodeCount..(2 * NodeCount)];
        var http = ports[(2 * NodeCount)..];
        var configs = new string[NodeCount];
        for (var n = 0; n < NodeCount; n++)
        {
            configs[n] = Path.Combine(root, $"node-{n + 1}.conf");
            await File.WriteAllTextAsync(configs[n], NodeConf(n + 1, ports[..NodeCount], resp[n], http[n], Path.Combine(root, $"data-{n + 1}")));
        }
        var nodes = new AkkaraftProcess?[NodeCount];
        var writers = new List<Writer>();
        var shutdowns = new List<double>();
        var exitCodes = new List<int>();
        var readies = new List<double>();
        try
        {
            for (var n = 0; n < NodeCount; n++) nodes[n] = AkkaraftProcess.Start(["node", "--config", configs[n]], root);
            await Task.WhenAll(nodes.Select(p => p!.WaitForLineAsync("ready", ReadyTimeout)));
            await WaitReadyAsync(http, ReadyTimeout);
            log($"{clock.Elapsed}: three nodes ready");

            using var stop = new CancellationTokenSource();
            for (var c = 0; c < clientsPerNode * NodeCount; c++) writers.Add(new Writer(c, resp, c % NodeCount));
            var running = writers.Select(w => w.RunAsync(stop.Token)).ToList();
            await Task.Delay(settle);
            for (var n = 0; n < NodeCount; n++)
            {
                var before = writers.Sum(w => w.Acknowledged.Count);
                var stopped = await nodes[n]!.TerminateAsync(StopTimeout)
                    ?? throw new TimeoutException($"node {n + 1} still ran {StopTimeout.TotalSeconds} s after SIGTERM:\n{nodes[n]!.Output}");
                shutdowns.Add(Math.Round(stopped.TotalSeconds, 3));
                exitCodes.Add(nodes[n]!.ExitCode);
                log($"{clock.Elapsed}: node {n + 1} stopped by SIGTERM in {stopped.TotalSeconds:0.000} s, exit code {nodes[n]!.ExitCode}; {writers.Sum(w => w.Acknowledged.Count) - before} writes acknowledged meanwhile");
                log(string.Join('\n', nodes[n]!.Output.Split('\n').Where(l => l.StartsWith("shutdown", StringComparison.Ordinal) || l.StartsWith("stopped", StringComparison.Ordinal))));
                await nodes[n]!.DisposeAsync();
                // The others gate the stopped node's address for akka.remote.retry-gate-closed-for (5 s); a new
                // incarnation starting inside that window was at times left unreachable from one peer for good.
                await Task.Delay(RestartPause);
                var restart = Stopwatch.StartNew();
                nodes[n] = AkkaraftProcess.Start(["node", "--config", configs[n]], root);
                await nodes[n]!.WaitForLineAsync("ready", ReadyTimeout);
                await WaitReadyAsync([http[n]], ReadyTimeout);
                readies.Add(Math.Round(restart.Elapsed.TotalSeconds, 3));
                log($"{clock.Elapsed}: node {n + 1} restarted, ready after {restart.Elapsed.TotalSeconds:0.0} s");
                await Task.Delay(settle);
            }
            stop.Cancel();
            await Task.WhenAll(running);

            var acknowledged = writers.SelectMany(w => w.Acknowledged).ToDictionary(kv => kv.Key, kv => kv.Value);
            var failed = writers.Sum(w => w.Failed);
            log($"{clock.Elapsed}: {acknowledged.Count} writes acknowledged, {failed} failed, {writers.Sum(w => w.Resent)} resent after a disconnect");
            var lost = new List<string>();
            for (var n = 0; n < NodeCount; n++)
            {
                lost = await ReadBackAsync(resp[n], acknowledged);
                if (lost.Count > 0) break;
            }
            log($"{clock.Elapsed}: read back through every node: {lost.Count} lost");
            var errors = writers.SelectMany(w => w.Errors).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
            var writes = acknowledged.Count + failed;
            return new RollingRestartResult
            {
                Nodes = NodeCount,
                Clients = writers.Count,
                Writes = writes,
                Acknowledged = acknowledged.Count,
                Failed = failed,
                ResentAfterDisconnect = writers.Sum(w => w.Resent),
                Lost = lost.Count,
                LostExamples = [.. lost.Take(10)],
                SuccessPercent = writes == 0 ? 0 : Math.Round(100.0 * acknowledged.Count / writes, 3),
                Errors = errors,
                ErrorExamples = [.. writers.SelectMany(w => w.ErrorExamples).Take(10)],
                ShutdownSeconds = shutdowns,
                ExitCodes = exitCodes,
                RestartReadySeconds = readies,
                ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            };
        }
        catch
        {
            for (var n = 0; n < NodeCount; n++) log($"--- node {n + 1} output ---\n{nodes[n]?.Output}");
            throw;
        }
        finally
        {
            foreach (var node in nodes.OfType<AkkaraftProcess>())
            {
                await node.TerminateAsync(StopTimeout);
                await node.DisposeAsync();
            }
            BenchSupport.DeleteDataDir(root);
        }
    }

    /// <summary>The acknowledged keys whose value read through <paramref name="port"/> differs ("key=value read").</summary>
    private static async Task<List<string>> ReadBackAsync(int port, Dictionary<string, string> acknowledged)
    {
        using var client = await RespLineClient.ConnectAsync(port, CancellationToken.None);
        var lost = new List<string>();
        foreach (var chunk in acknowledged.Keys.Chunk(500))
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var values = await client.GetManyAsync(chunk, limit.Token);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (values[i] != acknowledged[chunk[i]]) lost.Add($"{chunk[i]}={values[i] ?? "(nil)"} through port {port}");
            }
        }
        return lost;
    }

    private static async Task WaitReadyAsync(IEnumerable<int> httpPorts, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        foreach (var port in httpPorts)
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
                    if (response.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException)
                {
                    // Slow to answer: ask again.
                }
                if (clock.Elapsed > timeout) throw new TimeoutException($"port {port}: /readyz not 200 within {timeout.TotalSeconds} s");
                await Task.Delay(100);
            }
        }
    }

    private static string NodeConf(int node, int[] remotePorts, int respPort, int httpPort, string dataDir) => $$"""
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
          host {
            resp-port = {{respPort}}
            http-port = {{httpPort}}
          }
        }
        """;

    /// <summary>One closed-loop client: fresh keys on both sides of "m" (both initial regions), home node first.</summary>
    private sealed class Writer(int id, int[] ports, int home)
    {
        public Dictionary<string, string> Acknowledged { get; } = [];

        public Dictionary<string, long> Errors { get; } = [];

        public List<string> ErrorExamples { get; } = [];

        public long Failed { get; private set; }

        public long Resent { get; private set; }

        public async Task RunAsync(CancellationToken stop)
        {
            RespLineClient? connection = null;
            try
            {
                for (long seq = 0; !stop.IsCancellationRequested; seq++)
                {
                    var key = string.Create(CultureInfo.InvariantCulture, $"{(seq % 2 == 0 ? "apple" : "zebra")}:{id}:{seq}");
                    var value = string.Create(CultureInfo.InvariantCulture, $"v{id}-{seq}");
                    while (true)
                    {
                        if (stop.IsCancellationRequested)
                        {
                            Fail("ABANDONED");
                            break;
                        }
                        connection ??= await ConnectAsync(stop);
                        if (connection is null) continue;
                        using var limit = new CancellationTokenSource(CallTimeout);
                        string? reply;
                        try
                        {
                            reply = await connection.CallAsync(["SET", key, value], limit.Token);
                        }
                        catch (IOException)
                        {
                            // The connection closed before the reply (its node stops): the same SET again elsewhere.
                            connection.Dispose();
                            connection = null;
                            Resent++;
                            continue;
                        }
                        catch (OperationCanceledException)
                        {
                            connection.Dispose();
                            connection = null;
                            Fail("TIMEOUT", $"{DateTime.UtcNow:HH:mm:ss.fff} SET {key}: no reply within {CallTimeout.TotalSeconds} s");
                            break;
                        }
                        if (reply == "+OK") Acknowledged[key] = value;
                        else Fail(reply?.Split(' ')[0] ?? "NIL", $"{DateTime.UtcNow:HH:mm:ss.fff} SET {key}: {reply}");
                        break;
                    }
                }
            }
            finally
            {
                connection?.Dispose();
            }
        }

        private void Fail(string kind, string? example = null)
        {
            Failed++;
            if (example is not null && ErrorExamples.Count < 10) ErrorExamples.Add(example);
            Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
        }

        /// <summary>Home node first, then the others; null (after a short pause) when none accepts.</summary>
        private async Task<RespLineClient?> ConnectAsync(CancellationToken stop)
        {
            for (var i = 0; i < ports.Length; i++)
            {
                try
                {
                    return await RespLineClient.ConnectAsync(ports[(home + i) % ports.Length], stop);
                }
                catch (IOException)
                {
                    // Not listening (stopped or starting): the next node.
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
            await Task.Delay(50, CancellationToken.None);
            return null;
        }
    }
}
