using System.Buffers.Binary;
using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.TestKit.Tests;

/// <summary>Adds each command to a total and answers the new total; the total is safe to read from any thread.</summary>
public sealed class Adder : IRaftStateMachine<long, long>
{
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public long Apply(long command, ulong index) => Interlocked.Add(ref _total, command);

    public byte[] TakeSnapshot() => BitConverter.GetBytes(Total);

    public void Restore(ReadOnlySpan<byte> snapshot) => Interlocked.Exchange(ref _total, BinaryPrimitives.ReadInt64LittleEndian(snapshot));
}

/// <summary>A long as 8 little-endian bytes.</summary>
public sealed class Int64Codec : IRaftCodec<long>
{
    public static Int64Codec Instance { get; } = new();

    public byte[] Encode(long value) => BitConverter.GetBytes(value);

    public long Decode(ReadOnlySpan<byte> data) =>
        data.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data) : throw new FormatException($"expected 8 bytes, got {data.Length}");
}
