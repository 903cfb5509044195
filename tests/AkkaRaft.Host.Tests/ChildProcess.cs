using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// A child process the test owns: its output is collected line by line, a test can await a line, and disposing
/// kills the whole process tree if it still runs (also when the test failed).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly List<(string Line, TaskCompletionSource Seen)> waiters = [];
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, string description)
    {
        this.process = process;
        Description = description;
    }

    /// <summary>Program and arguments, for messages.</summary>
    public string Description { get; }

    /// <summary>Everything the process wrote so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>True once the process ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>The path of the akkaraft executable built next to the tests (the Host project is referenced).</summary>
    public static string AkkaraftDll => Path.Combine(AppContext.BaseDirectory, "akkaraft.dll");

    /// <summary>Starts <paramref name="program"/>; stdin is closed at once.</summary>
    public static ChildProcess Start(string program, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, $"{program} {string.Join(' ', info.ArgumentList)}");
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child.exited.TrySetResult();
        if (!process.Start()) throw new InvalidOperationException($"{child.Description} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Starts `dotnet akkaraft.dll ARGS`.</summary>
    public static ChildProcess StartAkkaraft(params string[] arguments) => Start("dotnet", [AkkaraftDll, .. arguments]);

    /// <summary>Starts `dotnet akkaraft.dll ARGS` in <paramref name="workingDirectory"/>.</summary>
    public static ChildProcess StartAkkaraftIn(string workingDirectory, params string[] arguments) => Start("dotnet", [AkkaraftDll, .. arguments], workingDirectory);

    /// <summary>Runs a program to completion within <paramref name="timeout"/>; kills it (and fails) when it takes longer.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string program, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) info.Environment[name] = value; // null removes it
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
        var stderr = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>Runs `dotnet akkaraft.dll ARGS` to completion.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAkkaraftAsync(params string[] arguments) =>
        RunAsync("dotnet", [AkkaraftDll, .. arguments], TimeSpan.FromSeconds(60));

    /// <summary>Runs `dotnet akkaraft.dll ARGS` to completion with <paramref name="environment"/> set (a null value removes a variable).</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAkkaraftAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        RunAsync("dotnet", [AkkaraftDll, .. arguments], TimeSpan.FromSeconds(60), environment);

    /// <summary>Completes when the process wrote a line equal to <paramref name="line"/>; fails when it exits first or the time is up.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (output)
        {
            if (output.ToString().Split('\n').Any(l => l.TrimEnd('\r') == line)) return;
            waiters.Add((line, seen));
        }
        string reason;
        try
        {
            var first = await Task.WhenAny(seen.Task, exited.Task).WaitAsync(timeout);
            if (first == seen.Task) return;
            reason = "exited";
        }
        catch (TimeoutException)
        {
            reason = $"did not print it within {timeout.TotalSeconds} s";
        }
        throw new InvalidOperationException($"waiting for \"{line}\" from {Description}: it {reason}. Output:\n{Output}");
    }

    /// <summary>The exit code (once exited).</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>Sends <paramref name="signal"/> (15 = SIGTERM, 2 = SIGINT) to the process only, as systemd or docker stop would.</summary>
    public void Signal(int signal)
    {
        if (process.HasExited) return;
        if (SendSignal(process.Id, signal) != 0) throw new InvalidOperationException($"kill -{signal} {process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits until the process exited; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (await Task.WhenAny(exited.Task, Task.Delay(timeout)) != exited.Task) return false;
        process.WaitForExit(); // the output streams are drained too
        return true;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>SIGKILL to the process and its children, then waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(limit.Token);
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.Append(line).Append('\n');
            foreach (var waiter in waiters.Where(w => w.Line == line.TrimEnd('\r')).ToList())
            {
                waiter.Seen.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            process.Dispose();
        }
    }
}
