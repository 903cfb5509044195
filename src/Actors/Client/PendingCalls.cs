namespace AkkaRaft.Actors.Client;

/// <summary>A reply that names the request it answers (see <see cref="PendingCalls{TReply}"/>).</summary>
internal interface ICorrelatedReply
{
    /// <summary>The id <see cref="PendingCalls{TReply}.TryStart"/> gave the request.</summary>
    long RequestId { get; }
}

/// <summary>
/// Requests waiting for their reply, by request id: what a sender keeps instead of a temporary actor per request (Ask).
/// At most <see cref="Capacity"/> wait at once: past that <see cref="TryStart"/> refuses and the caller answers at once,
/// without sending (the overflow answer is the caller's: the router answers ServerIsBusy). Every call ends exactly once:
/// with its reply, with null when its timeout passed first (swept on the table's clock, so a call may
/// wait up to one sweep interval past its timeout), or cancelled with the caller's token. A reply for an id that is not
/// waiting (late, or never issued) is dropped. Thread-safe.
/// </summary>
internal sealed class PendingCalls<TReply> where TReply : class
{
    private readonly object _gate = new();
    private readonly Dictionary<long, Call> _calls = [];
    private readonly TimeProvider _clock;
    private readonly TimeSpan _sweepInterval;
    private readonly ITimer _sweeper;
    private long _lastId;
    private long _dropped;
    private bool _sweeping;

    /// <summary>A table of at most <paramref name="capacity"/> calls whose timeouts are checked every <paramref name="sweepInterval"/>.</summary>
    public PendingCalls(int capacity, TimeSpan sweepInterval, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sweepInterval, TimeSpan.Zero);
        Capacity = capacity;
        _sweepInterval = sweepInterval;
        _clock = clock ?? TimeProvider.System;
        // Armed only while calls wait: an idle table costs no wake-ups.
        _sweeper = _clock.CreateTimer(_ => Sweep(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Most calls waiting at once.</summary>
    public int Capacity { get; }

    /// <summary>Calls waiting now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _calls.Count;
        }
    }

    /// <summary>Replies dropped so far because no call waited for their id (late or unknown).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Registers a call that waits at most <paramref name="timeout"/>: <paramref name="id"/> goes into the request and
    /// <paramref name="reply"/> ends with the reply, or null after the timeout. False (and nothing registered) when
    /// <see cref="Capacity"/> calls already wait: the request must not be sent.
    /// </summary>
    public bool TryStart(TimeSpan timeout, CancellationToken cancellationToken, out long id, out Task<TReply?> reply)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var call = new Call(_clock.GetTimestamp() + (long)(timeout.TotalSeconds * _clock.TimestampFrequency));
        var callId = Interlocked.Increment(ref _lastId);
        // Registered before the call can end (by reply or sweep), so ending it always releases the registration.
        if (cancellationToken.CanBeCanceled)
        {
            call.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (calls, cancelledId) = ((PendingCalls<TReply>, long))state!;
                if (calls.Remove(cancelledId) is { } cancelled) cancelled.TrySetCanceled(token);
            }, (this, callId));
        }
        lock (_gate)
        {
            if (_calls.Count >= Capacity)
            {
                call.Cancellation.Dispose();
                id = 0;
                reply = Task.FromResult<TReply?>(null);
                return false;
            }
            _calls.Add(callId, call);
            if (!_sweeping)
            {
                _sweeping = true;
                _sweeper.Change(_sweepInterval, _sweepInterval);
            }
        }
        id = callId;
        reply = call.Task;
        return true;
    }

    /// <summary>Ends the call <paramref name="id"/> with <paramref name="reply"/>; false (reply dropped) when no such call waits.</summary>
    public bool Complete(long id, TReply reply)
    {
        if (Remove(id) is not { } call)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        call.Cancellation.Dispose();
        call.TrySetResult(reply);
        return true;
    }

    /// <summary>Ends every call whose timeout has passed with null; stops the timer when nothing waits.</summary>
    public void Sweep()
    {
        var now = _clock.GetTimestamp();
        List<Call>? expired = null;
        lock (_gate)
        {
            foreach (var (id, call) in _calls)
            {
                if (call.Deadline > now) continue;
                (expired ??= []).Add(call);
                _calls.Remove(id);
            }
            if (_calls.Count == 0 && _sweeping)
            {
                _sweeping = false;
                _sweeper.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        if (expired is null) return;
        foreach (var call in expired)
        {
            call.Cancellation.Dispose();
            call.TrySetResult(null);
        }
    }

    /// <summary>Ends every waiting call with null at once (its owner is closing); later calls still work.</summary>
    public void EndAll()
    {
        List<Call> ended;
        lock (_gate)
        {
            ended = [.. _calls.Values];
            _calls.Clear();
        }
        foreach (var call in ended)
        {
            call.Cancellation.Dispose();
            call.TrySetResult(null);
        }
    }

    private Call? Remove(long id)
    {
        lock (_gate) return _calls.Remove(id, out var call) ? call : null;
    }

    // Continuations run on the thread pool, never inline on the thread that completes the call (an actor's, or the timer's).
    private sealed class Call(long deadline) : TaskCompletionSource<TReply?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Deadline { get; } = deadline;

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}
