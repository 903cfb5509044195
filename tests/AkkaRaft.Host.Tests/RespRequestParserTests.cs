using System.Buffers;
using System.Text;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests;

public sealed class RespRequestParserTests
{
    private static readonly RespServerOptions Defaults = new();

    private static List<string[]> ParseAll(RespRequestParser parser, byte[] input, out string? error)
    {
        var buffer = new ReadOnlySequence<byte>(input);
        var requests = new List<string[]>();
        error = null;
        while (true)
        {
            var status = parser.TryRead(ref buffer, out var request, out error);
            if (status == RespParseStatus.NeedMoreData) return requests;
            if (status == RespParseStatus.ProtocolError) return requests;
            requests.Add(request!.Select(a => Encoding.Latin1.GetString(a)).ToArray());
        }
    }

    private static string? ProtocolErrorOf(string input, RespServerOptions? options = null)
    {
        ParseAll(new RespRequestParser(options ?? Defaults), Encoding.Latin1.GetBytes(input), out var error);
        return error;
    }

    [Fact]
    public void MultibulkCommandParsesIntoItsArguments()
    {
        var requests = ParseAll(new RespRequestParser(Defaults), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"u8.ToArray(), out var error);

        Assert.Null(error);
        Assert.Equal(["SET", "k", "hello"], Assert.Single(requests));
    }

    [Fact]
    public void SeveralPipelinedCommandsInOneBufferAllParse()
    {
        var input = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 50).Select(i => $"*2\r\n$3\r\nGET\r\n${i.ToString().Length}\r\n{i}\r\n")));

        var requests = ParseAll(new RespRequestParser(Defaults), input, out _);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString()), requests.Select(r => r[1]));
    }

    [Fact]
    public void CommandsFedOneByteAtATimeParseTheSameAsWhole()
    {
        var input = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\nvalue\r\nxyz\r\n*1\r\n$4\r\nPING\r\nECHO inline\r\n*0\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n"u8.ToArray();
        var parser = new RespRequestParser(Defaults);
        var requests = new List<string[]>();
        var pending = new List<byte>();
        foreach (var b in input)
        {
            pending.Add(b);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (parser.TryRead(ref buffer, out var request, out var error) is var status && status != RespParseStatus.NeedMoreData)
            {
                Assert.Equal(RespParseStatus.Request, status);
                Assert.Null(error);
                requests.Add(request!.Select(a => Encoding.Latin1.GetString(a)).ToArray());
            }

            pending = buffer.ToArray().ToList(); // what the pipe would keep: only the unconsumed tail
        }

        Assert.Equal(4, requests.Count);
        Assert.Equal(["SET", "key", "value\r\nxyz"], requests[0]);
        Assert.Equal(["PING"], requests[1]);
        Assert.Equal(["ECHO", "inline"], requests[2]);
        Assert.Equal(["GET", ""], requests[3]);
    }

    [Fact]
    public void HalfACommandConsumesItsBytesAndCompletesWhenTheRestArrives()
    {
        var parser = new RespRequestParser(Defaults);
        var first = new ReadOnlySequence<byte>("*2\r\n$3\r\nGET\r\n$6\r\nabc"u8.ToArray());

        Assert.Equal(RespParseStatus.NeedMoreData, parser.TryRead(ref first, out _, out _));
        Assert.True(first.IsEmpty); // the partial bulk was copied into the parser, so the pipe holds nothing
        Assert.True(parser.HasPartialRequest);

        var rest = new ReadOnlySequence<byte>("def\r\n"u8.ToArray());
        Assert.Equal(RespParseStatus.Request, parser.TryRead(ref rest, out var request, out _));
        Assert.Equal("abcdef", Encoding.ASCII.GetString(request![1]));
        Assert.False(parser.HasPartialRequest);
    }

    [Fact]
    public void CommandSplitAcrossSegmentsOfOneSequenceParses()
    {
        var bytes = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n"u8.ToArray();
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var sequence = TwoSegments(bytes[..cut], bytes[cut..]);
            var parser = new RespRequestParser(Defaults);

            Assert.Equal(RespParseStatus.Request, parser.TryRead(ref sequence, out var request, out _));
            Assert.Equal("hello world", Encoding.ASCII.GetString(request![1]));
            Assert.True(sequence.IsEmpty);
        }
    }

    [Fact]
    public void InlineCommandSplitsOnSpacesAndIgnoresEmptyLines()
    {
        var requests = ParseAll(new RespRequestParser(Defaults), "\r\nSET  a\tb\r\nPING\n"u8.ToArray(), out var error);

        Assert.Null(error);
        Assert.Equal(2, requests.Count);
        Assert.Equal(["SET", "a", "b"], requests[0]);
        Assert.Equal(["PING"], requests[1]);
    }

    [Theory]
    [InlineData("*abc\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*-5\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*99999999999999999999999\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$x1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$9999999999999\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n:5\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*2\r\n$3\r\nGET\r\n*1\r\n", "Protocol error: expected '$', got '*'")]
    [InlineData("$3\r\nGET\r\n", "Protocol error: expected '*', got '$'")]
    [InlineData("+PING\r\n", "Protocol error: expected '*', got '+'")]
    [InlineData("*1\r\n$4\r\nPINGxx", "Protocol error: expected CRLF after bulk string")]
    [InlineData("*1\r\n$4\r\nPING\rx", "Protocol error: expected CRLF after bulk string")]
    [InlineData("*1\rx\r\n", "Protocol error: expected LF after CR in multibulk length")]
    [InlineData("*111111111111111111111111111111111111", "Protocol error: too big mbulk count string")]
    [InlineData("*1\r\n$1111111111111111111111111111111111111", "Protocol error: too big bulk count string")]
    [InlineData("\u0000\u0001\u00ff\u00fegarbage\r\n", "Protocol error: unexpected byte 0x00 in inline request")]
    [InlineData("GET k\u0007\r\n", "Protocol error: unexpected byte 0x07 in inline request")]
    public void MalformedInputIsAProtocolError(string input, string expected)
    {
        Assert.Equal(expected, ProtocolErrorOf(input));
    }

    [Fact]
    public void BulkOfExactlyTheLimitParsesAndOneByteMoreIsRejected()
    {
        var options = new RespServerOptions { MaxBulkLength = 10 };

        Assert.Null(ProtocolErrorOf("*1\r\n$10\r\n0123456789\r\n", options));
        Assert.Equal("Protocol error: invalid bulk length", ProtocolErrorOf("*1\r\n$11\r\n", options));
    }

    [Fact]
    public void MultibulkCountAboveTheLimitIsRejectedBeforeAnyArgumentArrives()
    {
        var options = new RespServerOptions { MaxMultiBulkCount = 3 };

        Assert.Null(ProtocolErrorOf("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", options));
        Assert.Equal("Protocol error: invalid multibulk length", ProtocolErrorOf("*4\r\n", options));
    }

    [Fact]
    public void InlineLineLongerThanTheLimitIsRejectedWithoutWaitingForItsEnd()
    {
        var options = new RespServerOptions { MaxInlineLength = 16 };

        Assert.Null(ProtocolErrorOf("ECHO 01234567890\r\n", options));
        Assert.Equal("Protocol error: too big inline request", ProtocolErrorOf("ECHO 0123456789012345", options));
    }

    [Fact]
    public void CommandWhoseArgumentsTogetherExceedTheRequestLimitIsRejected()
    {
        var options = new RespServerOptions { MaxBulkLength = 4, MaxRequestBytes = 8 };

        Assert.Null(ProtocolErrorOf("*2\r\n$4\r\naaaa\r\n$4\r\nbbbb\r\n", options));
        Assert.Equal("Protocol error: request too large", ProtocolErrorOf("*3\r\n$4\r\naaaa\r\n$4\r\nbbbb\r\n$1\r\n", options));
    }

    [Fact]
    public void ParsingAGetCommandAllocatesOnlyTheCommandItself()
    {
        var one = "*2\r\n$3\r\nGET\r\n$10\r\nkey:000001\r\n"u8.ToArray();
        var input = Enumerable.Range(0, 1000).SelectMany(_ => one).ToArray();
        var parser = new RespRequestParser(Defaults);
        var warmup = new ReadOnlySequence<byte>(one);
        parser.TryRead(ref warmup, out _, out _);

        var buffer = new ReadOnlySequence<byte>(input);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var count = 0;
        while (parser.TryRead(ref buffer, out _, out _) == RespParseStatus.Request) count++;
        var perCommand = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)count;

        Assert.Equal(1000, count);
        // the argument array (40 B) and two small byte arrays (~32 B each): nothing per byte, no strings
        Assert.True(perCommand <= 128, $"{perCommand} bytes allocated per command");
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
