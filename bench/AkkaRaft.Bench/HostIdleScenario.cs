using System.Diagnostics;
using System.Text.Json.Serialization;

namespace AkkaRaft.Bench;

/// <summary>
/// The host as a user starts it: `akkaraft` in embedded mode (three nodes in one process, two regions plus placement),
/// untouched. After it prints "ready" and its groups had time to hibernate (--settle), the process's CPU time
/// (utime + stime of /proc/PID/stat, via <see cref="Process.TotalProcessorTime"/>) over --seconds of idleness.
/// </summary>
public static class HostIdleScenario
{
    public static async Task<HostIdleResult> Run(TimeSpan settle, TimeSpan window, string? hostDll)
    {
        var host = hostDll ?? ChurnScenario.DefaultHostDll();
        if (!File.Exists(host)) throw new FileNotFoundException($"{host} not found: build it first (dotnet build -c Release src/Host) or pass --host PATH");
        var root = BenchSupport.NewDataDir();
        Directory.CreateDirectory(root);
        var ports = BenchSupport.FreePorts(2);
        try
        {
            await using var process = AkkaraftProcess.Start(
                ["--data-dir", Path.Combine(root, "data"), "--resp-port", ports[0].ToString(), "--http-port", ports[1].ToString()], dll: host);
            var started = Stopwatch.StartNew();
            await process.WaitForLineAsync("ready", TimeSpan.FromSeconds(120));
            var readySeconds = started.Elapsed.TotalSeconds;
            // Groups hibernate hibernate-after-ticks after their last activity (300 ticks of 100 ms by default).
            await Task.Delay(settle);
            using var observed = Process.GetProcessById(process.ProcessId);
            var cpuBefore = observed.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await Task.Delay(window);
            observed.Refresh();
            var cpuSeconds = (observed.TotalProcessorTime - cpuBefore).TotalSeconds;
            var elapsed = watch.Elapsed.TotalSeconds;
            return new HostIdleResult
            {
                ReadySeconds = Math.Round(readySeconds, 1),
                SettleSeconds = settle.TotalSeconds,
                WindowSeconds = Math.Round(elapsed, 1),
                CpuSeconds = Math.Round(cpuSeconds, 3),
                CpuPercentOfOneCore = Math.Round(cpuSeconds / elapsed * 100, 2),
                Threads = observed.Threads.Count,
                RssMb = Math.Round(observed.WorkingSet64 / 1048576.0, 1),
                LoadAverage = BenchSupport.LoadAverage(),
            };
        }
        finally
        {
            BenchSupport.DeleteDataDir(root);
        }
    }
}

/// <summary>JSON line of the host-idle scenario.</summary>
public sealed record HostIdleResult
{
    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "host-idle";
    [JsonPropertyName("ready_s")] public double ReadySeconds { get; init; }
    [JsonPropertyName("settle_s")] public double SettleSeconds { get; init; }
    [JsonPropertyName("window_s")] public double WindowSeconds { get; init; }
    [JsonPropertyName("cpu_s")] public double CpuSeconds { get; init; }
    [JsonPropertyName("cpu_pct")] public double CpuPercentOfOneCore { get; init; }
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("rss_mb")] public double RssMb { get; init; }
    [JsonPropertyName("load_avg")] public string LoadAverage { get; init; } = "";
}
