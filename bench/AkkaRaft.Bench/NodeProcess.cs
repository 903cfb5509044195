using System.Diagnostics;

namespace AkkaRaft.Bench;

/// <summary>
/// One `dotnet akkaraft.dll node --config FILE` process: its output is appended to a log file, a caller can await a line
/// (the host prints "ready" once every region has a leader), and <see cref="KillAsync"/> is SIGKILL.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _gate = new();
    private readonly List<(string Line, TaskCompletionSource Seen)> _waiters = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    private NodeProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    /// <summary>Starts node mode of <paramref name="hostDll"/> with <paramref name="configFile"/>; output goes to <paramref name="logFile"/> (appended).</summary>
    public static NodeProcess Start(string hostDll, string configFile, string logFile)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { hostDll, "node", "--config", configFile }) info.ArgumentList.Add(argument);
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new NodeProcess(process, log);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnLine(e.Data);
        process.Exited += (_, _) => node._exited.TrySetResult();
        log.WriteLine($"---- {DateTimeOffset.UtcNow:O} start: dotnet {string.Join(' ', info.ArgumentList)}");
        if (!process.Start()) throw new InvalidOperationException($"dotnet {hostDll} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return node;
    }

    /// <summary>Completes when the process printed <paramref name="line"/>; throws when it exits first or the time is up.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _waiters.Add((line, seen));
        var first = await Task.WhenAny(seen.Task, _exited.Task, Task.Delay(timeout)).ConfigureAwait(false);
        if (first == seen.Task) return;
        throw new InvalidOperationException(first == _exited.Task
            ? $"node process exited before printing \"{line}\""
            : $"node process did not print \"{line}\" within {timeout.TotalSeconds} s");
    }

    /// <summary>SIGKILL (no shutdown hooks run), then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        lock (_gate) _log.WriteLine($"---- {DateTimeOffset.UtcNow:O} kill -9");
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            if (_closed) return;
            _log.WriteLine(line);
            foreach (var waiter in _waiters.Where(w => w.Line == line.TrimEnd('\r')).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
    }
}
