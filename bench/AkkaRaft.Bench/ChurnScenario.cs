using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace AkkaRaft.Bench;

/// <summary>
/// Three `akkaraft node` processes (the hocon/node-N.conf samples with free ports and a temporary data directory) and C
/// closed-loop RESP clients spread over them, each SETting fresh keys. Throughput is measured over a clean window, then
/// over a window in which one node (in turn, or always --victim) is killed with SIGKILL every --kill-every seconds and
/// restarted at once. At the end every acknowledged key is read back: none may be lost.
/// A client whose connection breaks reconnects at once, to its home node first, then to the others.
/// </summary>
public static class ChurnScenario
{
    private const int Nodes = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(15);

    public static async Task<ChurnBenchResult> Run(
        int clients, int payloadBytes, TimeSpan window, TimeSpan killEvery, int victim, string? hostDll, bool keep, string? nodeLogLevel)
    {
        if (victim > Nodes) throw new ArgumentException($"--victim must be a node id in 1..{Nodes}");
        var host = hostDll ?? DefaultHostDll();
        if (!File.Exists(host)) throw new FileNotFoundException($"{host} not found: build it first (dotnet build -c Release src/Host) or pass --host PATH");
        var root = BenchSupport.NewDataDir();
        Directory.CreateDirectory(root);
        var ports = BenchSupport.FreePorts(3 * Nodes);
        var respPorts = ports[Nodes..(2 * Nodes)];
        var configs = new string[Nodes + 1];
        for (var n = 1; n <= Nodes; n++)
        {
            configs[n] = Path.Combine(root, $"node-{n}.conf");
            await File.WriteAllTextAsync(configs[n], NodeConf(n, ports[..Nodes], respPorts[n - 1], ports[2 * Nodes + n - 1], Path.Combine(root, $"data-{n}"), nodeLogLevel));
        }
        AkkaraftProcess StartNode(int n) => AkkaraftProcess.Start(["node", "--config", configs[n]], dll: host, logFile: Path.Combine(root, $"node-{n}.log"));
        var nodes = new AkkaraftProcess[Nodes + 1];
        var loadBefore = LoadAverage();
        try
        {
            for (var n = 1; n <= Nodes; n++) nodes[n] = StartNode(n);
            await Task.WhenAll(Enumerable.Range(1, Nodes).Select(n => nodes[n].WaitForLineAsync("ready", ReadyTimeout)));

            var load = new ClosedLoop(clients, respPorts, payloadBytes);
            var clock = load.Clock;
            load.Start();
            await Task.Delay(WarmUp);
            var cleanStart = clock.Elapsed;
            await Task.Delay(window);
            var churnStart = clock.Elapsed;
            var restarts = new List<Task<double>>();
            var kills = 0;
            for (var next = churnStart; next < churnStart + window; next += killEvery)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                var n = victim > 0 ? victim : 1 + (kills % Nodes);
                kills++;
                await nodes[n].DisposeAsync();
                var restartWatch = Stopwatch.StartNew();
                nodes[n] = StartNode(n);
                var restarted = nodes[n];
                restarts.Add(Task.Run(async () =>
                {
                    await restarted.WaitForLineAsync("ready", ReadyTimeout);
                    return restartWatch.Elapsed.TotalMilliseconds;
                }));
            }
            var remaining = churnStart + window - clock.Elapsed;
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining);
            var churnEnd = clock.Elapsed;
            await load.StopAsync();
            var readyMs = await Task.WhenAll(restarts);

