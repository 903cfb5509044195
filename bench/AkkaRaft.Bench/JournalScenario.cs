using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// The journal plugin alone: N persistent actors (one per persistence id, like N Raft groups on one node) each write
/// RaftLogWritten events of one entry back to back, one write in flight per actor, through AkkaRaft's SQLite journal.
/// Reports events/s, per-event write latency (Persist to handler) and transactions (fsyncs) per second, per N.
/// </summary>
public static class JournalScenario
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public static async Task<JournalBenchResult> Run(IReadOnlyList<int> idCounts, TimeSpan duration, int payloadBytes)
    {
        var runs = new List<JournalRun>();
        foreach (var ids in idCounts) runs.Add(await RunOne(ids, duration, payloadBytes));
        return new JournalBenchResult { PayloadBytes = payloadBytes, Seconds = duration.TotalSeconds, Runs = runs };
    }

    private static async Task<JournalRun> RunOne(int ids, TimeSpan duration, int payloadBytes)
    {
        var rootDir = BenchSupport.NewDataDir();
        using var transactions = new TransactionCounter();
        // AKKARAFT_BENCH_JOURNAL=inmem: Akka's in-memory journal instead, to see what Akka.Persistence itself costs.
        var inMemory = Environment.GetEnvironmentVariable("AKKARAFT_BENCH_JOURNAL") == "inmem";
        var config = ConfigurationFactory.ParseString("akka.loglevel = ERROR")
            .WithFallback(inMemory
                ? ConfigurationFactory.ParseString("akka.persistence.journal.plugin = \"akka.persistence.journal.inmem\"")
                : SqlitePersistenceConfig.For(rootDir, "journal-bench"))
            .WithFallback(RaftReferenceConfig.Value);
        var system = ActorSystem.Create("journal-bench", config);
        try
        {
            var window = new MeasurementWindow();
            var payload = new byte[payloadBytes];
            Random.Shared.NextBytes(payload);
            var writers = Enumerable.Range(0, ids).Select(i => system.ActorOf(Props.Create(() => new EventWriter($"bench-{i}", payload, window)))).ToList();
            // Every writer recovered (an empty journal) and ready before the clock starts.
            await Task.WhenAll(writers.Select(w => w.Ask<EventWriter.Ready>(EventWriter.Start.Instance, TimeSpan.FromMinutes(2))));
            await Task.Delay(WarmUp);

            var transactionsBefore = transactions.Value;
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            window.Open();
            await Task.Delay(duration);
            window.Close();
            var elapsed = window.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var committed = transactions.Value - transactionsBefore;

            var samples = await Task.WhenAll(writers.Select(w => w.Ask<List<double>>(EventWriter.Stop.Instance, TimeSpan.FromMinutes(1))));
            var latencies = samples.SelectMany(s => s).ToList();
            latencies.Sort();
            return new JournalRun
            {
                Journal = inMemory ? "inmem" : "akkaraft-sqlite",
                Ids = ids,
                Events = latencies.Count,
                EventsPerSecond = Math.Round(latencies.Count / elapsed),
                P50Ms = BenchSupport.Percentile(latencies, 0.50, 3),
                P99Ms = BenchSupport.Percentile(latencies, 0.99, 3),
                Transactions = committed,
                TransactionsPerSecond = Math.Round(committed / elapsed),
                EventsPerTransaction = committed == 0 ? 0 : Math.Round((double)latencies.Count / committed, 1),
                CpuSeconds = Math.Round(cpu, 2),
                CpuMicrosPerEvent = latencies.Count == 0 ? 0 : Math.Round(cpu * 1e6 / latencies.Count, 1),
                ElapsedSeconds = Math.Round(elapsed, 2),
            };
        }
        finally
        {
            await system.Terminate();
            BenchSupport.DeleteDataDir(rootDir);
        }
    }

    /// <summary>Only events completed while open are counted; shared by all writers.</summary>
    private sealed class MeasurementWindow
    {
        private long _from = long.MaxValue;
        private long _to = long.MaxValue;

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Interlocked.Read(ref _from), Interlocked.Read(ref _to));

        public void Open() => Interlocked.Exchange(ref _from, Stopwatch.GetTimestamp());

        public void Close() => Interlocked.Exchange(ref _to, Stopwatch.GetTimestamp());

        public bool Contains(long timestamp) => timestamp >= Interlocked.Read(ref _from) && timestamp < Interlocked.Read(ref _to);
    }

    /// <summary>Counts the journal's committed transactions through its metric (one per fsync).</summary>
    private sealed class TransactionCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _value;

        public TransactionCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RaftMetrics.MeterName && instrument.Name == "akkaraft_journal_transactions") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _value, value));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>One persistence id writing one event at a time, as a Raft group journals one Ready at a time.</summary>
    private sealed class EventWriter : ReceivePersistentActor
    {
        private readonly byte[] _payload;
        private readonly MeasurementWindow _window;
        private readonly List<double> _latenciesMs = [];
        private bool _running;
        private ulong _index;

        public EventWriter(string persistenceId, byte[] payload, MeasurementWindow window)
        {
            PersistenceId = persistenceId;
            _payload = payload;
            _window = window;
            Recover<RaftLogWritten>(e => _index = e.Entries[^1].Index);
            Command<Start>(_ =>
            {
                _running = true;
                Sender.Tell(new Ready());
                WriteNext();
            });
            Command<Stop>(_ =>
            {
                _running = false;
                Sender.Tell(_latenciesMs);
            });
        }

        public override string PersistenceId { get; }

        private void WriteNext()
        {
            var started = Stopwatch.GetTimestamp();
            _index++;
            var written = new RaftLogWritten(new HardState(1, 1, _index), [new Entry(1, _index, EntryType.Normal, _payload)], null, new Dictionary<ulong, ulong> { [1] = 1 });
            // PersistAsync, as the group actor: commands (Stop) are not stashed behind the write.
            PersistAsync(written, _ =>
            {
                var now = Stopwatch.GetTimestamp();
                if (_window.Contains(now)) _latenciesMs.Add(Stopwatch.GetElapsedTime(started, now).TotalMilliseconds);
                if (_running) WriteNext();
            });
        }

        public sealed class Start
        {
            public static readonly Start Instance = new();
        }

        public sealed class Stop
        {
            public static readonly Stop Instance = new();
        }

        public sealed record Ready;
    }
}

/// <summary>JSON line of the journal scenario: one run per number of persistence ids.</summary>
public sealed record JournalBenchResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "journal";
    [JsonPropertyName("payload_bytes")] public int PayloadBytes { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("runs")] public required IReadOnlyList<JournalRun> Runs { get; init; }
}

/// <summary>N persistence ids writing concurrently, one event in flight each.</summary>
public sealed record JournalRun
{
    [JsonPropertyName("journal")] public required string Journal { get; init; }
    [JsonPropertyName("ids")] public int Ids { get; init; }
    [JsonPropertyName("events")] public long Events { get; init; }
    [JsonPropertyName("events_per_s")] public double EventsPerSecond { get; init; }
    [JsonPropertyName("p50_ms")] public double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public double P99Ms { get; init; }
    [JsonPropertyName("transactions")] public long Transactions { get; init; }
    [JsonPropertyName("transactions_per_s")] public double TransactionsPerSecond { get; init; }
    [JsonPropertyName("events_per_transaction")] public double EventsPerTransaction { get; init; }
    [JsonPropertyName("cpu_s")] public double CpuSeconds { get; init; }
    [JsonPropertyName("cpu_us_per_event")] public double CpuMicrosPerEvent { get; init; }
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
}
