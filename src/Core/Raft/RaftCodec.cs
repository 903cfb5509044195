using System.Buffers.Binary;

namespace AkkaRaft.Core.Raft;

/// <summary>Thrown when bytes from the wire or the journal are not a valid encoding.</summary>
internal sealed class RaftCodecException(string message) : FormatException(message);

/// <summary>Append-only byte buffer with varint encoding.</summary>
internal sealed class WireWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public WireWriter(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    /// <summary>Writes one byte.</summary>
    public void Byte(byte value) => Grow(1)[0] = value;

    /// <summary>Writes an unsigned LEB128 varint.</summary>
    public void VarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            Byte((byte)(value | 0x80));
            value >>= 7;
        }
        Byte((byte)value);
    }

    /// <summary>Writes a boolean as one byte.</summary>
    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    /// <summary>Writes a length-prefixed byte string.</summary>
    public void Bytes(ReadOnlySpan<byte> value)
    {
        VarUInt((ulong)value.Length);
        value.CopyTo(Grow(value.Length));
    }

    /// <summary>Writes a little-endian 64-bit value.</summary>
    public void Fixed64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);
}

/// <summary>Bounds-checked reader over untrusted bytes: every length is checked against what remains.</summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Reads from <paramref name="data"/>.</summary>
    public WireReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads one byte.</summary>
    public byte Byte()
    {
        if (_position >= _data.Length) throw new RaftCodecException($"truncated input at byte {_position}");
        return _data[_position++];
    }

    /// <summary>Reads a varint (at most 10 bytes).</summary>
    public ulong VarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Byte();
            if (shift == 63 && b > 1) throw new RaftCodecException("varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new RaftCodecException("varint longer than 10 bytes");
    }

    /// <summary>Reads a count that must be coverable by the remaining bytes (at least <paramref name="minBytesEach"/> each).</summary>
    public int Count(int minBytesEach, string what)
    {
        var count = VarUInt();
        if (count > (ulong)Remaining / (ulong)Math.Max(1, minBytesEach)) throw new RaftCodecException($"{what} count {count} exceeds the remaining {Remaining} bytes");
        return (int)count;
    }

    /// <summary>Reads a boolean byte (0 or 1).</summary>
    public bool Bool()
    {
        var b = Byte();
        if (b > 1) throw new RaftCodecException($"invalid boolean {b} at byte {_position - 1}");
        return b == 1;
    }

    /// <summary>Reads a length-prefixed byte string.</summary>
    public byte[] Bytes()
    {
        var length = VarUInt();
        if (length > (ulong)Remaining) throw new RaftCodecException($"byte string of {length} bytes exceeds the remaining {Remaining}");
        var result = _data.Slice(_position, (int)length).ToArray();
        _position += (int)length;
        return result;
    }

    /// <summary>Reads a little-endian 64-bit value.</summary>
    public ulong Fixed64()
    {
        if (Remaining < 8) throw new RaftCodecException($"truncated input at byte {_position}");
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    /// <summary>Fails unless every byte was consumed.</summary>
    public readonly void End()
    {
        if (Remaining != 0) throw new RaftCodecException($"{Remaining} unexpected trailing bytes");
    }
}

/// <summary>Binary encoding of the Raft wire types (messages, entries, snapshots). Versioned by the caller's envelope.</summary>
internal static class RaftCodec
{
    /// <summary>Writes an entry.</summary>
    public static void Write(WireWriter w, Entry e)
    {
        w.VarUInt(e.Term);
        w.VarUInt(e.Index);
        w.Byte((byte)e.Type);
        w.Bytes(e.Data);
    }

    /// <summary>Reads an entry.</summary>
    public static Entry ReadEntry(ref WireReader r)
    {
        var term = r.VarUInt();
        var index = r.VarUInt();
        var type = r.Byte();
        if (type > (byte)EntryType.ConfChange) throw new RaftCodecException($"unknown entry type {type}");
        return new Entry(term, index, (EntryType)type, r.Bytes());
    }

    /// <summary>Writes a list of entries.</summary>
    public static void Write(WireWriter w, IReadOnlyList<Entry> entries)
    {
        w.VarUInt((ulong)entries.Count);
        foreach (var e in entries) Write(w, e);
    }

