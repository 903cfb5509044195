using System.Buffers;
using System.Text;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests;

/// <summary>The parser's limits before AUTH, and bulk buffers that grow with the bytes that arrive instead of the header's claim.</summary>
public sealed class RespRequestLimitsTests
{
    private static string? ProtocolErrorOf(RespRequestParser parser, string input)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(input));
        while (true)
        {
            var status = parser.TryRead(ref buffer, out _, out var error);
            if (status != RespParseStatus.Request) return error;
        }
    }

    [Fact]
    public void BeforeAuthAnEleventhArgumentIsRefusedAtTheHeader()
    {
        var parser = new RespRequestParser(new RespServerOptions()) { Authenticated = false };

        Assert.Null(ProtocolErrorOf(parser, RawRespConnection.Encode([.. Enumerable.Repeat("a", 10)])));
        Assert.Equal("Protocol error: unauthenticated multibulk length", ProtocolErrorOf(parser, "*11\r\n"));
        Assert.Equal("Protocol error: unauthenticated multibulk length", ProtocolErrorOf(new RespRequestParser(new RespServerOptions()) { Authenticated = false }, "A B C D E F G H I J K\r\n"));
    }

    [Fact]
    public void BeforeAuthARequestOfMoreThan16KiBIsRefusedAtTheHeaderThatCrossesTheLimit()
    {
        var parser = new RespRequestParser(new RespServerOptions()) { Authenticated = false };

        Assert.Null(ProtocolErrorOf(parser, RawRespConnection.Encode("AUTH", new string('p', 16 * 1024 - 4))));
        Assert.Equal("Protocol error: unauthenticated bulk length", ProtocolErrorOf(parser, "*1\r\n$16385\r\n"));
        var second = new RespRequestParser(new RespServerOptions()) { Authenticated = false };
        Assert.Equal("Protocol error: unauthenticated bulk length", ProtocolErrorOf(second, $"*2\r\n$4\r\nAUTH\r\n$16381\r\n"));
        Assert.Equal("Protocol error: too big inline request",
            ProtocolErrorOf(new RespRequestParser(new RespServerOptions()) { Authenticated = false }, "AUTH " + new string('p', 16 * 1024)));
    }

    [Fact]
    public void AfterAuthTheFullLimitsApply()
    {
        var parser = new RespRequestParser(new RespServerOptions()) { Authenticated = true };

        Assert.Null(ProtocolErrorOf(parser, RawRespConnection.Encode([.. Enumerable.Repeat("a", 11)])));
        Assert.Null(ProtocolErrorOf(parser, RawRespConnection.Encode("SET", "k", new string('v', 100_000))));
    }

    [Fact]
    public void AHugeBulkHeaderAllocatesNothingNearItsLength()
    {
        var parser = new RespRequestParser(new RespServerOptions());
        var header = new ReadOnlySequence<byte>("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$8000000\r\n"u8.ToArray());

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(RespParseStatus.NeedMoreData, parser.TryRead(ref header, out _, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated for an 8 MB bulk header alone");
    }

    [Fact]
    public void ABulkArrivingInPiecesGrowsWithItsBytesAndEndsExactlyItsLength()
    {
        var parser = new RespRequestParser(new RespServerOptions());
        var value = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        var header = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes($"*1\r\n${value.Length}\r\n"));
        Assert.Equal(RespParseStatus.NeedMoreData, parser.TryRead(ref header, out _, out _));

        long allocatedFor1000 = 0;
        byte[][]? request = null;
        for (var offset = 0; offset < value.Length; offset += 1000)
        {
            var piece = new ReadOnlySequence<byte>(value.AsMemory(offset, Math.Min(1000, value.Length - offset)));
            var before = GC.GetAllocatedBytesForCurrentThread();
            var status = parser.TryRead(ref piece, out request, out _);
            if (offset == 0) allocatedFor1000 = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(RespParseStatus.NeedMoreData, status);
        }
        var end = new ReadOnlySequence<byte>("\r\n"u8.ToArray());
        Assert.Equal(RespParseStatus.Request, parser.TryRead(ref end, out request, out _));

        Assert.Equal(0, allocatedFor1000); // the first piece fits the initial buffer
        Assert.Equal(value, request![0]);
    }
}
