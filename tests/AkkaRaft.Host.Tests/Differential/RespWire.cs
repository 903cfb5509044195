using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// A RESP client socket that sends commands as arrays of bulk strings and reads each reply back as its exact bytes, so two
/// servers' answers can be compared byte for byte. Not thread-safe: one pipeline at a time.
/// </summary>
public sealed class RespWire : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;

    private RespWire(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Connects to <paramref name="port"/> on loopback.</summary>
    public static async Task<RespWire> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cancel = new CancellationTokenSource(ReplyTimeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel.Token);
        return new RespWire(socket);
    }

    /// <summary>Encodes one command as a RESP array of bulk strings.</summary>
    public static void Encode(MemoryStream into, byte[][] command)
    {
        into.Write(Encoding.ASCII.GetBytes($"*{command.Length}\r\n"));
        foreach (var argument in command)
        {
            into.Write(Encoding.ASCII.GetBytes($"${argument.Length}\r\n"));
            into.Write(argument);
            into.Write("\r\n"u8);
        }
    }

    /// <summary>Sends every command at once (one pipeline) and reads one reply per command, as raw bytes.</summary>
    public async Task<byte[][]> PipelineAsync(IReadOnlyList<byte[][]> commands)
    {
        using var encoded = new MemoryStream();
        foreach (var command in commands) Encode(encoded, command);
        using var cancel = new CancellationTokenSource(ReplyTimeout);
        var send = stream.WriteAsync(encoded.GetBuffer().AsMemory(0, (int)encoded.Length), cancel.Token).AsTask();
        var replies = new byte[commands.Count][];
        for (var i = 0; i < replies.Length; i++) replies[i] = await ReadReplyAsync(cancel.Token);
        await send;
        return replies;
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<byte[]> CommandAsync(params string[] arguments) =>
        (await PipelineAsync([arguments.Select(a => Encoding.UTF8.GetBytes(a)).ToArray()]))[0];

    /// <summary>Reads one complete reply (nested aggregates included) and returns its bytes.</summary>
    private async Task<byte[]> ReadReplyAsync(CancellationToken cancel)
    {
        var replyStart = start;
        var length = 0;
        // Parse in place; when the buffer lacks bytes, fill (which may move them) and parse again from the reply's start.
        while ((length = Measure(buffer.AsSpan(replyStart, end - replyStart))) < 0)
        {
            replyStart = await FillAsync(replyStart, cancel);
        }

        var reply = buffer.AsSpan(replyStart, length).ToArray();
        start = replyStart + length;
        return reply;
    }

    /// <summary>The byte length of the first complete reply in <paramref name="data"/>, or -1 when it is incomplete.</summary>
    internal static int Measure(ReadOnlySpan<byte> data)
    {
        var position = 0;
        var remaining = 1; // values still to read at this level and below
        while (remaining > 0)
        {
            var newline = data[position..].IndexOf("\r\n"u8);
            if (newline < 0) return -1;
            var line = data.Slice(position, newline);
            position += newline + 2;
            remaining--;
            switch ((char)line[0])
            {
                case '+' or '-' or ':' or '_' or '#' or ',' or '(':
                    break;
                case '$' or '=' or '!':
                    if (!Utf8Parser.TryParse(line[1..], out long size, out _)) throw new InvalidDataException($"bad length line {Encoding.ASCII.GetString(line)}");
                    if (size < 0) break;
                    if (data.Length < position + size + 2) return -1;
                    position += (int)size + 2;
                    break;
                case '*' or '~' or '>' or '%' or '|':
                    if (!Utf8Parser.TryParse(line[1..], out long count, out _)) throw new InvalidDataException($"bad count line {Encoding.ASCII.GetString(line)}");
                    if (count > 0) remaining += (int)count * (line[0] is (byte)'%' or (byte)'|' ? 2 : 1);
                    break;
                default:
                    throw new InvalidDataException($"unexpected reply line '{Encoding.ASCII.GetString(line)}'");
            }
        }

        return position;
    }

    /// <summary>Reads more bytes; keeps the bytes from <paramref name="keepFrom"/> on and returns where they now start.</summary>
    private async Task<int> FillAsync(int keepFrom, CancellationToken cancel)
    {
        if (keepFrom > 0)
        {
            Array.Copy(buffer, keepFrom, buffer, 0, end - keepFrom);
            end -= keepFrom;
            start = 0;
        }

        if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a reply larger than the buffer (big values, long arrays)
        var read = await stream.ReadAsync(buffer.AsMemory(end), cancel);
        if (read == 0) throw new EndOfStreamException("the server closed the connection");
        end += read;
        return 0;
    }

    /// <summary>A reply as readable text: CR LF shown as ⏎, other control bytes as \xHH.</summary>
    public static string Show(byte[] reply)
    {
        var text = new StringBuilder();
        foreach (var b in reply.Take(600))
        {
            if (b == '\r') continue;
            if (b == '\n') text.Append('⏎');
            else if (b is >= 0x20 and < 0x7F) text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (reply.Length > 600) text.Append($"… ({reply.Length} bytes)");
        return text.ToString();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        socket.Dispose();
    }
}
