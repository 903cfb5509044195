using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;

namespace AkkaRaft.Bench;

/// <summary>
/// Region split under load: the embedded 3-node KV cluster (as in <see cref="KvScenario"/>) starting with one region,
/// a small split size and a short split check; C closed-loop clients SET fresh keys spread over the keyspace through the
/// three routers. Each split is timed from the leader store's "over the split size" log event to both halves having
/// taken a probe write through a router. At the end every acknowledged key is read back.
/// </summary>
public static partial class SplitScenario
{
    private const int Nodes = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static async Task<SplitBenchResult> Run(int clients, int payloadBytes, int splitSizeKb, TimeSpan duration)
    {
        var rootDir = BenchSupport.NewDataDir();
        var ids = Enumerable.Range(1, Nodes).Select(i => (ulong)i).ToList();
        var systems = new List<ActorSystem>();
        SplitLogWatcher.Reset();
        try
        {
            var hocon = $$"""
                akka.loglevel = INFO
                akka.loggers = ["{{typeof(SplitLogWatcher).AssemblyQualifiedName}}"]
                akka-raft.region {
                  initial-split-keys = []
                  split-size = {{splitSizeKb * 1024}}
                  split-check-interval = 200ms
                }
                """;
            foreach (var id in ids) systems.Add(KvScenario.StartSystem(rootDir, id, hocon));
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            var ups = systems.Select(KvScenario.WhenUp).ToList();
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await Task.WhenAll(ups).WaitAsync(StartTimeout);
            var nodes = systems.Select((system, i) => AkkaRaftKv.StartNode(system, ids[i], ids)).ToList();
            await KvScenario.WaitUntilReady(nodes, 1);

            using var stopProbes = new CancellationTokenSource();
            var probes = ProbeSplitsAsync(nodes[1].Client, stopProbes.Token);
            var load = await Load(nodes, clients, payloadBytes, duration);
            // Let splits that started during the load finish serving before the probe loop stops.
            await Task.Delay(TimeSpan.FromSeconds(2));
            await stopProbes.CancelAsync();
            var serveMs = await probes;
            serveMs.Sort();

            var regionsAtEnd = (await nodes[0].Client.RegionsAsync()).Count;
            var lost = await CountLostWrites(nodes[2].Client, load.Acknowledged, clients);
            var attempts = load.Ok + load.Errors;
            return new SplitBenchResult
            {
                Seconds = (int)duration.TotalSeconds,
                Clients = clients,
                SplitSizeKb = splitSizeKb,
                SplitsDone = SplitLogWatcher.SplitsApplied,
                RegionsAtEnd = regionsAtEnd,
                SplitServeMsP50 = BenchSupport.Percentile(serveMs, 0.50, 1),
                SplitServeMsMax = serveMs.Count == 0 ? 0 : Math.Round(serveMs[^1], 1),
                SplitsTimed = serveMs.Count,
                WriteSuccessRate = attempts == 0 ? 0 : Math.Round((double)load.Ok / attempts, 5),
                Errors = load.Errors,
                OpsPerSecond = Math.Round(load.Ok / load.Elapsed),
                WorstSecondOps = load.PerSecond.Length == 0 ? 0 : load.PerSecond.Min(),
                Acknowledged = load.Acknowledged.Count,
                LostWrites = lost,
            };
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => CoordinatedShutdown.Get(s).Run(CoordinatedShutdown.ClrExitReason.Instance)));
            await Task.WhenAll(systems.Select(s => s.WhenTerminated));
            BenchSupport.DeleteDataDir(rootDir);
        }
    }

    private sealed record LoadOutcome(long Ok, long Errors, double Elapsed, long[] PerSecond, ConcurrentDictionary<string, string> Acknowledged);

    /// <summary>Closed-loop SETs of fresh keys "k{0000..9999}-{client}-{n}" (spread over the keyspace) through every router.</summary>
    private static async Task<LoadOutcome> Load(IReadOnlyList<KvNode> nodes, int clients, int payloadBytes, TimeSpan duration)
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        var perSecond = new long[(int)Math.Ceiling(duration.TotalSeconds) + 1];
        long ok = 0;
        long errors = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var client = nodes[c % nodes.Count].Client;
            var random = new Random(c);
            var padding = new string('x', Math.Max(0, payloadBytes - 16));
            for (var n = 0; watch.Elapsed < duration; n++)
            {
                var key = $"k{random.Next(10_000):D4}-{c:D2}-{n}";
                var value = $"{c}:{n}:{padding}";
                var reply = await client.SetAsync(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
                if (reply is KvReply.OkReply)
                {
                    acknowledged[key] = value;
                    Interlocked.Increment(ref ok);
                    var second = (int)watch.Elapsed.TotalSeconds;
                    if (second < perSecond.Length) Interlocked.Increment(ref perSecond[second]);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        var elapsed = watch.Elapsed.TotalSeconds;
        // Whole seconds only: the last, partial one would look like a dip.
        return new LoadOutcome(ok, errors, elapsed, perSecond[..Math.Min(perSecond.Length, (int)Math.Floor(elapsed))], acknowledged);
    }

    /// <summary>
    /// For every split the store logs as applied (first store to apply it): from the leader's "over the split size" event
    /// for that region to a probe SET into each half having succeeded.
    /// </summary>
    private static async Task<List<double>> ProbeSplitsAsync(IKvClient client, CancellationToken stop)
    {
        var serveMs = new List<double>();
        var inFlight = new List<Task<double?>>();
        try
        {
            await foreach (var split in SplitLogWatcher.Applied.Reader.ReadAllAsync(stop))
                inFlight.Add(ProbeAsync(client, split));
        }
        catch (OperationCanceledException)
        {
            // Load over.
        }
        foreach (var probe in inFlight)
            if (await probe is { } ms) serveMs.Add(ms);
        return serveMs;
    }

    private static async Task<double?> ProbeAsync(IKvClient client, AppliedSplit split)
    {
        if (split.StartedUtc is not { } started) return null; // not a size-triggered split
        foreach (var key in new[] { split.LeftStart + "!p", split.SplitKey + "!p" })
        {
            for (var attempt = 0; ; attempt++)
            {
                if (await client.SetAsync(Encoding.UTF8.GetBytes(key), "probe"u8.ToArray()) is KvReply.OkReply) break;
                if (attempt == 10) return null;
            }
        }
        return (DateTime.UtcNow - started).TotalMilliseconds;
    }

    private static async Task<long> CountLostWrites(IKvClient client, ConcurrentDictionary<string, string> acknowledged, int readers)
    {
        long lost = 0;
        var queue = new ConcurrentQueue<KeyValuePair<string, string>>(acknowledged);
        await Task.WhenAll(Enumerable.Range(0, readers).Select(_ => Task.Run(async () =>
        {
            while (queue.TryDequeue(out var entry))
            {
                var reply = await client.GetAsync(Encoding.UTF8.GetBytes(entry.Key));
                // One retry for a transient error; a wrong or missing value is lost either way.
                if (reply is KvReply.Error) reply = await client.GetAsync(Encoding.UTF8.GetBytes(entry.Key));
                if (reply is not KvReply.Value { Data: { } data } || Encoding.UTF8.GetString(data) != entry.Value) Interlocked.Increment(ref lost);
            }
        })));
        return lost;
    }

    /// <summary>A split as a store logged it applied: the left region's start, the split key, and when its split began.</summary>
    internal sealed record AppliedSplit(ulong LeftId, string LeftStart, string SplitKey, DateTime? StartedUtc);

    /// <summary>
    /// Akka logger of the bench's systems: turns the stores' split log lines into <see cref="AppliedSplit"/> events (one per
    /// split, at the first store that applies it) and prints warnings and errors to stderr, keeping stdout for the JSON line.
    /// </summary>
    public sealed partial class SplitLogWatcher : ReceiveActor
    {
        private static readonly ConcurrentDictionary<ulong, DateTime> Started = new();
        private static readonly ConcurrentDictionary<(ulong, ulong), byte> Seen = new();
        private static int _splitsApplied;

        internal static System.Threading.Channels.Channel<AppliedSplit> Applied { get; private set; } = NewChannel();

        internal static int SplitsApplied => Volatile.Read(ref _splitsApplied);

        internal static void Reset()
        {
            Started.Clear();
            Seen.Clear();
            _splitsApplied = 0;
            Applied = NewChannel();
        }

        private static System.Threading.Channels.Channel<AppliedSplit> NewChannel() => System.Threading.Channels.Channel.CreateUnbounded<AppliedSplit>();

        public SplitLogWatcher()
        {
            Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
            Receive<Info>(OnInfo);
            Receive<Warning>(w => Console.Error.WriteLine($"[WARNING] {w.LogSource}: {w.Message}"));
            Receive<Error>(e => Console.Error.WriteLine($"[ERROR] {e.LogSource}: {e.Message} {e.Cause}"));
            ReceiveAny(_ => { });
        }

        private static void OnInfo(Info info)
        {
            var text = info.Message?.ToString() ?? "";
            if (SplitStartLine().Match(text) is { Success: true } start)
            {
                Started[ulong.Parse(start.Groups[1].Value, CultureInfo.InvariantCulture)] = info.Timestamp;
                return;
            }
            if (SplitAppliedLine().Match(text) is not { Success: true } applied) return;
            var leftId = ulong.Parse(applied.Groups[1].Value, CultureInfo.InvariantCulture);
            var version = ulong.Parse(applied.Groups[3].Value, CultureInfo.InvariantCulture);
            if (!Seen.TryAdd((leftId, version), 0)) return;
            Interlocked.Increment(ref _splitsApplied);
            DateTime? began = Started.TryRemove(leftId, out var at) ? at : null;
            Applied.Writer.TryWrite(new AppliedSplit(leftId, applied.Groups[2].Value, applied.Groups[4].Value, began));
        }

        // Store.Split: "[region {0}] over the split size ({1} bytes): splitting at {2}".
        [GeneratedRegex("""^\[region (\d+)\] over the split size""")]
        private static partial Regex SplitStartLine();

        // Store.Split: "[region {0}] split applied on store {1}: {left} and {right}", a region printed as region N ["start", "end") vC/V.
        [GeneratedRegex("""^\[region (\d+)\] split applied on store \d+: region \d+ \["([^"]*)", "[^"]*"\) v\d+/(\d+) and region \d+ \["([^"]*)",""")]
        private static partial Regex SplitAppliedLine();
    }
}

/// <summary>JSON line of the split scenario (ops count successful SETs; split_serve_ms from split start to both halves taking a write).</summary>
public sealed record SplitBenchResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "split";
    [JsonPropertyName("seconds")] public int Seconds { get; init; }
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("split_size_kb")] public int SplitSizeKb { get; init; }
    [JsonPropertyName("splits_done")] public int SplitsDone { get; init; }
    [JsonPropertyName("regions_at_end")] public int RegionsAtEnd { get; init; }
    [JsonPropertyName("split_serve_ms_p50")] public double SplitServeMsP50 { get; init; }
    [JsonPropertyName("split_serve_ms_max")] public double SplitServeMsMax { get; init; }
    [JsonPropertyName("splits_timed")] public int SplitsTimed { get; init; }
    [JsonPropertyName("write_success_rate")] public double WriteSuccessRate { get; init; }
    [JsonPropertyName("errors")] public long Errors { get; init; }
    [JsonPropertyName("ops_per_s")] public double OpsPerSecond { get; init; }
    [JsonPropertyName("worst_1s_ops_per_s")] public long WorstSecondOps { get; init; }
    [JsonPropertyName("acknowledged")] public int Acknowledged { get; init; }
    [JsonPropertyName("lost_writes")] public long LostWrites { get; init; }
}
