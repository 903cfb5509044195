using System.Buffers;
using System.Buffers.Text;

namespace AkkaRaft.Host.Resp;

/// <summary>What one call of <see cref="RespRequestParser.TryRead"/> produced.</summary>
internal enum RespParseStatus
{
    /// <summary>The bytes so far hold no complete command; what was consumed is kept in the parser.</summary>
    NeedMoreData,
    /// <summary>One complete command was parsed.</summary>
    Request,
    /// <summary>The input is not RESP: answer with the error and close the connection.</summary>
    ProtocolError,
}

/// <summary>
/// Incremental parser of client commands (RESP multibulk arrays of bulk strings, or inline lines) for one connection.
/// Resumable: a bulk string arriving in pieces is copied as it comes, so the pipe never holds more than the unread tail.
/// </summary>
internal sealed class RespRequestParser
{
    private const int MaxLengthLine = 32; // "*" or "$" plus a signed 64-bit number, with room to spare
    private const int InitialArgumentSlots = 1024;

    private readonly RespServerOptions limits;

    // Invariant: arguments != null exactly while a multibulk command is partly read.
    private byte[][]? arguments;
    private int argumentCount;
    private int argumentsFilled;
    private long requestBytes;

    // Invariant: bulk != null exactly while a bulk string's payload (or its CRLF) is partly read; bulk.Length <= bulkLength,
    // and bulk.Length == bulkLength once bulkFilled == bulkLength. The buffer grows as bytes arrive, never from the header alone.
    private byte[]? bulk;
    private int bulkLength;
    private int bulkFilled;

    /// <summary>Creates a parser that enforces the limits of <paramref name="limits"/>.</summary>
    public RespRequestParser(RespServerOptions limits) => this.limits = limits;

    /// <summary>Bytes a bulk string's buffer starts with; it doubles as its payload arrives, up to the announced length.</summary>
    internal const int InitialBulkBytes = 16 * 1024;

    /// <summary>
    /// False until the connection has authenticated (when a password is set): commands are then held to
    /// <see cref="RespServerOptions.UnauthenticatedMaxArguments"/> and <see cref="RespServerOptions.UnauthenticatedMaxRequestBytes"/>.
    /// </summary>
    public bool Authenticated { get; set; } = true;

    private long MaxArguments => Authenticated ? limits.MaxMultiBulkCount : Math.Min(limits.MaxMultiBulkCount, limits.UnauthenticatedMaxArguments);

    private int MaxInlineLength => Authenticated ? limits.MaxInlineLength : Math.Min(limits.MaxInlineLength, limits.UnauthenticatedMaxRequestBytes);

    /// <summary>True while a command has been started but not finished (bytes were consumed into the parser).</summary>
    public bool HasPartialRequest => arguments != null;

    /// <summary>
    /// Reads at most one command from <paramref name="buffer"/>, which is advanced past what was consumed
    /// (also on <see cref="RespParseStatus.NeedMoreData"/>: a partial command is kept inside the parser).
    /// </summary>
    public RespParseStatus TryRead(ref ReadOnlySequence<byte> buffer, out byte[][]? request, out string? error)
    {
        request = null;
        error = null;
        while (true)
        {
            if (arguments == null)
            {
                if (buffer.IsEmpty) return RespParseStatus.NeedMoreData;
                var first = FirstByte(buffer);
                if (first == (byte)'*')
                {
                    var header = ReadLengthLine(ref buffer, out var count, "too big mbulk count string", ref error);
                    if (header != RespParseStatus.Request) return header;
                    if (!Authenticated && count > MaxArguments) return Fail("unauthenticated multibulk length", out error);
                    if (count < 0 || count > limits.MaxMultiBulkCount) return Fail("invalid multibulk length", out error);
                    if (count == 0) continue; // an empty array is ignored, as Redis does
                    arguments = new byte[Math.Min(count, InitialArgumentSlots)][];
                    argumentCount = (int)count;
                    argumentsFilled = 0;
                    requestBytes = 0;
                }
                else if (IsRespTypeByte(first))
                {
                    return Fail($"expected '*', got '{Printable(first)}'", out error);
                }
                else
                {
                    var inline = ReadInline(ref buffer, out request, ref error);
                    if (inline == RespParseStatus.Request && request!.Length == 0) continue; // an empty line is ignored
                    return inline;
                }
            }

            while (argumentsFilled < argumentCount)
            {
                if (bulk == null)
                {
                    if (buffer.IsEmpty) return RespParseStatus.NeedMoreData;
                    var first = FirstByte(buffer);
                    if (first != (byte)'$') return Fail($"expected '$', got '{Printable(first)}'", out error);
                    var header = ReadLengthLine(ref buffer, out var length, "too big bulk count string", ref error);
                    if (header != RespParseStatus.Request) return header;
                    if (!Authenticated && (length > limits.UnauthenticatedMaxRequestBytes || requestBytes + length > limits.UnauthenticatedMaxRequestBytes))
                    {
                        return Fail("unauthenticated bulk length", out error);
                    }
                    if (length < 0 || length > limits.MaxBulkLength) return Fail("invalid bulk length", out error);
                    requestBytes += length;
                    if (requestBytes > limits.MaxRequestBytes) return Fail("request too large", out error);
                    bulkLength = (int)length;
                    bulk = length == 0 ? [] : new byte[Math.Min(bulkLength, InitialBulkBytes)];
                    bulkFilled = 0;
                }

                var missing = bulkLength - bulkFilled;
                if (missing > 0)
                {
                    var take = (int)Math.Min(missing, buffer.Length);
                    if (bulkFilled + take > bulk.Length)
                    {
                        // Grow with what has arrived (doubling, so copying stays linear), never past the announced length.
                        Array.Resize(ref bulk, (int)Math.Min(bulkLength, Math.Max(2L * bulk.Length, bulkFilled + take)));
                    }
                    buffer.Slice(0, take).CopyTo(bulk.AsSpan(bulkFilled));
                    bulkFilled += take;
                    buffer = buffer.Slice(take);
                    if (bulkFilled < bulkLength) return RespParseStatus.NeedMoreData;
                }

                if (buffer.IsEmpty) return RespParseStatus.NeedMoreData;
                if (FirstByte(buffer) != (byte)'\r') return Fail("expected CRLF after bulk string", out error);
                if (buffer.Length < 2) return RespParseStatus.NeedMoreData;
                if (buffer.Slice(1, 1).FirstSpan[0] != (byte)'\n') return Fail("expected CRLF after bulk string", out error);
                buffer = buffer.Slice(2);

                if (argumentsFilled == arguments.Length) Array.Resize(ref arguments, (int)Math.Min((long)arguments.Length * 2, argumentCount));
                arguments[argumentsFilled++] = bulk;
                bulk = null;
            }

            request = arguments.Length == argumentCount ? arguments : arguments[..argumentCount];
            arguments = null;
            return RespParseStatus.Request;
        }
    }

