using System.Diagnostics;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>Proposals per second through one in-memory three-replica group: the ceiling without I/O or network.</summary>
public static class CoreScenario
{
    public static BenchResult Run(TimeSpan duration, int batchSize, int payloadBytes)
    {
        var group = new LocalGroup(3, id => new RaftConfig { Id = id, RandomSeed = (int)id, MaxInflightMessages = 1024 });
        var electionWatch = Stopwatch.StartNew();
        var electionTicks = group.TickUntilLeader();
        var electionMs = electionWatch.Elapsed.TotalMilliseconds;
        var leader = group.Leader ?? throw new InvalidOperationException("no leader elected");

        var payload = new byte[payloadBytes];
        var latenciesUs = new List<double>();
        long proposals = 0;
        var writesBefore = group.DurableWrites;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            var batchStart = watch.Elapsed;
            for (var i = 0; i < batchSize; i++)
            {
                var result = leader.Propose(payload);
                if (!result.Accepted) throw new InvalidOperationException($"proposal refused: {result}");
            }
            // Every proposal of the batch is committed on the leader when the group is quiet.
            group.RunUntilQuiet();
            proposals += batchSize;
            latenciesUs.Add((watch.Elapsed - batchStart).TotalMicroseconds);
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        if (leader.Committed < (ulong)proposals) throw new InvalidOperationException($"only {leader.Committed} of {proposals} committed");
        latenciesUs.Sort();
        return new BenchResult
        {
            Scenario = "core",
            Replicas = 3,
            BatchSize = batchSize,
            PayloadBytes = payloadBytes,
            Proposals = proposals,
            OpsPerSecond = Math.Round(proposals / elapsed),
            P50Us = BenchSupport.Percentile(latenciesUs, 0.50, digits: 1),
            P99Us = BenchSupport.Percentile(latenciesUs, 0.99, digits: 1),
            DurableWritesPerProposal = Math.Round((double)(group.DurableWrites - writesBefore) / proposals, 4),
            ElectionTicks = electionTicks,
            ElectionMs = Math.Round(electionMs, 3),
            CpuSeconds = Math.Round(cpu, 2),
            ElapsedSeconds = Math.Round(elapsed, 2),
            MemoryMb = Math.Round(GC.GetTotalMemory(false) / 1048576.0, 1),
        };
    }

}
