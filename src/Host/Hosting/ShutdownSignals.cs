using System.Runtime.InteropServices;

namespace AkkaRaft.Host.Hosting;

/// <summary>
/// The host's only handler of SIGTERM, SIGINT (Ctrl-C) and SIGQUIT: the first signal cancels <see cref="Requested"/>, which
/// starts the shutdown sequence, and arms a watchdog that ends the process if it still runs a little after the deadline;
/// a second signal ends the process at once.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    /// <summary>How long past the shutdown deadline the watchdog waits before it ends the process itself.</summary>
    private static readonly TimeSpan WatchdogGrace = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource requested = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private readonly TextWriter error;
    private readonly TimeSpan deadline;
    // Static so that it stays rooted after Main returned: it is what ends a process that does not end by itself.
    private static Timer? watchdog;
    private int signals;
    private int exitCode = 1;

    /// <summary>Takes over the signals; <paramref name="deadline"/> is the shutdown sequence's overall deadline.</summary>
    public ShutdownSignals(TimeSpan deadline, TextWriter error)
    {
        this.deadline = deadline;
        this.error = error;
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            try
            {
                registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGQUIT has no equivalent on Windows; the others do.
            }
        }
    }

    /// <summary>Cancelled by the first signal (or by <see cref="Request"/>).</summary>
    public CancellationToken Requested => requested.Token;

    /// <summary>The exit code the watchdog uses if the process outlives the sequence (set once the sequence finished).</summary>
    public int ExitCode
    {
        get => Volatile.Read(ref exitCode);
        set => Volatile.Write(ref exitCode, value);
    }

    /// <summary>Starts the shutdown as a first signal would.</summary>
    public void Request()
    {
        if (Interlocked.Increment(ref signals) == 1) Begin();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The runtime's default would end the process without the sequence.
        context.Cancel = true;
        if (Interlocked.Increment(ref signals) == 1)
        {
            Begin();
            return;
        }
        error.WriteLine($"{context.Signal} again: exiting now without finishing the shutdown");
        error.Flush();
        ExitNow(128 + Number(context.Signal));
    }

    /// <summary>
    /// Ends the process without running exit handlers: Environment.Exit waits for them (and for a main thread that is
    /// itself finishing the sequence), so under load the process could end with the sequence's code instead.
    /// </summary>
    private static void ExitNow(int code)
    {
        if (!OperatingSystem.IsWindows()) ImmediateExit(code);
        Environment.Exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ImmediateExit(int status);

    /// <summary>Time since the first signal (zero before it): the shutdown deadline counts from the signal.</summary>
    public TimeSpan SinceSignal => signalledAt is { } at ? System.Diagnostics.Stopwatch.GetElapsedTime(at) : TimeSpan.Zero;

    private long? signalledAt;

    private void Begin()
    {
        signalledAt = System.Diagnostics.Stopwatch.GetTimestamp();
        watchdog = new Timer(_ => ForceExit(), null, deadline + WatchdogGrace, Timeout.InfiniteTimeSpan);
        // Off the signal thread: the sequence's continuations must not keep it from seeing a second signal.
        ThreadPool.UnsafeQueueUserWorkItem(_ => requested.Cancel(), null);
    }

    private void ForceExit()
    {
        error.WriteLine($"shutdown: the process still runs {(deadline + WatchdogGrace).TotalSeconds:0.#} s after the signal: exiting now");
        error.Flush();
        Environment.Exit(ExitCode);
    }

    private static int Number(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => 1,
    };

    /// <summary>Gives the signals back to the runtime; the watchdog stays armed once a shutdown began.</summary>
    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        registrations.Clear();
    }
}