    /// <summary>Reads a list of entries.</summary>
    public static List<Entry> ReadEntries(ref WireReader r)
    {
        var count = r.Count(4, "entry");
        var entries = new List<Entry>(count);
        for (var i = 0; i < count; i++) entries.Add(ReadEntry(ref r));
        return entries;
    }

    private static void WriteIds(WireWriter w, IReadOnlyList<ulong> ids)
    {
        w.VarUInt((ulong)ids.Count);
        foreach (var id in ids) w.VarUInt(id);
    }

    private static ulong[] ReadIds(ref WireReader r)
    {
        var count = r.Count(1, "replica id");
        var ids = new ulong[count];
        for (var i = 0; i < count; i++) ids[i] = r.VarUInt();
        return ids;
    }

    /// <summary>Writes a membership.</summary>
    public static void Write(WireWriter w, ConfState cs)
    {
        WriteIds(w, cs.Voters);
        WriteIds(w, cs.VotersOutgoing);
        WriteIds(w, cs.Learners);
        WriteIds(w, cs.LearnersNext);
        w.Bool(cs.AutoLeave);
    }

    /// <summary>Reads a membership.</summary>
    public static ConfState ReadConfState(ref WireReader r) =>
        new(ReadIds(ref r), ReadIds(ref r), ReadIds(ref r), ReadIds(ref r), r.Bool());

    /// <summary>Writes a snapshot.</summary>
    public static void Write(WireWriter w, Snapshot s)
    {
        w.VarUInt(s.Metadata.Index);
        w.VarUInt(s.Metadata.Term);
        Write(w, s.Metadata.ConfState);
        w.Bytes(s.Data);
    }

    /// <summary>Reads a snapshot.</summary>
    public static Snapshot ReadSnapshot(ref WireReader r)
    {
        var index = r.VarUInt();
        var term = r.VarUInt();
        var cs = ReadConfState(ref r);
        return new Snapshot(new SnapshotMetadata(index, term, cs), r.Bytes());
    }

    /// <summary>Writes a hard state.</summary>
    public static void Write(WireWriter w, HardState hs)
    {
        w.VarUInt(hs.Term);
        w.VarUInt(hs.Vote);
        w.VarUInt(hs.Commit);
    }

    /// <summary>Reads a hard state.</summary>
    public static HardState ReadHardState(ref WireReader r) => new(r.VarUInt(), r.VarUInt(), r.VarUInt());

    /// <summary>Writes a message.</summary>
    public static void Write(WireWriter w, Message m)
    {
        w.Byte((byte)m.Type);
        w.VarUInt(m.To);
        w.VarUInt(m.From);
        w.VarUInt(m.Term);
        w.VarUInt(m.LogTerm);
        w.VarUInt(m.Index);
        w.VarUInt(m.Commit);
        w.Bool(m.Reject);
        w.VarUInt(m.RejectHint);
        w.Bytes(m.Context);
        Write(w, m.Entries);
        w.Bool(m.Snapshot is not null);
        if (m.Snapshot is not null) Write(w, m.Snapshot);
    }

    /// <summary>Reads a message.</summary>
    public static Message ReadMessage(ref WireReader r)
    {
        var type = r.Byte();
        if (type is < (byte)MessageType.Append or > (byte)MessageType.ReadIndexResponse) throw new RaftCodecException($"unknown message type {type}");
        var to = r.VarUInt();
        var from = r.VarUInt();
        var term = r.VarUInt();
        var logTerm = r.VarUInt();
        var index = r.VarUInt();
        var commit = r.VarUInt();
        var reject = r.Bool();
        var hint = r.VarUInt();
        var context = r.Bytes();
        var entries = ReadEntries(ref r);
        var snapshot = r.Bool() ? ReadSnapshot(ref r) : null;
        return new Message
        {
            Type = (MessageType)type, To = to, From = from, Term = term, LogTerm = logTerm, Index = index, Commit = commit,
            Reject = reject, RejectHint = hint, Context = context, Entries = entries, Snapshot = snapshot,
        };
    }
}
