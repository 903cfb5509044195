using System.Diagnostics;
using System.Globalization;

namespace AkkaRaft.Host.Hosting;

/// <summary>
/// One step of the shutdown: <paramref name="Run"/> gets its budget and a token cancelled when the budget is spent, and
/// returns a short summary; <paramref name="Pending"/> says what is still unfinished when it overruns.
/// A <paramref name="Budget"/> of null takes whatever the overall deadline leaves.
/// </summary>
internal sealed record ShutdownPhase(string Name, TimeSpan? Budget, Func<TimeSpan, CancellationToken, Task<string>> Run, Func<string> Pending);

/// <summary>
/// Runs the shutdown phases in order, each within its budget and all within the overall deadline. A phase that overruns
/// its own budget is reported and the next one starts; once the overall deadline is spent the sequence stops, reports
/// every unfinished phase and returns exit code 1. Every phase done in time: exit code 0.
/// </summary>
internal sealed class ShutdownSequence(TimeSpan deadline, TextWriter output, TimeSpan alreadySpent = default)
{
    /// <summary>How long past its own budget a phase may take to wind down what it cancelled (bounded by the overall deadline).</summary>
    private static readonly TimeSpan WindDown = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs <paramref name="phases"/>; returns the process exit code.</summary>
    public async Task<int> RunAsync(IReadOnlyList<ShutdownPhase> phases)
    {
        // The deadline counts from the signal: what passed before the sequence started is spent already.
        var started0 = Stopwatch.GetTimestamp() - (long)(alreadySpent.TotalSeconds * Stopwatch.Frequency);
        var clock = new SpentClock(started0);
        output.WriteLine($"shutting down (deadline {Seconds(deadline)})");
        var overran = false;
        for (var i = 0; i < phases.Count; i++)
        {
            var phase = phases[i];
            var left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero) return DeadlinePassed(phases.Skip(i).Select(p => $"{p.Name}: not started"), clock);
            var budget = phase.Budget is { } own && own < left ? own : left;
            var started = clock.Elapsed;
            using var cut = new CancellationTokenSource(budget);
            Task<string> run;
            try
            {
                run = phase.Run(budget, cut.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                run = Task.FromException<string>(e);
            }
            var patience = budget + (WindDown < left - budget ? WindDown : left - budget);
            string summary;
            try
            {
                summary = await run.WaitAsync(patience).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && cut.IsCancellationRequested))
            {
                // Out of time: either still running, or it gave up when its budget was cut.
                overran = true;
                var pending = SafePending(phase);
                if (budget >= left || deadline - clock.Elapsed <= TimeSpan.Zero)
                {
                    return DeadlinePassed([$"{phase.Name}: {pending}", .. phases.Skip(i + 1).Select(p => $"{p.Name}: not started")], clock);
                }
                output.WriteLine($"shutdown: {phase.Name} not finished after {Seconds(clock.Elapsed - started)}: {pending}; going on");
                continue;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                overran = true;
                output.WriteLine($"shutdown: {phase.Name} failed after {Seconds(clock.Elapsed - started)}: {e.GetType().Name}: {e.Message}; going on");
                continue;
            }
            output.WriteLine($"shutdown: {phase.Name} in {Seconds(clock.Elapsed - started)}{(summary.Length > 0 ? $" ({summary})" : "")}");
        }
        output.WriteLine($"stopped in {Seconds(clock.Elapsed)}{(overran ? " (some phases did not finish)" : "")}");
        output.Flush();
        return 0;
    }

    /// <summary>Elapsed time since a timestamp.</summary>
    private sealed class SpentClock(long start)
    {
        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(start);
    }

    private int DeadlinePassed(IEnumerable<string> pending, SpentClock clock)
    {
        output.WriteLine($"shutdown: deadline of {Seconds(deadline)} passed after {Seconds(clock.Elapsed)}; still pending: {string.Join("; ", pending)}");
        output.Flush();
        return 1;
    }

    private static string SafePending(ShutdownPhase phase)
    {
        try
        {
            return phase.Pending();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"unknown ({e.Message})";
        }
    }

    /// <summary>Seconds with millisecond precision, e.g. "1.204 s".</summary>
    internal static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.###} s");
}
