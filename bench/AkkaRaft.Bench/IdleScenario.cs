using System.Diagnostics;
using System.Text.Json.Serialization;
using Akka.Actor;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// R groups × 3 replicas on three nodes in this process (SQLite journals): time until every group has a leader, then
/// the steady CPU of the idle (hibernating) system, managed heap and RSS per replica, and the latency of a write that
/// wakes a sleeping group.
/// </summary>
public static class IdleScenario
{
    private const int WakeSamples = 50;

    public static async Task<IdleBenchResult> Run(int regions, TimeSpan idleWindow)
    {
        var rootDir = BenchSupport.NewDataDir();
        var systems = new List<ActorSystem>();
        try
        {
            // Hibernation after 3 s of quiet (30 ticks at 100 ms): long enough for every election to settle.
            for (var i = 0; i < 3; i++) systems.Add(RuntimeScenario.StartSystem(rootDir, i, "akka-raft.hibernate-after-ticks = 30\nakka-raft.initial-election-spread-ticks = 50"));
            var handles = systems.Select((s, i) => AkkaRaftExtension.Get(s).StartNode((ulong)i + 1)).ToList();
            await RuntimeScenario.IntroduceCoordinators(systems, handles);
            GC.Collect();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var rssBefore = Process.GetCurrentProcess().WorkingSet64;

            var watch = Stopwatch.StartNew();
            var peers = handles.ToDictionary(h => h.NodeId, h => h.NodeId);
            for (var start = 1; start <= regions; start += 100)
            {
                var batch = Enumerable.Range(start, Math.Min(100, regions - start + 1)).Select(g => (ulong)g).ToList();
                await Task.WhenAll(batch.SelectMany(g => handles.Select(h => h.CreateGroupAsync(g, h.NodeId, peers, () => new RuntimeScenario.CountingStateMachine(), TimeSpan.FromMinutes(5)))));
            }
            var created = watch.Elapsed.TotalSeconds;
            var pending = Enumerable.Range(1, regions).Select(g => (ulong)g).ToHashSet();
            // Terms above 1: the group needed more than one election (split votes, or a campaign nobody was there to hear).
            var reelected = 0;
            while (pending.Count > 0 && watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                foreach (var group in pending.ToList())
                {
                    if (await handles[0].StatusAsync(group, TimeSpan.FromSeconds(30)) is GroupStatus { Leader: not 0 } led)
                    {
                        pending.Remove(group);
                        if (led.Term > 1) reelected++;
                    }
                }
            }
            var electedSeconds = watch.Elapsed.TotalSeconds;

            // Let the groups fall asleep, then measure a quiet window.
            await Task.Delay(TimeSpan.FromSeconds(8));
            var hibernating = 0;
            foreach (var group in Enumerable.Range(1, regions).Select(g => (ulong)g))
            {
                if (await handles[0].StatusAsync(group, TimeSpan.FromSeconds(30)) is GroupStatus { Hibernating: true }) hibernating++;
            }
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var idleWatch = Stopwatch.StartNew();
            await Task.Delay(idleWindow);
            var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / idleWatch.Elapsed.TotalSeconds * 100;
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            var rssAfter = self.WorkingSet64;

            // Wake test: one write each to sleeping groups picked at random, through the leader's node, one after another.
            var random = new Random(42);
            var wakeMs = new List<double>();
            foreach (var group in Enumerable.Range(1, regions).OrderBy(_ => random.Next()).Take(WakeSamples).Select(g => (ulong)g))
            {
                if (await handles[0].StatusAsync(group, TimeSpan.FromSeconds(30)) is not GroupStatus { Hibernating: true, Leader: not 0 } status) continue;
                var leader = handles.Single(h => h.NodeId == status.PeerNodes.GetValueOrDefault(status.Leader, status.Leader));
                var write = Stopwatch.StartNew();
                if (await leader.ProposeAsync(group, [1], TimeSpan.FromSeconds(10)) is ProposeSucceeded) wakeMs.Add(write.Elapsed.TotalMilliseconds);
            }
            wakeMs.Sort();

            return new IdleBenchResult
            {
                Scenario = "idle",
                Regions = regions,
                Replicas = regions * 3,
                CreatedSeconds = Math.Round(created, 1),
                ElectedSeconds = Math.Round(electedSeconds, 1),
                ElectedAfterCreatedSeconds = Math.Round(electedSeconds - created, 1),
                ElectedInLaterTerm = reelected,
                NotElected = pending.Count,
                HibernatingOnNode1 = hibernating,
                IdleCpuPercentOfOneCore = Math.Round(cpuPercent, 2),
                BytesPerReplica = (heapAfter - heapBefore) / (regions * 3),
                RssBytesPerReplica = (rssAfter - rssBefore) / (regions * 3),
                WakeWrites = wakeMs.Count,
                WakeWriteP50Ms = wakeMs.Count == 0 ? 0 : Math.Round(wakeMs[wakeMs.Count / 2], 1),
                WakeWriteP99Ms = wakeMs.Count == 0 ? 0 : Math.Round(wakeMs[Math.Min(wakeMs.Count - 1, (int)(wakeMs.Count * 0.99))], 1),
            };
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
            BenchSupport.DeleteDataDir(rootDir);
        }
    }
}

/// <summary>JSON line of the idle scenario.</summary>
public sealed record IdleBenchResult
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("regions")] public int Regions { get; init; }
    [JsonPropertyName("replicas")] public int Replicas { get; init; }
    [JsonPropertyName("created_s")] public double CreatedSeconds { get; init; }
    [JsonPropertyName("elected_s")] public double ElectedSeconds { get; init; }
    [JsonPropertyName("elected_after_created_s")] public double ElectedAfterCreatedSeconds { get; init; }
    [JsonPropertyName("elected_in_later_term")] public int ElectedInLaterTerm { get; init; }
    [JsonPropertyName("not_elected")] public int NotElected { get; init; }
    [JsonPropertyName("hibernating_on_node1")] public int HibernatingOnNode1 { get; init; }
    [JsonPropertyName("cpu_pct")] public double IdleCpuPercentOfOneCore { get; init; }
    [JsonPropertyName("bytes_per_replica")] public long BytesPerReplica { get; init; }
    [JsonPropertyName("rss_bytes_per_replica")] public long RssBytesPerReplica { get; init; }
    [JsonPropertyName("wake_writes")] public int WakeWrites { get; init; }
    [JsonPropertyName("wake_write_p50_ms")] public double WakeWriteP50Ms { get; init; }
    [JsonPropertyName("wake_write_p99_ms")] public double WakeWriteP99Ms { get; init; }
}
