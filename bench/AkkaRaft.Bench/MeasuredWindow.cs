using System.Diagnostics;

namespace AkkaRaft.Bench;

/// <summary>What the whole process spent over a measured window: CPU time and bytes allocated.</summary>
internal sealed record MeasuredWindow(double CpuSeconds, long AllocatedBytes)
{
    /// <summary>
    /// Runs <paramref name="load"/> and measures the process's CPU and allocations over it alone; with
    /// <paramref name="profilePath"/> an EventPipe trace of the same window is written there.
    /// </summary>
    public static async Task<(T Result, MeasuredWindow Window)> RunAsync<T>(string? profilePath, Func<Task<T>> load)
    {
        using (BenchProfile.Start(profilePath))
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var result = await load();
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            return (result, new MeasuredWindow(cpu, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore));
        }
    }

    /// <summary>CPU µs per operation (0 without operations), one decimal.</summary>
    public double CpuMicrosPer(long operations) => operations == 0 ? 0 : Math.Round(CpuSeconds * 1e6 / operations, 1);

    /// <summary>Bytes allocated per operation (0 without operations), whole bytes.</summary>
    public double AllocatedBytesPer(long operations) => operations == 0 ? 0 : Math.Round((double)AllocatedBytes / operations);
}
