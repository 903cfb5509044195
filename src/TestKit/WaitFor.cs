using System.Diagnostics;

namespace AkkaRaft.TestKit;

/// <summary>Polls a condition until it holds or a deadline passes: the TestKit's way to wait on behaviour, never on time alone.</summary>
public static class WaitFor
{
    /// <summary>How often a condition is polled.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Runs <paramref name="attempt"/> until it returns a value (non-null) or <paramref name="timeout"/> passes; an exception
    /// from an attempt counts as "not yet" and the last one is reported in the <see cref="TimeoutException"/>.
    /// </summary>
    /// <exception cref="TimeoutException">No attempt succeeded in time; the message says what was awaited and the last error.</exception>
    public static async Task<T> ValueAsync<T>(Func<CancellationToken, Task<T?>> attempt, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await attempt(cancellationToken).ConfigureAwait(false) is { } value) return value;
                last = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:0.#} s" + (last is null ? "" : $"; last error: {last.Message}"), last);
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> returns true (see <see cref="ValueAsync{T}"/>).</summary>
    /// <exception cref="TimeoutException">The condition did not hold in time.</exception>
    public static Task ConditionAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return ValueAsync<object>(async ct => await condition(ct).ConfigureAwait(false) ? Reached : null, timeout, what, cancellationToken);
    }

    private static readonly object Reached = new();
}
