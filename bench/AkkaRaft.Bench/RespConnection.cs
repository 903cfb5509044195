using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Bench;

/// <summary>A minimal RESP2 client for the bench: one command, one reply, no pipelining, no reconnect of its own.</summary>
internal sealed class RespConnection : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>; throws <see cref="SocketException"/> when nobody listens.</summary>
    public static async Task<RespConnection> ConnectAsync(int port, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, ct).ConfigureAwait(false);
            return new RespConnection(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and reads its reply: a simple string, an error ("-..."), an integer, a bulk string or null.</summary>
    public async Task<RespReply> CommandAsync(CancellationToken ct, params byte[][] parts)
    {
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes($"*{parts.Length}\r\n"));
        foreach (var part in parts)
        {
            request.Write(Encoding.ASCII.GetBytes($"${part.Length}\r\n"));
            request.Write(part);
            request.Write("\r\n"u8);
        }
        await _stream.WriteAsync(request.GetBuffer().AsMemory(0, (int)request.Length), ct).ConfigureAwait(false);
        var line = await ReadLineAsync(ct).ConfigureAwait(false);
        switch (line[0])
        {
            case '+': return new RespReply(RespKind.Simple, line[1..], null);
            case '-': return new RespReply(RespKind.Error, line[1..], null);
            case ':': return new RespReply(RespKind.Integer, line[1..], null);
            case '$':
                var length = int.Parse(line.AsSpan(1));
                if (length < 0) return new RespReply(RespKind.Null, "", null);
                var data = await ReadExactlyAsync(length + 2, ct).ConfigureAwait(false);
                return new RespReply(RespKind.Bulk, "", data[..length]);
            default:
                throw new IOException($"unexpected RESP reply '{line}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var at = span.IndexOf("\r\n"u8);
            if (at >= 0)
            {
                var line = Encoding.UTF8.GetString(span[..at]);
                _start += at + 2;
                return line;
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end) await FillAsync(ct).ConfigureAwait(false);
            var n = Math.Min(count - copied, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(copied));
            _start += n;
            copied += n;
        }
        return result;
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new IOException("RESP reply line longer than the buffer");
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        if (read == 0) throw new IOException("connection closed by the server");
        _end += read;
    }

    public void Dispose() => _tcp.Dispose();
}

/// <summary>Kinds of RESP2 replies the bench reads.</summary>
internal enum RespKind : byte
{
    Simple,
    Error,
    Integer,
    Bulk,
    Null,
}

/// <summary>One RESP reply: <see cref="Text"/> for simple strings, errors and integers, <see cref="Data"/> for bulk strings.</summary>
internal sealed record RespReply(RespKind Kind, string Text, byte[]? Data);
