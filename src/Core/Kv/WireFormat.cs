namespace AkkaRaft.Core.Kv;

/// <summary>Appends varints and length-prefixed byte strings to a growing buffer.</summary>
internal sealed class WireWriter
{
    private byte[] _buffer;
    private int _length;

    public WireWriter(int initialCapacity = 64) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteVarUInt(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    /// <summary>Zig-zag so small negative numbers stay small.</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVarUInt((ulong)bytes.Length);
        WriteRaw(bytes);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }
}

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote. Every read checks the remaining bytes first, so truncated or lying input
/// ends in <see cref="KvCodecException"/>, never an out-of-range access or a huge allocation.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _position;

    public WireReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadByte(string field)
    {
        if (Remaining < 1) throw Truncated(field);
        return _data[_position++];
    }

    public ulong ReadVarUInt(string field)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte(field);
            // The tenth byte may carry only the top bit of a 64-bit value.
            if (shift == 63 && b > 1) throw Fail($"{field}: varint overflows 64 bits");
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
        throw Fail($"{field}: varint longer than 10 bytes");
    }

    public long ReadVarInt(string field)
    {
        var raw = ReadVarUInt(field);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A count of items that each take at least <paramref name="minBytesPerItem"/> bytes: bounded by what is left.</summary>
    public int ReadCount(string field, int minBytesPerItem)
    {
        var count = ReadVarUInt(field);
        if (count > (ulong)(Remaining / minBytesPerItem))
            throw Fail($"{field}: count {count} exceeds what the remaining {Remaining} bytes can hold");
        return (int)count;
    }

    public byte[] ReadBytes(string field)
    {
        var length = ReadVarUInt(field);
        if (length > (ulong)Remaining)
            throw Fail($"{field}: length {length} exceeds the remaining {Remaining} bytes");
        var bytes = _data.Slice(_position, (int)length).ToArray();
        _position += (int)length;
        return bytes;
    }

    /// <summary>A length-prefixed byte string, in place (nothing copied).</summary>
    public ReadOnlySpan<byte> ReadSpan(string field)
    {
        var length = ReadVarUInt(field);
        if (length > (ulong)Remaining)
            throw Fail($"{field}: length {length} exceeds the remaining {Remaining} bytes");
        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    public readonly void EnsureEnd()
    {
        if (Remaining != 0) throw Fail($"{Remaining} trailing bytes after the end");
    }

    public readonly KvCodecException Fail(string problem) => new($"invalid {_what} at byte {_position} of {_data.Length}: {problem}");

    private readonly KvCodecException Truncated(string field) => Fail($"truncated while reading {field}");
}