    private static byte FirstByte(in ReadOnlySequence<byte> buffer) => buffer.FirstSpan.Length > 0 ? buffer.FirstSpan[0] : buffer.Slice(0, 1).ToArray()[0];

    private static bool IsRespTypeByte(byte b) => b is (byte)'$' or (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)',' or (byte)'#'
        or (byte)'(' or (byte)'!' or (byte)'=' or (byte)'%' or (byte)'~' or (byte)'>' or (byte)'|';

    /// <summary>Reads "Xnnn\r\n" (X already checked) into <paramref name="value"/>; Request means a number was read.</summary>
    private static RespParseStatus ReadLengthLine(ref ReadOnlySequence<byte> buffer, out long value, string tooLongMessage, ref string? error)
    {
        value = 0;
        var window = buffer.Slice(0, Math.Min(buffer.Length, MaxLengthLine));
        var cr = window.PositionOf((byte)'\r');
        if (cr == null)
        {
            if (buffer.Length >= MaxLengthLine) return Fail(tooLongMessage, out error);
            return RespParseStatus.NeedMoreData;
        }

        var lineLength = (int)window.Slice(0, cr.Value).Length;
        if (buffer.Length < lineLength + 2) return RespParseStatus.NeedMoreData;
        Span<byte> line = stackalloc byte[MaxLengthLine + 1];
        buffer.Slice(0, lineLength + 2).CopyTo(line);
        var kind = line[0] == (byte)'*' ? "multibulk" : "bulk";
        if (line[lineLength + 1] != (byte)'\n') return Fail($"expected LF after CR in {kind} length", out error);
        var digits = line[1..lineLength];
        if (digits.Length == 0 || !Utf8Parser.TryParse(digits, out value, out var used) || used != digits.Length || digits[0] == (byte)'+')
        {
            return Fail($"invalid {kind} length", out error);
        }

        buffer = buffer.Slice(lineLength + 2);
        return RespParseStatus.Request;
    }

    private RespParseStatus ReadInline(ref ReadOnlySequence<byte> buffer, out byte[][]? request, ref string? error)
    {
        request = null;
        // The limit counts the line without its CR LF.
        var maxInline = MaxInlineLength;
        var window = buffer.Slice(0, Math.Min(buffer.Length, maxInline + 2L));
        var lf = window.PositionOf((byte)'\n');
        if (lf == null)
        {
            if (buffer.Length >= maxInline + 2L) return Fail("too big inline request", out error);
            return RespParseStatus.NeedMoreData;
        }

        var lineSequence = window.Slice(0, lf.Value);
        var line = lineSequence.IsSingleSegment ? lineSequence.FirstSpan : lineSequence.ToArray();
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (line.Length > maxInline) return Fail("too big inline request", out error);
        foreach (var b in line)
        {
            if (b is < 0x20 and not (byte)'\t' || b > 0x7E) return Fail($"unexpected byte 0x{b:x2} in inline request", out error);
        }

        var words = new List<byte[]>();
        var start = -1;
        for (var i = 0; i <= line.Length; i++)
        {
            var separator = i == line.Length || line[i] == (byte)' ' || line[i] == (byte)'\t';
            if (!separator && start < 0) start = i;
            if (separator && start >= 0)
            {
                words.Add(line[start..i].ToArray());
                start = -1;
            }
        }

        if (!Authenticated && words.Count > MaxArguments) return Fail("unauthenticated multibulk length", out error);
        if (words.Count > limits.MaxMultiBulkCount) return Fail("invalid multibulk length", out error);
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        request = [.. words];
        return RespParseStatus.Request;
    }

    private static RespParseStatus Fail(string message, out string error)
    {
        error = "Protocol error: " + message;
        return RespParseStatus.ProtocolError;
    }

    private static string Printable(byte b) => b is >= 0x20 and <= 0x7E ? ((char)b).ToString() : $"\\x{b:x2}";
}