            var clean = load.Between(cleanStart, churnStart);
            var churn = load.Between(churnStart, churnEnd);
            var readBackErrors = new ConcurrentDictionary<string, string>();
            var (lost, unreadable) = await ReadBackAsync(load.Acknowledged, respPorts, readBackErrors);
            var cleanRate = clean.Ok / (churnStart - cleanStart).TotalSeconds;
            var churnRate = churn.Ok / (churnEnd - churnStart).TotalSeconds;
            return new ChurnBenchResult
            {
                Scenario = "churn",
                Nodes = Nodes,
                Clients = clients,
                PayloadBytes = payloadBytes,
                WindowSeconds = window.TotalSeconds,
                KillEverySeconds = killEvery.TotalSeconds,
                Victim = victim > 0 ? victim.ToString(CultureInfo.InvariantCulture) : "rotate",
                Kills = kills,
                CleanOpsPerSecond = Math.Round(cleanRate),
                ChurnOpsPerSecond = Math.Round(churnRate),
                Ratio = cleanRate == 0 ? 0 : Math.Round(churnRate / cleanRate, 3),
                CleanErrors = clean.Errors,
                ChurnErrors = churn.Errors,
                ChurnPerSecond = load.PerSecond(churnStart, churnEnd),
                RestartToReadyMs = [.. readyMs.Select(ms => Math.Round(ms))],
                ErrorKinds = load.ErrorKinds(),
                ErrorSamples = load.ErrorSamples(),
                Acknowledged = load.Acknowledged.Count,
                Lost = lost,
                Unreadable = unreadable,
                ReadBackErrors = new Dictionary<string, string>(readBackErrors),
                LoadBefore = loadBefore,
                LoadAfter = LoadAverage(),
                Logs = keep ? root : null,
            };
        }
        finally
        {
            foreach (var node in nodes.Where(n => n is not null)) await node.DisposeAsync();
            if (!keep) BenchSupport.DeleteDataDir(root);
        }
    }

    /// <summary>Reads every acknowledged key back (retrying errors while nodes settle): keys with another value, or none, are lost.</summary>
    private static async Task<(int Lost, int Unreadable)> ReadBackAsync(
        IReadOnlyCollection<(string Key, string Value)> acknowledged, int[] respPorts, ConcurrentDictionary<string, string> errors)
    {
        var queue = new ConcurrentQueue<(string Key, string Value)>(acknowledged);
        var lost = 0;
        var unreadable = 0;
        var deadline = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async reader =>
        {
            RespLineClient? connection = null;
            var port = reader % respPorts.Length;
            while (queue.TryDequeue(out var item))
            {
                while (true)
                {
                    if (deadline.Elapsed > TimeSpan.FromMinutes(10))
                    {
                        Interlocked.Increment(ref unreadable);
                        break;
                    }
                    try
                    {
                        connection ??= await RespLineClient.ConnectAsync(respPorts[port], CancellationToken.None);
                        using var limit = new CancellationTokenSource(ReplyTimeout);
                        var reply = await connection.CallAsync(["GET", item.Key], limit.Token);
                        // Values start with their sequence number, so a reply starting with '-' is an error, not a value.
                        if (reply is ['-', .. var error])
                        {
                            errors.TryAdd($"port {respPorts[port]}: {error.Split(' ', 2)[0]}", error.Length > 300 ? error[..300] : error);
                            await Task.Delay(100);
                            continue;
                        }
                        if (reply != item.Value) Interlocked.Increment(ref lost);
                        break;
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException)
                    {
                        connection?.Dispose();
                        connection = null;
                        port = (port + 1) % respPorts.Length;
                        await Task.Delay(100);
                    }
                }
            }
            connection?.Dispose();
        }));
        return (lost, unreadable);
    }

    /// <summary>C clients, each with one connection and one request at a time, counting acknowledged writes per second.</summary>
    private sealed class ClosedLoop(int clients, int[] respPorts, int payloadBytes)
    {
        private const int MaxSeconds = 3600;
        private readonly long[] _ok = new long[MaxSeconds];
        private readonly long[] _errors = new long[MaxSeconds];
        private readonly ConcurrentDictionary<string, long> _errorKinds = new();
        private readonly ConcurrentDictionary<string, string> _errorSamples = new();
        private readonly ConcurrentQueue<(string Key, string Value)> _acknowledged = new();
        private readonly CancellationTokenSource _stop = new();
        private Task? _running;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public IReadOnlyCollection<(string Key, string Value)> Acknowledged => _acknowledged;

        public void Start() => _running = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c))));

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            if (_running is not null) await _running;
        }

        public (long Ok, long Errors) Between(TimeSpan from, TimeSpan to)
        {
            long ok = 0, errors = 0;
            for (var s = (int)from.TotalSeconds; s < (int)to.TotalSeconds && s < MaxSeconds; s++)
            {
                ok += Interlocked.Read(ref _ok[s]);
                errors += Interlocked.Read(ref _errors[s]);
            }
            return (ok, errors);
        }

        public long[] PerSecond(TimeSpan from, TimeSpan to) =>
            [.. Enumerable.Range((int)from.TotalSeconds, Math.Max(0, (int)to.TotalSeconds - (int)from.TotalSeconds)).Select(s => Interlocked.Read(ref _ok[s]))];

        public Dictionary<string, long> ErrorKinds() => new(_errorKinds);

        public Dictionary<string, string> ErrorSamples() => new(_errorSamples);

        private void Count(long[] buckets) => Interlocked.Increment(ref buckets[Math.Min(MaxSeconds - 1, (int)Clock.Elapsed.TotalSeconds)]);

        private void Error(string kind, string? text = null)
        {
            Count(_errors);
            _errorKinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
            if (text is not null) _errorSamples.TryAdd(kind, text.Length > 300 ? text[..300] : text);
        }

        private async Task ClientAsync(int client)
        {
            var home = client % respPorts.Length;
            var value = new string('v', Math.Max(1, payloadBytes - 16));
            RespLineClient? connection = null;
            var tried = 0;
            for (long seq = 0; !_stop.IsCancellationRequested; seq++)
            {
                if (connection is null)
                {
                    var port = respPorts[(home + tried) % respPorts.Length];
                    try
                    {
                        connection = await RespLineClient.ConnectAsync(port, _stop.Token);
                        tried = 0;
                    }
                    catch (IOException)
                    {
                        Error("connect");
                        // Home first, then the others; a pause once all were tried.
                        if (++tried % respPorts.Length == 0) await Task.Delay(50);
                        continue;
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                // Keys spread over the keyspace (both initial regions); each write is a fresh key.
                var key = $"{(char)('a' + (int)((seq * 7 + client) % 26))}:churn:{client}:{seq}";
                var stamped = $"{seq}:{value}";
                try
                {
                    using var limit = new CancellationTokenSource(ReplyTimeout);
                    var reply = await connection.CallAsync(["SET", key, stamped], limit.Token);
                    if (reply == "+OK")
                    {
                        _acknowledged.Enqueue((key, stamped));
                        Count(_ok);
                    }
                    else
                    {
                        // Counted by the reply's first word without its RESP type byte ("-TRYAGAIN ..." is TRYAGAIN).
                        var text = reply is ['-' or '+' or ':', .. var rest] ? rest : "";
                        Error(text.Split(' ', 2)[0], text);
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    Error(e is OperationCanceledException ? "reply-timeout" : "connection-lost");
                    connection.Dispose();
                    connection = null;
                    tried = 0;
                }
            }
            connection?.Dispose();
        }
    }

    /// <summary>hocon/node-N.conf with this run's ports and data directory appended (later keys win); everything else default.</summary>
    private static string NodeConf(int node, int[] remotePorts, int respPort, int httpPort, string dataDir, string? logLevel) => File.ReadAllText(SamplePath(node)) + $$"""

        # ---- churn bench ----
        {{(logLevel is null ? "" : $"akka.loglevel = {logLevel}")}}
        akka.remote.dot-netty.tcp.port = {{remotePorts[node - 1]}}
        akka.cluster.seed-nodes = [
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[0]}}"
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[1]}}"
          "akka.tcp://akkaraft@127.0.0.1:{{remotePorts[2]}}"
        ]
        akka-raft {
          data-dir = "{{dataDir.Replace("\\", "\\\\", StringComparison.Ordinal)}}"
          host {
            resp-port = {{respPort}}
            http-port = {{httpPort}}
          }
        }
        """;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AkkaRaft.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"AkkaRaft.sln not found above {AppContext.BaseDirectory}");
    }

    private static string SamplePath(int node) => Path.Combine(RepositoryRoot(), "hocon", $"node-{node}.conf");

    internal static string DefaultHostDll() => Path.Combine(RepositoryRoot(), "src", "Host", "bin", "Release", "net10.0", "akkaraft.dll");

    /// <summary>The 1-minute load average (Linux), or -1 where unknown: the machine is shared, so every figure says how busy it was.</summary>
    private static double LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>JSON line of the churn scenario.</summary>
