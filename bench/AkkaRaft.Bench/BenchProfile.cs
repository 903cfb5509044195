using System.Diagnostics;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace AkkaRaft.Bench;

/// <summary>
/// <c>--profile FILE</c>: an EventPipe trace of this process over the measured window only (CPU samples every ~1 ms of
/// every thread, plus GC events), written as a .nettrace file; read it with <c>dotnet-trace report FILE topN</c> or
/// open it in PerfView / speedscope (<c>dotnet-trace convert --format speedscope FILE</c>).
/// </summary>
internal sealed class BenchProfile : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _copy;

    private BenchProfile(EventPipeSession session, Task copy)
    {
        _session = session;
        _copy = copy;
    }

    /// <summary>Starts tracing this process into <paramref name="path"/>; null when <paramref name="path"/> is null.</summary>
    public static BenchProfile? Start(string? path)
    {
        if (path is null) return null;
        var providers = new[]
        {
            new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
            // GC and JIT-free stacks: the runtime's GC keyword (0x1) so allocation pressure shows next to the samples.
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, 0x1),
        };
        var session = new DiagnosticsClient(Environment.ProcessId).StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 256);
        var file = File.Create(path);
        var copy = Task.Run(async () =>
        {
            await using (file) await session.EventStream.CopyToAsync(file);
        });
        return new BenchProfile(session, copy);
    }

    /// <summary>Stops the session and waits until the file is complete (rundown included).</summary>
    public void Dispose()
    {
        var watch = Stopwatch.StartNew();
        _session.Stop();
        _copy.Wait(TimeSpan.FromSeconds(60));
        _session.Dispose();
        Console.Error.WriteLine($"profile written in {watch.Elapsed.TotalSeconds:F1} s");
    }
}
