using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AkkaRaft.Host.Resp;

/// <summary>Encodes replies in RESP2 or RESP3 into a buffer writer (the connection's output pipe).</summary>
public sealed class RespReplyWriter
{
    private readonly IBufferWriter<byte> output;

    /// <summary>Creates a writer over <paramref name="output"/>, speaking RESP2 until <see cref="Protocol"/> changes.</summary>
    public RespReplyWriter(IBufferWriter<byte> output) => this.output = output;

    /// <summary>2 or 3: the protocol version chosen by HELLO.</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>+OK.</summary>
    public void WriteOk() => output.Write("+OK\r\n"u8);

    /// <summary>A simple string (+text); the text must not contain CR or LF.</summary>
    public void WriteSimpleString(string text) => WriteLine((byte)'+', text);

    /// <summary>An error (-CODE text); CR and LF in the text are replaced by spaces.</summary>
    public void WriteError(string text) => WriteLine((byte)'-', text.Replace('\r', ' ').Replace('\n', ' '));

    /// <summary>An integer (:n).</summary>
    public void WriteInteger(long value)
    {
        var span = output.GetSpan(24);
        span[0] = (byte)':';
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(written + 3);
    }

    /// <summary>A bulk string, or the null reply when <paramref name="data"/> is null.</summary>
    public void WriteBulk(ReadOnlySpan<byte> data) => WriteBulkCore(data);

    /// <summary>A bulk string, or the null reply when <paramref name="data"/> is null.</summary>
    public void WriteBulk(byte[]? data)
    {
        if (data == null) WriteNull();
        else WriteBulkCore(data);
    }

    /// <summary>A bulk string holding UTF-8 text.</summary>
    public void WriteBulk(string text) => WriteBulkCore(Encoding.UTF8.GetBytes(text));

    /// <summary>The null reply: $-1 in RESP2, _ in RESP3.</summary>
    public void WriteNull() => output.Write(Protocol == 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>A set header (~n in RESP3, an array in RESP2).</summary>
    public void WriteSetHeader(int count) => WriteHeader(Protocol == 3 ? (byte)'~' : (byte)'*', count);

    /// <summary>A score: a bulk string in RESP2, a double (,1.5) in RESP3; <paramref name="text"/> is Redis's rendering.</summary>
    public void WriteDouble(string text)
    {
        if (Protocol == 3) WriteLine((byte)',', text);
        else WriteBulk(text);
    }

    /// <summary>The nil array: *-1 in RESP2, _ in RESP3.</summary>
    public void WriteNullArray() => output.Write(Protocol == 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    /// <summary>An array header of <paramref name="count"/> elements.</summary>
    public void WriteArrayHeader(int count) => WriteHeader((byte)'*', count);

    /// <summary>A map header of <paramref name="pairs"/> pairs (%n in RESP3, an array of 2n elements in RESP2).</summary>
    public void WriteMapHeader(int pairs)
    {
        if (Protocol == 3) WriteHeader((byte)'%', pairs);
        else WriteHeader((byte)'*', pairs * 2);
    }

    private void WriteBulkCore(ReadOnlySpan<byte> data)
    {
        WriteHeader((byte)'$', data.Length);
        output.Write(data); // copies in chunks: a large value never needs one contiguous span of the pipe
        output.Write("\r\n"u8);
    }

    private void WriteHeader(byte type, long count)
    {
        var span = output.GetSpan(24);
        span[0] = type;
        Utf8Formatter.TryFormat(count, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(written + 3);
    }

    private void WriteLine(byte type, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(length + 3);
        span[0] = type;
        Encoding.UTF8.GetBytes(text, span[1..]);
        span[1 + length] = (byte)'\r';
        span[2 + length] = (byte)'\n';
        output.Advance(length + 3);
    }
}
