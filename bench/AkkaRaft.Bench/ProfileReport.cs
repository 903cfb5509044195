using System.Text.Json.Serialization;
using Microsoft.Diagnostics.Tracing.Etlx;

namespace AkkaRaft.Bench;

/// <summary>
/// <c>report FILE.nettrace [--cpu-us-per-write X] [--top N]</c>: where the CPU went in a <c>--profile</c> trace. The sample
/// profiler samples every thread every ~1 ms, blocked or not, so samples whose innermost frame is a blocking wait
/// (Monitor.Wait, a semaphore's or socket's wait, Sleep) are idle and left out; the rest are "busy". Each busy sample is
/// counted for its innermost method (exclusive), for every method on its stack (inclusive), and for the area its
/// innermost frame belongs to. Given the run's CPU per write, each share is also shown as µs per write (on a loaded
/// machine a runnable thread waiting for a core is sampled as busy too, so shares are more trustworthy than totals).
/// </summary>
public static class ProfileReport
{
    // Innermost frames of a thread that is blocked, not running. Spinning is busy (it burns a core): a spinning thread's
    // innermost managed frame is the spinner (ManualResetEventSlim.Wait, LowLevelLifoSemaphore.Wait, LowLevelSpinWaiter.Wait).
    private static readonly string[] IdleFrames =
    [
        ".Monitor.Wait", ".LowLevelLifoSemaphore.WaitNative", ".LowLevelLifoSemaphore.WaitForSignal", ".WaitHandle.WaitOneNoCheck", ".WaitHandle.WaitMultiple", ".Thread.Sleep",
        ".Thread.SleepInternal", ".Thread.Join", ".LowLevelMonitor.Wait", "Interop+Sys.WaitForSocketEvents", "Interop+Sys.Poll",
        ".SemaphoreSlim.WaitUntilCountOrTimeout",
    ];

    public static ProfileReportResult Run(string path, double cpuMicrosPerWrite, int top)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(path);
        var exclusive = new Dictionary<string, long>();
        var inclusive = new Dictionary<string, long>();
        var areas = new Dictionary<string, long>();
        long busy = 0, idle = 0;
        using (var log = new TraceLog(etlx))
        {
            foreach (var e in log.Events)
            {
                if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler") continue;
                var stack = e.CallStack();
                if (stack is null) continue;
                var leaf = Name(stack);
                if (IdleFrames.Any(f => leaf.EndsWith(f, StringComparison.Ordinal)))
                {
                    idle++;
                    continue;
                }
                busy++;
                Count(exclusive, leaf);
                Count(areas, Area(stack));
                var seen = new HashSet<string>();
                for (var frame = stack; frame is not null; frame = frame.Caller)
                {
                    var name = Name(frame);
                    if (seen.Add(name)) Count(inclusive, name);
                }
            }
        }
        File.Delete(etlx);
        return new ProfileReportResult
        {
            File = Path.GetFileName(path),
            BusySamples = busy,
            IdleSamples = idle,
            CpuMicrosPerWrite = cpuMicrosPerWrite,
            ByArea = Top(areas, busy, cpuMicrosPerWrite, int.MaxValue),
            TopExclusive = Top(exclusive, busy, cpuMicrosPerWrite, top),
            TopInclusive = Top(inclusive.Where(p => !IsPlumbing(p.Key)).ToDictionary(), busy, cpuMicrosPerWrite, top),
        };
    }

    private static void Count(Dictionary<string, long> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static string Name(TraceCallStack frame)
    {
        var method = frame.CodeAddress.FullMethodName;
        var module = frame.CodeAddress.ModuleName;
        if (string.IsNullOrEmpty(method)) return $"{(string.IsNullOrEmpty(module) ? "?" : module)}!native";
        // Parameters make names long and split one method into many rows.
        var open = method.IndexOf('(', StringComparison.Ordinal);
        return $"{module}!{(open > 0 ? method[..open] : method)}";
    }

    /// <summary>The part of the system the innermost managed frame belongs to (native frames by the nearest managed caller).</summary>
    private static string Area(TraceCallStack stack)
    {
        for (var frame = stack; frame is not null; frame = frame.Caller)
        {
            var method = frame.CodeAddress.FullMethodName;
            if (string.IsNullOrEmpty(method)) continue;
            string[] areas =
            [
                "AkkaRaft.Core.Raft", "AkkaRaft.Core.Kv", "AkkaRaft.Core", "AkkaRaft.Actors.Persistence", "AkkaRaft.Actors.Serialization",
                "AkkaRaft.Actors.Runtime", "AkkaRaft.Actors.Regions", "AkkaRaft.Actors.Client", "AkkaRaft.Actors", "AkkaRaft.Bench",
                "Akka.Remote", "Akka.Persistence", "Akka.Cluster", "Akka.Actor", "Akka.Dispatch", "Akka.Event", "Akka.Util", "Akka",
                "Hyperion", "DotNetty", "Microsoft.Data.Sqlite", "SQLitePCL", "System.Threading", "System.Net", "System.Collections",
                "System.Text", "System.Runtime", "System.Linq", "System",
            ];
            return areas.FirstOrDefault(a => method.StartsWith(a + ".", StringComparison.Ordinal) || method.StartsWith(a + "!", StringComparison.Ordinal)) ?? method.Split('.')[0];
        }
        return $"{stack.CodeAddress.ModuleName}!native";
    }

    // Frames on nearly every stack (thread starts, dispatcher loops) say nothing about cost.
    private static bool IsPlumbing(string name) =>
        name.Contains("Thread.StartCallback", StringComparison.Ordinal) || name.Contains("ThreadPool", StringComparison.Ordinal)
        || name.Contains("ExecutionContext.Run", StringComparison.Ordinal) || name.EndsWith("!native", StringComparison.Ordinal)
        || name.Contains("WorkerThread", StringComparison.Ordinal) || name.Contains("Thread.Start", StringComparison.Ordinal);

    private static ProfileShare[] Top(Dictionary<string, long> counts, long busy, double cpuMicrosPerWrite, int top) =>
        [.. counts.OrderByDescending(p => p.Value).Take(top).Select(p => new ProfileShare
        {
            Frame = p.Key,
            Percent = busy == 0 ? 0 : Math.Round(100.0 * p.Value / busy, 1),
            MicrosPerWrite = busy == 0 ? 0 : Math.Round(cpuMicrosPerWrite * p.Value / busy, 1),
        })];
}

/// <summary>JSON of <c>bench report</c>.</summary>
public sealed record ProfileReportResult
{
    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("busy_samples")] public long BusySamples { get; init; }
    [JsonPropertyName("idle_samples")] public long IdleSamples { get; init; }
    [JsonPropertyName("cpu_us_per_write")] public double CpuMicrosPerWrite { get; init; }
    [JsonPropertyName("by_area")] public required ProfileShare[] ByArea { get; init; }
    [JsonPropertyName("top_exclusive")] public required ProfileShare[] TopExclusive { get; init; }
    [JsonPropertyName("top_inclusive")] public required ProfileShare[] TopInclusive { get; init; }
}

/// <summary>One row: share of busy samples and the µs per write it stands for.</summary>
public sealed record ProfileShare
{
    [JsonPropertyName("frame")] public required string Frame { get; init; }
    [JsonPropertyName("pct")] public double Percent { get; init; }
    [JsonPropertyName("us_per_write")] public double MicrosPerWrite { get; init; }
}