public sealed record ChurnBenchResult
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("nodes")] public int Nodes { get; init; }
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("payload_bytes")] public int PayloadBytes { get; init; }
    [JsonPropertyName("window_s")] public double WindowSeconds { get; init; }
    [JsonPropertyName("kill_every_s")] public double KillEverySeconds { get; init; }
    [JsonPropertyName("victim")] public required string Victim { get; init; }
    [JsonPropertyName("kills")] public int Kills { get; init; }
    [JsonPropertyName("clean_ops_per_s")] public double CleanOpsPerSecond { get; init; }
    [JsonPropertyName("churn_ops_per_s")] public double ChurnOpsPerSecond { get; init; }
    [JsonPropertyName("ratio")] public double Ratio { get; init; }
    [JsonPropertyName("clean_errors")] public long CleanErrors { get; init; }
    [JsonPropertyName("churn_errors")] public long ChurnErrors { get; init; }
    [JsonPropertyName("churn_per_s")] public long[] ChurnPerSecond { get; init; } = [];
    [JsonPropertyName("restart_to_ready_ms")] public double[] RestartToReadyMs { get; init; } = [];
    [JsonPropertyName("error_kinds")] public Dictionary<string, long> ErrorKinds { get; init; } = [];
    [JsonPropertyName("error_samples")] public Dictionary<string, string> ErrorSamples { get; init; } = [];
    [JsonPropertyName("read_back_errors")] public Dictionary<string, string> ReadBackErrors { get; init; } = [];
    [JsonPropertyName("acknowledged")] public int Acknowledged { get; init; }
    [JsonPropertyName("lost")] public int Lost { get; init; }
    [JsonPropertyName("unreadable")] public int Unreadable { get; init; }
    [JsonPropertyName("load_before")] public double LoadBefore { get; init; }
    [JsonPropertyName("load_after")] public double LoadAfter { get; init; }
    [JsonPropertyName("logs")] public string? Logs { get; init; }
}
