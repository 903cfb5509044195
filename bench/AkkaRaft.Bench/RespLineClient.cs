using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Bench;

/// <summary>
/// A minimal RESP client for one connection: sends one command, reads its one-line reply (+OK, -ERR ..., :n, $-1) or a
/// bulk string (read by its length, so it may be empty, long or hold CR LF). Any socket failure or end of stream surfaces
/// as <see cref="IOException"/>, so the caller knows the connection (not the command) failed.
/// </summary>
public sealed class RespLineClient : IDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;

    private RespLineClient(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>; throws <see cref="IOException"/> when nobody listens.</summary>
    public static async Task<RespLineClient> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
            return new RespLineClient(tcp);
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new IOException($"connect to port {port}: {e.SocketErrorCode}", e);
        }
    }

    /// <summary>Sends a command and returns its reply: "+OK", "-ERR ...", ":1", or the bulk string's text (null for nil).</summary>
    public async Task<string?> CallAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var command = new StringBuilder().Append('*').Append(arguments.Count).Append("\r\n");
        foreach (var argument in arguments) command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), cancellationToken).ConfigureAwait(false);
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line.Length == 0 || line[0] != '$' || arguments[0] == "MGET") return line;
            return await ReadBulkAsync(line, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>MGET: the values of <paramref name="keys"/> (null for a missing key), or throws <see cref="InvalidOperationException"/> with an error reply.</summary>
    public async Task<string?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var first = await CallAsync(["MGET", .. keys], cancellationToken).ConfigureAwait(false);
        if (first is null || !first.StartsWith('*')) throw new InvalidOperationException($"MGET answered {first}");
        var values = new string?[int.Parse(first.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = await ReadBulkAsync(await ReadLineAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        return values;
    }

    /// <summary>The bulk string announced by <paramref name="header"/> ("$n", read by its length so it may hold any bytes), or null for "$-1".</summary>
    private async Task<string?> ReadBulkAsync(string header, CancellationToken cancellationToken)
    {
        if (header.Length == 0 || header[0] != '$') throw new IOException($"expected a bulk string, got '{header}'");
        var length = int.Parse(header.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        if (length < 0) return null;
        var data = new byte[length + 2];
        var copied = 0;
        while (copied < data.Length)
        {
            if (start == end) await FillAsync(cancellationToken).ConfigureAwait(false);
            var n = Math.Min(data.Length - copied, end - start);
            buffer.AsSpan(start, n).CopyTo(data.AsSpan(copied));
            start += n;
            copied += n;
        }
        return Encoding.UTF8.GetString(data, 0, length);
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline > start && buffer[newline - 1] == '\r')
            {
                var line = Encoding.UTF8.GetString(buffer, start, newline - 1 - start);
                start = newline + 1;
                return line;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads more bytes after the unread ones (moved to the front first).</summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length) throw new IOException("reply line longer than the buffer");
        var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
        if (read == 0) throw new IOException("the server closed the connection");
        end += read;
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }
}
