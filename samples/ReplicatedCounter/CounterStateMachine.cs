using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Actors.Runtime;

namespace ReplicatedCounter;

/// <summary>What applying a <see cref="CounterCommand"/> answered: the counter's new value, or why nothing changed.</summary>
/// <param name="Value">The counter's value after the command.</param>
/// <param name="Refusal">Null when applied; otherwise why the command changed nothing.</param>
public sealed record CounterResult(long Value, string? Refusal = null)
{
    /// <summary>True when the command changed the counter.</summary>
    public bool Applied => Refusal is null;
}

/// <summary>
/// Named 64-bit counters replicated by Raft, deterministic on every replica. An increment answers the counter's new
/// value; one that would overflow is refused (the counter stays). At most <see cref="MaxCounters"/> counters: an increment
/// of a new counter past that is refused.
/// </summary>
public sealed class CounterStateMachine : IRaftStateMachine<CounterCommand, CounterResult>
{
    /// <summary>Most distinct counters kept.</summary>
    public const int MaxCounters = 10_000;

    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);

    /// <summary>Number of counters.</summary>
    public int Count => _counters.Count;

    /// <summary>Value of <paramref name="counter"/> (0 when it was never incremented).</summary>
    public long ValueOf(string counter) => _counters.GetValueOrDefault(counter);

    /// <inheritdoc />
    public CounterResult Apply(CounterCommand command, ulong index)
    {
        var exists = _counters.TryGetValue(command.Counter, out var current);
        if (!exists && _counters.Count >= MaxCounters) return new CounterResult(0, $"already {MaxCounters} counters");
        var next = unchecked(current + command.Delta);
        if (((current ^ next) & (command.Delta ^ next)) < 0) return new CounterResult(current, $"{current} + {command.Delta} overflows");
        _counters[command.Counter] = next;
        return new CounterResult(next);
    }

    /// <inheritdoc />
    public byte[] TakeSnapshot()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(_counters.Count);
        foreach (var (name, value) in _counters.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            writer.Write(name);
            writer.Write(value);
        }
        writer.Flush();
        return stream.ToArray();
    }

    /// <inheritdoc />
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.Length < 4) throw new FormatException($"counter snapshot of {snapshot.Length} bytes is too short");
        var count = BinaryPrimitives.ReadInt32LittleEndian(snapshot);
        if (count is < 0 or > MaxCounters) throw new FormatException($"counter snapshot claims {count} counters");
        using var reader = new BinaryReader(new MemoryStream(snapshot.ToArray()), Encoding.UTF8);
        reader.ReadInt32();
        var restored = new Dictionary<string, long>(count, StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < count; i++) restored[reader.ReadString()] = reader.ReadInt64();
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("counter snapshot is truncated", e);
        }
        _counters.Clear();
        foreach (var (name, value) in restored) _counters[name] = value;
    }
}
