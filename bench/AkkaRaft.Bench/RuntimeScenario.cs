using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Journal;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// Three actor systems in this process on loopback Akka.Remote, each with its own SQLite journal (WAL), one group of
/// three replicas, C clients proposing through the leader; then the leader's system is terminated and the time until
/// a new leader commits is measured.
/// </summary>
public static class RuntimeScenario
{
    private const ulong Group = 1;
    private const int Nodes = 3;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public static async Task<RuntimeBenchResult> Run(TimeSpan duration, int clients, int payloadBytes, string? profilePath = null)
    {
        var rootDir = BenchSupport.NewDataDir();
        var systems = new List<ActorSystem>();
        try
        {
            for (var i = 0; i < Nodes; i++) systems.Add(StartSystem(rootDir, i));
            var handles = systems.Select((s, i) => AkkaRaftExtension.Get(s).StartNode((ulong)i + 1)).ToList();
            await IntroduceCoordinators(systems, handles);
            var settings = AkkaRaftExtension.Get(systems[0]).Settings;

            var peers = handles.ToDictionary(h => h.NodeId, h => h.NodeId);
            var createWatch = Stopwatch.StartNew();
            await Task.WhenAll(handles.Select(h => h.CreateGroupAsync(Group, h.NodeId, peers, () => new CountingStateMachine())));
            var createMs = createWatch.Elapsed.TotalMilliseconds;
            // From every replica running (journal tables ready) to the first leader.
            var electionWatch = Stopwatch.StartNew();
            var leader = await AwaitLeader(handles, aboveTerm: 0);
            var electionMs = electionWatch.Elapsed.TotalMilliseconds;

            // Warm-up: JIT, connections, the journal's first transactions.
            await Load(handles[(int)leader.PeerId - 1], TimeSpan.FromSeconds(1), clients, payloadBytes);

            var writesBefore = JournalWriteCounter.Writes;
            // CPU of the whole process (all three nodes) over the measured window only.
            var ((proposals, failures, latenciesMs, elapsed), window) =
                await MeasuredWindow.RunAsync(profilePath, () => Load(handles[(int)leader.PeerId - 1], duration, clients, payloadBytes));
            var writes = JournalWriteCounter.Writes - writesBefore;
            var memoryMb = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
            latenciesMs.Sort();

            var failoverMs = await MeasureFailover(systems, handles, leader);

            return new RuntimeBenchResult
            {
                Scenario = "write",
                Nodes = Nodes,
                Clients = clients,
                PayloadBytes = payloadBytes,
                Proposals = proposals,
                Failures = failures,
                OpsPerSecond = Math.Round(proposals / elapsed),
                P50Ms = BenchSupport.Percentile(latenciesMs, 0.50),
                P99Ms = BenchSupport.Percentile(latenciesMs, 0.99),
                CreateGroupMs = Math.Round(createMs, 1),
                ElectionMs = Math.Round(electionMs, 1),
                TickMs = settings.TickInterval.TotalMilliseconds,
                ElectionTicks = settings.ElectionTicks,
                JournalWrites = writes,
                JournalWritesPerProposal = proposals == 0 ? 0 : Math.Round((double)writes / proposals, 4),
                CpuSeconds = Math.Round(window.CpuSeconds, 2),
                CpuMicrosPerWrite = window.CpuMicrosPer(proposals),
                AllocatedBytesPerWrite = window.AllocatedBytesPer(proposals),
                LoadAverage = BenchSupport.LoadAverage(),
                ElapsedSeconds = Math.Round(elapsed, 2),
                MemoryMb = Math.Round(memoryMb, 1),
                FailoverMs = Math.Round(failoverMs, 1),
            };
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
            BenchSupport.DeleteDataDir(rootDir);
        }
    }

