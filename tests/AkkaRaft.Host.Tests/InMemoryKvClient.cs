using System.Text;
using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// Test double of the store: one ordered dictionary with expiry on a manual clock, plus switches to inject typed errors,
/// to hold requests (to observe pipelining) and to count requests in flight.
/// </summary>
public sealed class InMemoryKvClient : IKvClient
{
    private readonly object gate = new();
    private readonly SortedDictionary<byte[], Entry> entries = new(ByteOrder.Instance);
    private readonly SemaphoreSlim entered = new(0, int.MaxValue);
    private TaskCompletionSource? hold;
    private int inFlight;
    private int maxInFlight;
    private int requests;

    /// <summary>The manual clock expiry is measured against, in milliseconds.</summary>
    public long NowMs { get; private set; }

    /// <summary>When set, every KV request answers with this error.</summary>
    public KvErrorCode? ForcedError { get; set; }

    /// <summary>When true, every KV request throws synchronously instead of answering (a misbehaving store).</summary>
    public bool ThrowOnCall { get; set; }

    /// <summary>Regions reported by <see cref="RegionsAsync"/>.</summary>
    public IReadOnlyList<RegionSummary> Regions { get; set; } =
    [
        new(1, [], "m"u8.ToArray(), "1/1", 1, [1, 2, 3], 1234),
        new(2, "m"u8.ToArray(), [], "1/1", 2, [1, 2, 3], 5678),
    ];

    /// <summary>Highest number of requests that were in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref maxInFlight);

    /// <summary>KV requests received so far (including those answered with <see cref="ForcedError"/>).</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Requests in flight now.</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Moves the clock on.</summary>
    public void AdvanceClock(TimeSpan by)
    {
        lock (gate) NowMs += (long)by.TotalMilliseconds;
    }

    /// <summary>From now on, requests wait until <see cref="ReleaseRequests"/>.</summary>
    public void HoldRequests() => hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every held request (and later ones) through.</summary>
    public void ReleaseRequests()
    {
        var released = hold;
        hold = null;
        released?.TrySetResult();
    }

    /// <summary>Waits until at least <paramref name="count"/> requests are in flight.</summary>
    public async Task WaitForInFlightAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (InFlight < count) await entered.WaitAsync(cancel.Token);
    }

    /// <summary>The stored value of <paramref name="key"/> as text, or null.</summary>
    public string? Peek(string key)
    {
        lock (gate) return TryRead(Encoding.UTF8.GetBytes(key), out var value) ? Encoding.UTF8.GetString(value) : null;
    }

    /// <summary>Stores a value directly (no request).</summary>
    public void Put(string key, string value)
    {
        lock (gate) entries[Encoding.UTF8.GetBytes(key)] = new Entry(Encoding.UTF8.GetBytes(value), null);
    }

    public Task<KvReply> GetAsync(byte[] key, CancellationToken cancellationToken = default) =>
        RunAsync(() => new KvReply.Value(TryRead(key, out var value) ? value : null));

    public Task<KvReply> SetAsync(byte[] key, byte[] value, SetOptions options = default, CancellationToken cancellationToken = default) =>
        RunAsync(() =>
        {
            var exists = TryRead(key, out var old);
            if ((options.OnlyIfAbsent && exists) || (options.OnlyIfPresent && !exists))
            {
                return options.ReturnOld ? new KvReply.Value(exists ? old : null) : new KvReply.Value(null);
            }

            entries[key] = new Entry(value, options.ExpireAfterMs is { } ms ? NowMs + ms : null);
            return options.ReturnOld ? new KvReply.Value(exists ? old : null) : KvReply.Ok;
        });

    public Task<KvReply> DeleteAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default) =>
        RunAsync(() => new KvReply.Integer(keys.Count(k => TryRead(k, out _) && entries.Remove(k))));

    public Task<KvReply> ExistsAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default) =>
        RunAsync(() => new KvReply.Integer(keys.Count(k => TryRead(k, out _))));

    public Task<KvReply> IncrementAsync(byte[] key, long delta, CancellationToken cancellationToken = default) =>
        RunAsync(() =>
        {
            long current = 0;
            if (TryRead(key, out var value) && !long.TryParse(Encoding.ASCII.GetString(value), out current))
            {
                return new KvReply.Error(KvErrorCode.NotAnInteger, "value is not an integer");
            }

            long next;
            try
            {
                next = checked(current + delta);
            }
            catch (OverflowException)
            {
                return new KvReply.Error(KvErrorCode.Overflow, "overflow");
            }

            var expiry = entries.TryGetValue(key, out var entry) ? entry.ExpiresAtMs : null;
            entries[key] = new Entry(Encoding.ASCII.GetBytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), expiry);
            return new KvReply.Integer(next);
        });

    public async Task<IReadOnlyList<KvReply>> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        var error = await RunAsync(() => KvReply.Ok);
        if (error is KvReply.Error) return keys.Select(_ => error).ToArray();
        lock (gate) return keys.Select(k => (KvReply)new KvReply.Value(TryRead(k, out var v) ? v : null)).ToArray();
    }

    public Task<KvReply> SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, CancellationToken cancellationToken = default) =>
        RunAsync(() =>
        {
            foreach (var (key, value) in pairs) entries[key] = new Entry(value, null);
            return KvReply.Ok;
        });

    public Task<KvReply> CountKeysAsync(CancellationToken cancellationToken = default) =>
        RunAsync(() => new KvReply.Integer(entries.Keys.Count(k => TryRead(k, out _))));

    public Task<IReadOnlyList<RegionSummary>> RegionsAsync(CancellationToken cancellationToken = default) => Task.FromResult(Regions);

    private Task<KvReply> RunAsync(Func<KvReply> operation)
    {
        if (ThrowOnCall) throw new InvalidOperationException("store exploded");
        return RunCoreAsync(operation);
    }

    private async Task<KvReply> RunCoreAsync(Func<KvReply> operation)
    {
        Interlocked.Increment(ref requests);
        var now = Interlocked.Increment(ref inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
        {
        }

        entered.Release();
        try
        {
            if (hold is { } waitFor) await waitFor.Task;
            if (ForcedError is { } code) return new KvReply.Error(code, $"injected {code}");
            lock (gate) return operation();
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    // Caller holds the lock.
    private bool TryRead(byte[] key, out byte[] value)
    {
        if (entries.TryGetValue(key, out var entry))
        {
            if (entry.ExpiresAtMs is not { } at || at > NowMs)
            {
                value = entry.Value;
                return true;
            }

            entries.Remove(key);
        }

        value = [];
        return false;
    }

    private sealed record Entry(byte[] Value, long? ExpiresAtMs);

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static ByteOrder Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
