using System.Diagnostics;
using System.Text.Json.Serialization;
using Akka.Actor;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// R groups × 3 replicas on three nodes in this process (SQLite journals): time until every group has a leader, then
/// the steady CPU of the idle (hibernating) system and the managed memory per replica.
/// </summary>
public static class IdleScenario
{
    public static async Task<IdleBenchResult> Run(int regions, TimeSpan idleWindow)
    {
        var rootDir = BenchSupport.NewDataDir();
        var systems = new List<ActorSystem>();
        try
        {
            // Hibernation after 3 s of quiet (30 ticks at 100 ms): long enough for every election to settle.
            for (var i = 0; i < 3; i++) systems.Add(RuntimeScenario.StartSystem(rootDir, i, "akka-raft.hibernate-after-ticks = 30"));
            var handles = systems.Select((s, i) => AkkaRaftExtension.Get(s).StartNode((ulong)i + 1)).ToList();
            await RuntimeScenario.IntroduceCoordinators(systems, handles);
            GC.Collect();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

            var watch = Stopwatch.StartNew();
            var peers = handles.ToDictionary(h => h.NodeId, h => h.NodeId);
            for (var start = 1; start <= regions; start += 100)
            {
                var batch = Enumerable.Range(start, Math.Min(100, regions - start + 1)).Select(g => (ulong)g).ToList();
                await Task.WhenAll(batch.SelectMany(g => handles.Select(h => h.CreateGroupAsync(g, h.NodeId, peers, () => new RuntimeScenario.CountingStateMachine(), TimeSpan.FromMinutes(5)))));
            }
            var created = watch.Elapsed.TotalSeconds;
            var pending = Enumerable.Range(1, regions).Select(g => (ulong)g).ToHashSet();
            while (pending.Count > 0 && watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                foreach (var group in pending.ToList())
                {
                    if (await handles[0].StatusAsync(group, TimeSpan.FromSeconds(30)) is GroupStatus { Leader: not 0 }) pending.Remove(group);
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

            return new IdleBenchResult
            {
                Scenario = "idle",
                Regions = regions,
                Replicas = regions * 3,
                CreatedSeconds = Math.Round(created, 1),
                ElectedSeconds = Math.Round(electedSeconds, 1),
                NotElected = pending.Count,
                HibernatingOnNode1 = hibernating,
                IdleCpuPercentOfOneCore = Math.Round(cpuPercent, 2),
                BytesPerReplica = (heapAfter - heapBefore) / (regions * 3),
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
    [JsonPropertyName("not_elected")] public int NotElected { get; init; }
    [JsonPropertyName("hibernating_on_node1")] public int HibernatingOnNode1 { get; init; }
    [JsonPropertyName("cpu_pct")] public double IdleCpuPercentOfOneCore { get; init; }
    [JsonPropertyName("bytes_per_replica")] public long BytesPerReplica { get; init; }
}
