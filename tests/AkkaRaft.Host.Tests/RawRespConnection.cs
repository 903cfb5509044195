using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// A plain socket speaking RESP by hand, for malformed input and exact reply checks. Replies are rendered as text:
/// +simple, -error, :integer, $bulk, (nil), [a, b] for arrays, {k: v} for maps.
/// </summary>
public sealed class RawRespConnection : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;

    private RawRespConnection(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawRespConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cancel = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel.Token);
        return new RawRespConnection(socket);
    }

    /// <summary>Sends text (Latin-1: one char per byte) as is.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await stream.WriteAsync(bytes, cancel.Token);
        await stream.FlushAsync(cancel.Token);
    }

    /// <summary>Sends one command as a RESP array of bulk strings.</summary>
    public Task SendCommandAsync(params string[] arguments) => SendAsync(Encode(arguments));

    /// <summary>A command encoded as RESP.</summary>
    public static string Encode(params string[] arguments)
    {
        var text = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments) text.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        return text.ToString();
    }

    /// <summary>Sends a command and reads its reply.</summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        await SendCommandAsync(arguments);
        return await ReadReplyAsync();
    }

    /// <summary>Reads one reply; throws <see cref="EndOfStreamException"/> when the server closed the connection first.</summary>
    public async Task<string> ReadReplyAsync()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        return await ReadValueAsync(cancel.Token);
    }

    /// <summary>True when the server closes the connection (after any bytes still unread) within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            start = end;
            while (await stream.ReadAsync(buffer, cancel.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true; // reset counts as closed
        }
    }

    /// <summary>Closes our side, abruptly.</summary>
    public void Abort() => socket.Close(0);

    private async Task<string> ReadValueAsync(CancellationToken cancel)
    {
        var line = await ReadLineAsync(cancel);
        switch (line[0])
        {
            case '+' or '-' or ':' or '_' or '#' or ',':
                return line[0] == '_' ? "(nil)" : line;
            case '$':
                var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                if (length < 0) return "(nil)";
                var data = await ReadExactAsync(length + 2, cancel);
                return "$" + Encoding.UTF8.GetString(data, 0, length);
            case '*' or '%' or '~':
                var count = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                if (count < 0) return "(nil)";
                var items = new List<string>();
                for (var i = 0; i < count; i++)
                {
                    var item = await ReadValueAsync(cancel);
                    if (line[0] == '%') item += ": " + await ReadValueAsync(cancel);
                    items.Add(item);
                }

                return line[0] == '%' ? "{" + string.Join(", ", items) + "}" : "[" + string.Join(", ", items) + "]";
            default:
                throw new InvalidDataException($"unexpected reply line '{line}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancel)
    {
        while (true)
        {
            var index = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (index > start && buffer[index - 1] == (byte)'\r')
            {
                var line = Encoding.UTF8.GetString(buffer, start, index - 1 - start);
                start = index + 1;
                return line;
            }

            await FillAsync(cancel);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancel)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (start == end) await FillAsync(cancel);
            var take = Math.Min(count - filled, end - start);
            Array.Copy(buffer, start, result, filled, take);
            start += take;
            filled += take;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancel)
    {
        if (start > 0)
        {
            Array.Copy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        if (end == buffer.Length) throw new InvalidDataException("reply line longer than the test buffer");
        var read = await stream.ReadAsync(buffer.AsMemory(end), cancel);
        if (read == 0) throw new EndOfStreamException("the server closed the connection");
        end += read;
    }

    public async ValueTask DisposeAsync() => await stream.DisposeAsync();
}