    internal static ActorSystem StartSystem(string rootDir, int index, string extraHocon = "")
    {
        var name = $"node{index}";
        var dataDir = Path.Combine(rootDir, name);
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, name));
        var config = ConfigurationFactory.ParseString($$"""
                akka {
                  loglevel = ERROR
                  actor.provider = remote
                  remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                  persistence.journal.akkaraft-sqlite {
                    event-adapters.count-writes = "{{typeof(JournalWriteCounter).AssemblyQualifiedName}}"
                    event-adapter-bindings { "{{typeof(RaftLogWritten).AssemblyQualifiedName}}" = count-writes }
                  }
                }
                """)
            .WithFallback(ConfigurationFactory.ParseString(extraHocon))
            .WithFallback(ConfigurationFactory.ParseString(Environment.GetEnvironmentVariable(ExtraHoconVariable) ?? ""))
            .WithFallback(Environment.GetEnvironmentVariable("AKKARAFT_BENCH_JOURNAL") == "inmem"
                ? InMemoryJournal(dataDir)
                : SqlitePersistenceConfig.For(dataDir, name))
            .WithFallback(RaftReferenceConfig.Value);
        return ActorSystem.Create("akkaraft-bench", config);
    }

    // AKKARAFT_BENCH_HOCON: extra settings for every node of the write scenario (e.g. the host's own akka.scheduler.tick-duration).
    internal const string ExtraHoconVariable = "AKKARAFT_BENCH_HOCON";

    // AKKARAFT_BENCH_JOURNAL=inmem: the runtime without disk, to see what the journal costs.
    internal static Config InMemoryJournal(string dataDir) => ConfigurationFactory.ParseString(
        "akka-raft.journal-plugin-id = \"akka.persistence.journal.inmem\"\n" +
        "akka-raft.snapshot-plugin-id = \"akka.persistence.snapshot-store.local\"\n" +
        $"akka.persistence.snapshot-store.local.dir = \"{Path.Combine(dataDir, "snapshots").Replace('\\', '/')}\"");

    // No cluster: each coordinator is told where the others are.
    internal static async Task IntroduceCoordinators(List<ActorSystem> systems, List<RaftNodeHandle> handles)
    {
        for (var i = 0; i < systems.Count; i++)
        {
            for (var j = 0; j < systems.Count; j++)
            {
                if (i == j) continue;
                var address = ((ExtendedActorSystem)systems[j]).Provider.DefaultAddress;
                var remote = await systems[i].ActorSelection(new RootActorPath(address) / "system" / NodeCoordinator.Name).ResolveOne(RequestTimeout);
                handles[i].Coordinator.Tell(new RegisterNode(handles[j].NodeId, remote));
            }
        }
    }

    private static async Task<GroupStatus> AwaitLeader(IReadOnlyList<RaftNodeHandle> handles, ulong aboveTerm)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (var handle in handles)
            {
                if (await handle.StatusAsync(Group, RequestTimeout) is GroupStatus { Role: StateRole.Leader } status && status.Term > aboveTerm) return status;
            }
            await Task.Delay(5);
        }
        throw new TimeoutException("no leader within 60 s");
    }

    private static async Task<(long Proposals, long Failures, List<double> LatenciesMs, double Elapsed)> Load(
        RaftNodeHandle leader, TimeSpan duration, int clients, int payloadBytes)
    {
        var latencies = new ConcurrentBag<List<double>>();
        long proposals = 0;
        long failures = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = new List<double>();
            var payload = new byte[payloadBytes];
            Random.Shared.NextBytes(payload);
            while (watch.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                var answer = await leader.ProposeAsync(Group, payload, RequestTimeout);
                if (answer is ProposeSucceeded)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    Interlocked.Increment(ref proposals);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
            latencies.Add(mine);
        })));
        return (proposals, failures, latencies.SelectMany(l => l).ToList(), watch.Elapsed.TotalSeconds);
    }

    // Kills the leader's whole system and times until a survivor leads and has committed a proposal.
    private static async Task<double> MeasureFailover(List<ActorSystem> systems, List<RaftNodeHandle> handles, GroupStatus leader)
    {
        var survivors = handles.Where(h => h.NodeId != leader.PeerId).ToList();
        var watch = Stopwatch.StartNew();
        await systems[(int)leader.PeerId - 1].Terminate();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var next = await AwaitLeader(survivors, aboveTerm: leader.Term);
            if (await handles[(int)next.PeerId - 1].ProposeAsync(Group, [1, 2, 3], TimeSpan.FromSeconds(1)) is ProposeSucceeded)
            {
                return watch.Elapsed.TotalMilliseconds;
            }
        }
        throw new TimeoutException("no new leader committed within 60 s");
    }


    /// <summary>Applies nothing but counts: the bench measures the runtime, not a state machine.</summary>
    internal sealed class CountingStateMachine : IRaftStateMachine
    {
        public ulong AppliedIndex { get; private set; }

        public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
        {
            AppliedIndex = batch[^1].Index;
            return new object?[batch.Count];
        }

        public byte[] TakeSnapshot() => BitConverter.GetBytes(AppliedIndex);

        public void Restore(byte[] snapshot, ulong index) => AppliedIndex = index;
    }
}

/// <summary>Journal event adapter that counts RaftLogWritten events written (each one is one journaled Ready).</summary>
public sealed class JournalWriteCounter : IWriteEventAdapter
{
    private static long _writes;

    /// <summary>Events written so far by every journal in the process.</summary>
    public static long Writes => Interlocked.Read(ref _writes);

    public string Manifest(object evt) => "";

    public object ToJournal(object evt)
    {
        Interlocked.Increment(ref _writes);
        return evt;
    }
}

/// <summary>JSON line of the runtime scenario.</summary>
public sealed record RuntimeBenchResult
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("nodes")] public int Nodes { get; init; }
    [JsonPropertyName("clients")] public int Clients { get; init; }
    [JsonPropertyName("payload_bytes")] public int PayloadBytes { get; init; }
    [JsonPropertyName("proposals")] public long Proposals { get; init; }
    [JsonPropertyName("failures")] public long Failures { get; init; }
    [JsonPropertyName("ops_per_s")] public double OpsPerSecond { get; init; }
    [JsonPropertyName("p50_ms")] public double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public double P99Ms { get; init; }
    [JsonPropertyName("create_group_ms")] public double CreateGroupMs { get; init; }
    [JsonPropertyName("election_ms")] public double ElectionMs { get; init; }
    [JsonPropertyName("tick_ms")] public double TickMs { get; init; }
    [JsonPropertyName("election_ticks")] public int ElectionTicks { get; init; }
    [JsonPropertyName("journal_writes")] public long JournalWrites { get; init; }
    [JsonPropertyName("journal_writes_per_proposal")] public double JournalWritesPerProposal { get; init; }
    [JsonPropertyName("cpu_s")] public double CpuSeconds { get; init; }
    [JsonPropertyName("cpu_us_per_write")] public double CpuMicrosPerWrite { get; init; }
    [JsonPropertyName("alloc_bytes_per_write")] public double AllocatedBytesPerWrite { get; init; }
    [JsonPropertyName("load_avg")] public string LoadAverage { get; init; } = "";
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
    [JsonPropertyName("memory_mb")] public double MemoryMb { get; init; }
    [JsonPropertyName("failover_ms")] public double FailoverMs { get; init; }
}
