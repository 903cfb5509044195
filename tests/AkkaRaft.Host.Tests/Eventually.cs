namespace AkkaRaft.Host.Tests;

/// <summary>Polls a real call (HTTP, Redis) until its answer satisfies a condition, bounded by a deadline. No sleeping: each round awaits the call.</summary>
public static class Eventually
{
    /// <summary>Returns the first answer of <paramref name="probe"/> that satisfies <paramref name="done"/>; fails with the last answer after <paramref name="timeout"/>.</summary>
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        using var limit = new CancellationTokenSource(timeout);
        T last = default!;
        Exception? lastError = null;
        while (!limit.IsCancellationRequested)
        {
            try
            {
                last = await probe(limit.Token);
                lastError = null;
                if (done(last)) return last;
            }
            catch (Exception e) when (!limit.IsCancellationRequested)
            {
                lastError = e;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s; last answer: {(lastError?.Message ?? last?.ToString())}");
    }
}
