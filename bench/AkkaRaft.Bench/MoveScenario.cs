using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Akka.Actor;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;
using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Bench;

/// <summary>
/// Region move under load: the embedded KV cluster of <see cref="KvScenario"/> with one region on nodes 1..3 and a fourth
/// node that joins as an empty store. The region is filled to --fill-mb with 1 KiB values (MSET batches through the
/// routers); then C closed-loop clients SET fresh keys while one follower replica of the region moves to store 4
/// (<see cref="MoveRegion"/> to a scheduler). Reports the snapshot the leader streamed to store 4 (from its coordinator's
/// transfer list), when the learner caught up, the whole move, and the writes during the move; at the end every
/// acknowledged key (fill and load) is read back.
/// </summary>
public static class MoveScenario
{
    private const int Nodes = 4;
    private const int ValueBytes = 1024;
    private const int FillBatch = 64;
    private static readonly IReadOnlyList<ulong> InitialNodes = [1, 2, 3];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const int MaxAttempts = 8;
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(5);

    public static async Task<MoveBenchResult> Run(int clients, int payloadBytes, int fillMb)
    {
        var rootDir = BenchSupport.NewDataDir();
        var ids = Enumerable.Range(1, Nodes).Select(i => (ulong)i).ToList();
        var systems = new List<ActorSystem>();
        try
        {
            // One region that never splits during the run; heartbeats every second so store 4 is known soon; only the bench moves replicas.
            var hocon = $$"""
                akka.loglevel = WARNING
                akka.loggers = ["{{typeof(SplitScenario.SplitLogWatcher).AssemblyQualifiedName}}"]
                akka-raft {
                  region { initial-split-keys = [], split-size = 4294967296 }
                  placement.heartbeat-interval = 1s
                  scheduler { interval = 200ms, balance = off }
                }
                """;
            foreach (var id in ids) systems.Add(KvScenario.StartSystem(rootDir, id, hocon));
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            var ups = systems.Select(KvScenario.WhenUp).ToList();
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await Task.WhenAll(ups).WaitAsync(StartTimeout);
            var nodes = systems.Select((system, i) => AkkaRaftKv.StartNode(system, ids[i], InitialNodes)).ToList();
            await KvScenario.WaitUntilReady(nodes.Take(3).ToList(), 1);
            await WaitForStoreAsync(nodes[0], 4);

            var acknowledged = new ConcurrentDictionary<string, string>();
            var fillWatch = Stopwatch.StartNew();
            await FillAsync(nodes, fillMb, acknowledged);
            var fillSeconds = fillWatch.Elapsed.TotalSeconds;
            var region = (await nodes[0].Client.RegionsAsync()).Single();
            var from = region.Stores.First(s => s != region.LeaderStore && s != 4);

            using var load = new Load(nodes, clients, payloadBytes, acknowledged);
            await Task.Delay(TimeSpan.FromSeconds(2)); // writes in full swing before the move
            var moveStart = load.Elapsed;
            var schedulers = new HashSet<ulong>();
            var attempts = new List<string>();
            OperatorView? finished = null;
            var caughtUpMs = 0.0;
            // A scheduler that loses placement leadership (elections on a starved 2-core machine) cancels its operators; the
            // bench then asks again, as an operator would. Each attempt is reported.
            OperatorView? last = null;
            while (finished is null && attempts.Count < MaxAttempts)
            {
                var attemptStart = load.Elapsed;
                var accepted = await AskSchedulerAsync<OperatorReply>(nodes[1], new MoveRegion(region.Id, from, 4), r => r.NotReady);
                if (!accepted.Accepted)
                {
                    // e.g. a learner left behind by a cancelled operator: the scheduler removes it on a later round.
                    attempts.Add($"refused: {accepted.Detail}");
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    continue;
                }
                var (view, caughtUp) = await FollowAsync(nodes, accepted.OperatorId, attemptStart, load, schedulers);
                attempts.Add($"operator {view.Id} {view.State.Text()} at step {view.Step.Text()}: {view.Detail}");
                last = view;
                if (view.State == OperatorState.Done) (finished, caughtUpMs) = (view, caughtUp);
                else await Task.Delay(TimeSpan.FromSeconds(3));
            }
            var moveEnd = load.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(1));
            await load.StopAsync();

            // Without a finished move (every attempt failed) the line still reports the attempts, the writes and any lost ones.
            var final = finished ?? last;
            var transfer = await SnapshotToAsync(nodes, region.Id, 4, final?.StartedAtMs ?? 0);
            var during = load.Between(moveStart, moveEnd);
            var lost = await CountLostWrites(nodes[2].Client, acknowledged, clients);
            var moveSeconds = (moveEnd - moveStart).TotalSeconds;
            var snapshotSeconds = transfer?.FinishedAt is { } done ? (done - transfer.StartedAt).TotalSeconds : 0;
            return new MoveBenchResult
            {
                Clients = clients,
                Payload = payloadBytes,
                FillMb = fillMb,
                FillMbPerSecond = Math.Round(fillMb / fillSeconds, 1),
                FromStore = from,
                OperatorState = final?.State.Text() ?? "refused",
                OperatorDetail = final?.Detail ?? "",
                SnapshotBytes = transfer?.TotalBytes ?? final?.SnapshotBytesTotal ?? 0,
                SnapshotTransfers = await CountTransfersAsync(nodes, region.Id, 4, final?.StartedAtMs ?? 0),
                SnapshotMbPerSecond = snapshotSeconds <= 0 ? 0 : Math.Round(transfer!.TotalBytes / 1048576.0 / snapshotSeconds, 1),
                LearnerCaughtUpMs = Math.Round(caughtUpMs, 0),
                TotalMoveMs = finished is null ? 0 : finished.FinishedAtMs - finished.StartedAtMs,
                MoveAttempts = attempts.Count,
                Attempts = [.. attempts],
                SchedulerNodes = [.. schedulers.Order()],
                DuringMoveMs = Math.Round((moveEnd - moveStart).TotalMilliseconds),
                WriteSuccessRate = during.Ok + during.Errors == 0 ? 0 : Math.Round((double)during.Ok / (during.Ok + during.Errors), 5),
                P99MsDuringMove = BenchSupport.Percentile(during.LatenciesMs, 0.99, 1),
                P50MsDuringMove = BenchSupport.Percentile(during.LatenciesMs, 0.50, 1),
                OpsPerSecondDuringMove = moveSeconds <= 0 ? 0 : Math.Round(during.Ok / moveSeconds),
                Acknowledged = acknowledged.Count,
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

    /// <summary>Waits until the scheduler lists <paramref name="store"/> (its first heartbeat reached placement).</summary>
    private static async Task WaitForStoreAsync(KvNode node, ulong store)
    {
        using var limit = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            var reply = await AskSchedulerAsync<OperatorsReply>(node, new GetOperators(), r => r.SchedulerNode == 0);
            if (reply.Stores.Any(s => s.StoreId == store)) return;
            await Task.Delay(200, limit.Token);
        }
    }

    /// <summary>Asks a scheduler, retrying while none is active yet or it has not read the layout (a few seconds after start).</summary>
    private static async Task<TReply> AskSchedulerAsync<TReply>(KvNode node, object request, Func<TReply, bool> notReady)
    {
        using var limit = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            var reply = await node.Scheduler.Ask<TReply>(request, TimeSpan.FromSeconds(10));
            if (!notReady(reply)) return reply;
            await Task.Delay(200, limit.Token);
        }
    }

