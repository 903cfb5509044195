using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AkkaRaft.Bench;

/// <summary>
/// One `dotnet akkaraft.dll ARGS` process: output collected line by line (and appended to a log file when given), a line
/// can be awaited, SIGTERM and SIGKILL can be sent; disposing kills it if it still runs.
/// </summary>
public sealed class AkkaraftProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StreamWriter? log;
    private readonly List<(string Line, TaskCompletionSource Seen)> waiters = [];
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool closed;

    private AkkaraftProcess(Process process, StreamWriter? log)
    {
        this.process = process;
        this.log = log;
    }

    /// <summary>The akkaraft executable built next to this assembly (the Host project is referenced).</summary>
    public static string AkkaraftDll => Path.Combine(AppContext.BaseDirectory, "akkaraft.dll");

    /// <summary>The process id (of `dotnet`, which runs the host in its own process).</summary>
    public int ProcessId => process.Id;

    /// <summary>Everything the process wrote so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>Completes when the process ended.</summary>
    public Task Exited => exited.Task;

    /// <summary>The exit code (once exited).</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>
    /// Starts `dotnet DLL ARGS` (DLL defaults to <see cref="AkkaraftDll"/>) in <paramref name="workingDirectory"/>; stdin is
    /// closed at once. With <paramref name="logFile"/> its output is also appended there, after a "---- start" line.
    /// </summary>
    public static AkkaraftProcess Start(IEnumerable<string> arguments, string? workingDirectory = null, string? dll = null, string? logFile = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(dll ?? AkkaraftDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var log = logFile is null ? null : new StreamWriter(logFile, append: true) { AutoFlush = true };
        log?.WriteLine($"---- {DateTimeOffset.UtcNow:O} start: dotnet {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new AkkaraftProcess(process, log);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child.exited.TrySetResult();
        if (!process.Start()) throw new InvalidOperationException($"dotnet {info.ArgumentList[0]} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Completes when the process printed <paramref name="line"/> (now or before); throws when it exits first or the time is up.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (output)
        {
            if (HasLine(line)) return;
            waiters.Add((line, seen));
        }
        var first = await Task.WhenAny(seen.Task, exited.Task, Task.Delay(timeout)).ConfigureAwait(false);
        if (first == seen.Task) return;
        lock (output) waiters.Remove((line, seen));
        if (first == exited.Task) throw new InvalidOperationException($"akkaraft exited before printing \"{line}\":\n{Output}");
        throw new TimeoutException($"akkaraft did not print \"{line}\" within {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>True when the process printed <paramref name="line"/>.</summary>
    public bool HasLine(string line) => Output.Split('\n').Any(l => l.TrimEnd('\r') == line);

    /// <summary>Sends SIGTERM (the way systemd, docker and Kubernetes stop a service).</summary>
    public void Terminate()
    {
        if (process.HasExited) return;
        if (Kill(process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Sends SIGTERM and waits until the process exited; returns how long that took, or null after <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan?> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        Terminate();
        var done = await Task.WhenAny(exited.Task, Task.Delay(timeout)).ConfigureAwait(false) == exited.Task;
        if (!done) return null;
        process.WaitForExit();
        return clock.Elapsed;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.Append(line).Append('\n');
            if (!closed) log?.WriteLine(line);
            var trimmed = line.TrimEnd('\r');
            foreach (var waiter in waiters.Where(w => w.Line == trimmed).ToList())
            {
                waiter.Seen.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Kills the process tree (SIGKILL: no shutdown hooks run) if it still runs, and waits until it is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                lock (output) if (!closed) log?.WriteLine($"---- {DateTimeOffset.UtcNow:O} kill -9");
                process.Kill(entireProcessTree: true);
            }
            await Task.WhenAny(exited.Task, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            process.Dispose();
            lock (output)
            {
                closed = true;
                log?.Dispose();
            }
        }
    }
}
