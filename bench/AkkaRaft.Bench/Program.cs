using System.Text.Json;
using AkkaRaft.Bench;

// Usage: dotnet run -c Release --project bench/AkkaRaft.Bench -- [core|write|idle|census|host-idle|kv|split|move|journal|rolling-restart|churn] [--seconds N] [--batch N] [--payload N] [--clients N] [--regions R] [--get-percent P] [--split-size-kb N] [--fill-mb N] [--ids N] [--profile FILE]
// `census [--count N]`: managed bytes per instance of each layer of an idle replica (Akka actor, backoff supervisor,
// persistent actor, Core RaftNode as follower and leader, RaftPeer), N of each (default 3000), one JSON line per layer.
// `--profile FILE` (write, kv): an EventPipe trace (CPU samples, GC) of the measured window only; see bench/README.md.
// `report FILE [--cpu-us-per-write X] [--top N]`: where the busy samples of such a trace went (areas, methods), as JSON.
// `host-idle`: the `akkaraft` host in embedded mode (build src/Host -c Release first, or --host PATH), untouched: its
// CPU (% of one core) over --seconds (default 30) once it is ready and --settle seconds (default 45) have let its groups
// hibernate.
// `write` (alias `runtime`): three nodes on loopback Akka.Remote with SQLite journals, one group, closed-loop clients;
// it also kills the leader's node at the end and reports failover_ms.
// `kv`: the embedded 3-node KV cluster with R initial regions (--regions, default 2 here), C clients SETting random keys;
// --get-percent P (0..100, default 0) makes that share of operations linearizable GETs (the read/mixed workload).
// `split`: the same cluster from one region, split size --split-size-kb (default 1024), C clients SETting fresh keys; times splits.
// `move`: one region on nodes 1..3 filled to --fill-mb (default 64) of 1 KiB values, C clients SETting fresh keys while one
// replica moves to a fourth node; times the snapshot, the catch-up and the move.
// `journal`: the journal plugin alone; N persistence ids (--ids N, default 1, 32 and 1000 in turn) each writing one
// RaftLogWritten of --payload bytes (default 640 here) at a time; events/s, write latency, transactions (fsyncs)/s.
// `rolling-restart`: three `akkaraft node` processes; --clients C per node write through every node's RESP port while each
// node in turn gets SIGTERM and is restarted (--seconds N of writing between restarts, default 3); prints writes
// acknowledged, failed and lost, and each node's shutdown time.
// `churn`: three `akkaraft node` processes (build src/Host first, or --host PATH), C closed-loop RESP clients SETting fresh
// keys over all three; ops/s over a clean window of --seconds (default 30), then over an equal window in which a node (in
// turn, or always --victim N) gets SIGKILL every --kill-every seconds (default 10) and is restarted at once; the ratio,
// and every acknowledged key read back (lost must be 0). --keep keeps the data and node logs.
//        churn: [--kill-every N] [--victim N] [--host PATH/akkaraft.dll] [--keep] [--node-loglevel INFO]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "core";
var seconds = IntOption("--seconds", scenario is "churn" or "host-idle" ? 30 : 5);
var batch = IntOption("--batch", 64);
var payload = IntOption("--payload", scenario == "journal" ? 640 : 128);
var clients = IntOption("--clients", 32);
var regions = IntOption("--regions", scenario == "kv" ? 2 : 1000);
var profile = StringOption("--profile");

object result = scenario switch
{
    "core" => CoreScenario.Run(TimeSpan.FromSeconds(seconds), batch, payload),
    "idle" => await IdleScenario.Run(regions, TimeSpan.FromSeconds(seconds)),
    "census" => await CensusScenario.Run(IntOption("--count", 3000)),
    "host-idle" => await HostIdleScenario.Run(TimeSpan.FromSeconds(IntOption("--settle", 45)), TimeSpan.FromSeconds(seconds), StringOption("--host")),
    "write" or "runtime" => await RuntimeScenario.Run(TimeSpan.FromSeconds(seconds), clients, payload, profile),
    "kv" => await KvScenario.Run(regions, clients, payload, TimeSpan.FromSeconds(seconds), profile, PercentOption("--get-percent")),
    "split" => await SplitScenario.Run(clients, payload, IntOption("--split-size-kb", 1024), TimeSpan.FromSeconds(seconds)),
    "move" => await MoveScenario.Run(clients, payload, IntOption("--fill-mb", 64)),
    "report" => ProfileReport.Run(args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? throw new ArgumentException("report needs a .nettrace file"),
        DoubleOption("--cpu-us-per-write", 0), IntOption("--top", 15)),
    "journal" => await JournalScenario.Run(args.Contains("--ids") ? [IntOption("--ids", 1)] : [1, 32, 1000], TimeSpan.FromSeconds(seconds), payload),
    "rolling-restart" => await RollingRestartScenario.Run(IntOption("--clients", 2), TimeSpan.FromSeconds(IntOption("--seconds", 3)), Console.Error.WriteLine),
    "churn" => await ChurnScenario.Run(clients, payload, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(IntOption("--kill-every", 10)),
        args.Contains("--victim") ? IntOption("--victim", 0) : 0, StringOption("--host"), args.Contains("--keep"), StringOption("--node-loglevel")),
    _ => throw new ArgumentException($"unknown scenario '{scenario}' (known: core, write, idle, census, host-idle, kv, split, move, journal, rolling-restart, churn, report)"),
};
if (result is System.Collections.IEnumerable lines and not string)
{
    foreach (var line in lines) Console.WriteLine(JsonSerializer.Serialize(line, line.GetType()));
}
else
{
    Console.WriteLine(JsonSerializer.Serialize(result, result.GetType()));
}

double DoubleOption(string name, double fallback)
{
    var value = StringOption(name);
    return value is null ? fallback : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}

string? StringOption(string name)
{
    var i = Array.IndexOf(args, name);
    if (i < 0) return null;
    if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"{name} needs a value");
    return args[i + 1];
}

int PercentOption(string name)
{
    var value = StringOption(name);
    if (value is null) return 0;
    if (!int.TryParse(value, out var percent) || percent is < 0 or > 100) throw new ArgumentException($"{name} needs an integer from 0 to 100");
    return percent;
}

int IntOption(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    if (i < 0) return fallback;
    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value <= 0)
    {
        throw new ArgumentException($"{name} needs a positive integer");
    }
    return value;
}