    /// <summary>MSETs of <see cref="FillBatch"/> 1 KiB values ("f00000000".."f…") from 8 fillers over the three initial routers.</summary>
    private static async Task FillAsync(IReadOnlyList<KvNode> nodes, int fillMb, ConcurrentDictionary<string, string> acknowledged)
    {
        var keys = fillMb * 1024;
        var batches = (keys + FillBatch - 1) / FillBatch;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(f => Task.Run(async () =>
        {
            var client = nodes[f % 3].Client;
            for (var b = Interlocked.Increment(ref next); b < batches; b = Interlocked.Increment(ref next))
            {
                var pairs = Enumerable.Range(b * FillBatch, Math.Min(FillBatch, keys - b * FillBatch))
                    .Select(i => ($"f{i:D8}", Value(i, ValueBytes))).ToList();
                var payload = pairs.Select(p => KeyValuePair.Create(Encoding.UTF8.GetBytes(p.Item1), Encoding.UTF8.GetBytes(p.Item2))).ToList();
                for (var attempt = 0; ; attempt++)
                {
                    // MSET is idempotent: a timed-out batch is simply sent again.
                    if (await client.SetManyAsync(payload) is KvReply.OkReply) break;
                    if (attempt == 10) throw new InvalidOperationException($"fill batch {b} failed 10 times");
                }
                foreach (var (key, value) in pairs) acknowledged[key] = value;
            }
        })));
    }

    private static string Value(int seed, int bytes)
    {
        var head = seed.ToString(CultureInfo.InvariantCulture) + ":";
        return head + new string((char)('a' + seed % 26), Math.Max(0, bytes - head.Length));
    }

    /// <summary>
    /// Polls the operator until it finishes; returns it and when its learner caught up (left the catch-up step), in ms from
    /// the move request. Notes every node whose scheduler answered in <paramref name="schedulers"/>.
    /// </summary>
    private static async Task<(OperatorView Finished, double CaughtUpMs)> FollowAsync(IReadOnlyList<KvNode> nodes, long operatorId, TimeSpan moveStart, Load load, HashSet<ulong> schedulers)
    {
        var missingSince = load.Elapsed;
        using var limit = new CancellationTokenSource(MoveTimeout);
        double? caughtUpMs = null;
        var sawCatchUp = false;
        while (true)
        {
            // An operator runs on the scheduler that started it, even after placement's leadership moved: ask every node's own.
            OperatorView? view = null;
            OperatorsReply reply = null!;
            foreach (var node in nodes)
            {
                reply = await node.Scheduler.Ask<OperatorsReply>(new GetOperators(Local: true), TimeSpan.FromSeconds(5));
                view = reply.Running.Concat(reply.Recent).FirstOrDefault(o => o.Id == operatorId);
                if (view is null) continue;
                schedulers.Add(reply.SchedulerNode);
                break;
            }
            if (view is null && load.Elapsed - missingSince > TimeSpan.FromSeconds(10))
            {
                // Another node's scheduler took over without this operator's history: treat it as cancelled.
                return (new OperatorView(operatorId, OperatorKind.Manual, 0, 0, 0, OperatorStep.Planned, OperatorState.Cancelled, $"lost: scheduler on node {reply.SchedulerNode} does not know it", 0, 0, 0, 0, 0, 0), 0);
            }
            if (view is not null)
            {
                missingSince = load.Elapsed;
                if (view.Step == OperatorStep.CatchUp) sawCatchUp = true;
                else if (caughtUpMs is null && (sawCatchUp || view.Step is OperatorStep.TransferLeader or OperatorStep.JointChange or OperatorStep.LeaveJoint or OperatorStep.RemoveSource))
                    caughtUpMs = (load.Elapsed - moveStart).TotalMilliseconds;
                if (view.State != OperatorState.Running) return (view, caughtUpMs ?? (load.Elapsed - moveStart).TotalMilliseconds);
            }
            await Task.Delay(50, limit.Token);
        }
    }

    private static async Task<List<SnapshotTransferProgress>> TransfersToAsync(IReadOnlyList<KvNode> nodes, ulong regionId, ulong toNode, long sinceMs)
    {
        var all = new List<SnapshotTransferProgress>();
        foreach (var node in nodes)
        {
            var transfers = await node.Raft.Coordinator.Ask<SnapshotTransfers>(GetSnapshotTransfers.Instance, TimeSpan.FromSeconds(5));
            all.AddRange(transfers.Active.Concat(transfers.Finished)
                .Where(t => t.GroupId == regionId && t.ToNode == toNode && t.StartedAt.ToUnixTimeMilliseconds() >= sinceMs - 1000));
        }
        return all;
    }

    /// <summary>The completed streamed snapshot to <paramref name="toNode"/> (the newest if Raft had to resend one); null when none was streamed.</summary>
    private static async Task<SnapshotTransferProgress?> SnapshotToAsync(IReadOnlyList<KvNode> nodes, ulong regionId, ulong toNode, long sinceMs) =>
        (await TransfersToAsync(nodes, regionId, toNode, sinceMs)).Where(t => t.State == SnapshotTransferState.Completed).MaxBy(t => t.StartedAt);

    private static async Task<int> CountTransfersAsync(IReadOnlyList<KvNode> nodes, ulong regionId, ulong toNode, long sinceMs) =>
        (await TransfersToAsync(nodes, regionId, toNode, sinceMs)).Count;

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

    /// <summary>C closed-loop clients SETting fresh keys "w-{client}-{n}" through the three initial routers; every answer is kept with its time.</summary>
    private sealed class Load : IDisposable
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<(TimeSpan At, double Ms, bool Ok)> _answers = new();
        private readonly Task _running;

        public Load(IReadOnlyList<KvNode> nodes, int clients, int payloadBytes, ConcurrentDictionary<string, string> acknowledged)
        {
            _running = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var client = nodes[c % 3].Client;
                var padding = new string('x', Math.Max(0, payloadBytes - 16));
                for (var n = 0; !_stop.IsCancellationRequested; n++)
                {
                    var key = $"w-{c:D2}-{n:D7}";
                    var value = $"{c}:{n}:{padding}";
                    var start = Stopwatch.GetTimestamp();
                    var reply = await client.SetAsync(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
                    var ok = reply is KvReply.OkReply;
                    _answers.Enqueue((_watch.Elapsed, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ok));
                    if (ok) acknowledged[key] = value;
                }
            })));
        }

        public TimeSpan Elapsed => _watch.Elapsed;

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
        }

        /// <summary>Answers that arrived between <paramref name="from"/> and <paramref name="to"/>: successes, errors and sorted success latencies.</summary>
        public (long Ok, long Errors, List<double> LatenciesMs) Between(TimeSpan from, TimeSpan to)
        {
            var window = _answers.Where(a => a.At >= from && a.At <= to).ToList();
            var latencies = window.Where(a => a.Ok).Select(a => a.Ms).Order().ToList();
            return (latencies.Count, window.Count(a => !a.Ok), latencies);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}

