using System.Collections.Concurrent;
using System.Diagnostics;

namespace AkkaRaft.TestKit.Linearizability;

/// <summary>
/// A history of register operations recorded by concurrent clients, for <see cref="RegisterLinearizabilityChecker"/>.
/// Take <see cref="Now"/> before sending a request, then record its answer with <see cref="Completed"/> or, when the
/// outcome is unknown, <see cref="Unknown"/>. Thread-safe; holds at most <see cref="Capacity"/> operations.
/// </summary>
public sealed class RegisterHistory
{
    private readonly ConcurrentQueue<RegisterOp> _ops = new();
    private int _count;

    /// <summary>A history of at most <paramref name="capacity"/> operations (the checker's search grows fast with size).</summary>
    public RegisterHistory(int capacity = 20_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most operations this history records; recording one more throws.</summary>
    public int Capacity { get; }

    /// <summary>Operations recorded so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>A monotonic timestamp to pass as an operation's invocation time.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Records an operation that answered: a Set (no output), a Get (what it read) or an Increment (the new value).</summary>
    /// <exception cref="InvalidOperationException">The history already holds <see cref="Capacity"/> operations.</exception>
    public void Completed(int client, string key, RegisterOpKind kind, long argument, long? output, long invoked) =>
        Add(new RegisterOp(client, key, kind, argument, output, invoked, Now()));

    /// <summary>Records a write whose outcome is unknown (it may take effect at any time after <paramref name="invoked"/>, or never).</summary>
    /// <exception cref="ArgumentException">A read cannot have an unknown outcome: leave a failed read out of the history.</exception>
    /// <exception cref="InvalidOperationException">The history already holds <see cref="Capacity"/> operations.</exception>
    public void Unknown(int client, string key, RegisterOpKind kind, long argument, long invoked)
    {
        if (kind == RegisterOpKind.Get) throw new ArgumentException("a read changes nothing: leave a failed read out of the history", nameof(kind));
        Add(new RegisterOp(client, key, kind, argument, null, invoked, long.MaxValue));
    }

    /// <summary>Records <paramref name="op"/> as it is.</summary>
    /// <exception cref="InvalidOperationException">The history already holds <see cref="Capacity"/> operations.</exception>
    public void Add(RegisterOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            throw new InvalidOperationException($"the history is full ({Capacity} operations); record fewer or raise the capacity");
        }
        _ops.Enqueue(op);
    }

    /// <summary>The operations recorded so far.</summary>
    public IReadOnlyList<RegisterOp> Operations => [.. _ops];

    /// <summary>Null when the history is linearizable; otherwise the first key whose history is not, with its operations.</summary>
    public string? Check() => RegisterLinearizabilityChecker.Check(Operations);
}
