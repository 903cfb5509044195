using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// Both cores busy while a test runs: `stress-ng --cpu 2` when it is installed (test.sh installs it), else two threads
/// spinning in the test process. Disposing stops the load.
/// </summary>
public sealed class CpuLoad : IAsyncDisposable
{
    private readonly ChildProcess? stressNg;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Thread> spinners = [];

    private CpuLoad(ChildProcess? stressNg) => this.stressNg = stressNg;

    /// <summary>Starts the load and says which kind in <paramref name="log"/>.</summary>
    public static CpuLoad Start(ITestOutputHelper log)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "stress-ng")).FirstOrDefault(File.Exists);
        if (path is not null)
        {
            log.WriteLine("cpu load: stress-ng --cpu 2");
            return new CpuLoad(ChildProcess.Start(path, ["--cpu", "2", "--timeout", "600s", "--quiet"]));
        }
        log.WriteLine("cpu load: two spinning threads (stress-ng is not installed)");
        var load = new CpuLoad(null);
        for (var i = 0; i < 2; i++)
        {
            var token = load.stop.Token;
            var thread = new Thread(() =>
            {
                var x = 0UL;
                while (!token.IsCancellationRequested) x = (x * 6364136223846793005UL) + 1442695040888963407UL;
                GC.KeepAlive(x);
            }) { IsBackground = true, Name = $"cpu-load-{i}" };
            thread.Start();
            load.spinners.Add(thread);
        }
        return load;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        foreach (var spinner in spinners) spinner.Join();
        if (stressNg is not null) await stressNg.DisposeAsync();
        stop.Dispose();
    }
}