/// <summary>
/// JSON line of the move scenario. total_move_ms is the successful operator's own duration; during_move (ms, ops, p99,
/// success rate) spans from the first MoveRegion request to the operator seen done, retries included.
/// </summary>
public sealed record MoveBenchResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "move";
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("payload")] public int Payload { get; init; }
    [JsonPropertyName("fill_mb")] public int FillMb { get; init; }
    [JsonPropertyName("fill_mb_per_s")] public double FillMbPerSecond { get; init; }
    [JsonPropertyName("from_store")] public ulong FromStore { get; init; }
    [JsonPropertyName("operator_state")] public string OperatorState { get; init; } = "";
    [JsonPropertyName("operator_detail")] public string OperatorDetail { get; init; } = "";
    [JsonPropertyName("snapshot_bytes")] public long SnapshotBytes { get; init; }
    [JsonPropertyName("snapshot_transfers")] public int SnapshotTransfers { get; init; }
    [JsonPropertyName("snapshot_mb_per_s")] public double SnapshotMbPerSecond { get; init; }
    [JsonPropertyName("learner_caught_up_ms")] public double LearnerCaughtUpMs { get; init; }
    [JsonPropertyName("total_move_ms")] public long TotalMoveMs { get; init; }
    [JsonPropertyName("during_move_ms")] public double DuringMoveMs { get; init; }
    [JsonPropertyName("move_attempts")] public int MoveAttempts { get; init; }
    [JsonPropertyName("attempts")] public string[] Attempts { get; init; } = [];
    [JsonPropertyName("scheduler_nodes")] public ulong[] SchedulerNodes { get; init; } = [];
    [JsonPropertyName("write_success_rate")] public double WriteSuccessRate { get; init; }
    [JsonPropertyName("p50_ms_during_move")] public double P50MsDuringMove { get; init; }
    [JsonPropertyName("p99_ms_during_move")] public double P99MsDuringMove { get; init; }
    [JsonPropertyName("ops_per_s_during_move")] public double OpsPerSecondDuringMove { get; init; }
    [JsonPropertyName("acknowledged")] public int Acknowledged { get; init; }
    [JsonPropertyName("lost_writes")] public long LostWrites { get; init; }
}
