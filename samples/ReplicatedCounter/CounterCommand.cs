using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Actors.Runtime;

namespace ReplicatedCounter;

/// <summary>Adds <paramref name="Delta"/> to the counter named <paramref name="Counter"/>; the answer is its new value.</summary>
public sealed record CounterCommand(string Counter, long Delta);

/// <summary>
/// Binary form of <see cref="CounterCommand"/>: version byte 1, name length (2 bytes, little-endian), UTF-8 name, delta
/// (8 bytes, little-endian). Names are 1 to <see cref="MaxNameBytes"/> UTF-8 bytes.
/// </summary>
public sealed class CounterCodec : IRaftCodec<CounterCommand>
{
    /// <summary>Longest counter name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    private const byte Version = 1;

    /// <summary>The shared instance (stateless).</summary>
    public static CounterCodec Instance { get; } = new();

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is empty or longer than <see cref="MaxNameBytes"/> bytes.</exception>
    public byte[] Encode(CounterCommand value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var name = CheckedName(value.Counter);
        var bytes = new byte[1 + 2 + name.Length + 8];
        bytes[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), (ushort)name.Length);
        name.CopyTo(bytes, 3);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(3 + name.Length), value.Delta);
        return bytes;
    }

    /// <inheritdoc />
    public CounterCommand Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 3 || data[0] != Version) throw new FormatException($"not a counter command (version {(data.Length > 0 ? data[0] : -1)}, {data.Length} bytes)");
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(data[1..]);
        if (nameLength is 0 or > MaxNameBytes || data.Length != 3 + nameLength + 8)
            throw new FormatException($"counter command of {data.Length} bytes has a bad name length {nameLength}");
        return new CounterCommand(Encoding.UTF8.GetString(data.Slice(3, nameLength)), BinaryPrimitives.ReadInt64LittleEndian(data[(3 + nameLength)..]));
    }

    /// <summary>The UTF-8 bytes of a valid counter name.</summary>
    /// <exception cref="ArgumentException">The name is empty or longer than <see cref="MaxNameBytes"/> bytes.</exception>
    public static byte[] CheckedName(string counter)
    {
        if (string.IsNullOrEmpty(counter)) throw new ArgumentException("a counter needs a name", nameof(counter));
        var name = Encoding.UTF8.GetBytes(counter);
        if (name.Length > MaxNameBytes) throw new ArgumentException($"counter name of {name.Length} bytes exceeds {MaxNameBytes}", nameof(counter));
        return name;
    }
}
