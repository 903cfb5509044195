using System.Collections.Immutable;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>The generic Redis commands on the command wire: header, stamp splicing, keys, and refusals.</summary>
public class RedisCommandCodecTests
{
    private static readonly RegionEpoch Epoch = new(2, 3);

    [Fact]
    public void A_typed_write_is_a_write_whose_stamp_is_spliced_and_a_typed_read_is_a_read()
    {
        var write = new RedisWriteCommand(7, Epoch, 0, [K("HSET"), K("h"), K("f"), K("v")]);
        var encoded = KvCommandCodec.Encode(write);
        var header = KvCommandCodec.ReadHeader(encoded);
        Assert.Equal((true, 7UL, Epoch), (header.IsWrite, header.RegionId, header.Epoch));
        var stamped = KvCommandCodec.Decode(KvCommandCodec.WithStamp(encoded, header, 123_456_789));
        Assert.Equal(write with { NowMs = 123_456_789 }, stamped);
        Assert.Equal("HSET \"h\" (region 7 v2/3)", stamped.ToString());

        var read = new RedisReadCommand(7, Epoch, [K("ZRANGE"), K("z"), K("0"), K("-1")]);
        Assert.False(KvCommandCodec.ReadHeader(KvCommandCodec.Encode(read)).IsWrite);
        Assert.Equal(read, KvCommandCodec.Decode(KvCommandCodec.Encode(read)));
    }

    [Fact]
    public void Keys_come_from_the_command_table_and_an_empty_vector_is_refused()
    {
        Assert.Equal([K("a"), K("b")], new RedisWriteCommand(1, Epoch, 0, [K("rename"), K("a"), K("b")]).Keys);
        Assert.Equal([K("a"), K("c")], new RedisWriteCommand(1, Epoch, 0, [K("MSETNX"), K("a"), K("1"), K("c"), K("2")]).Keys);
        Assert.Equal([K("a"), K("b"), K("c")], new RedisReadCommand(1, Epoch, [K("SINTER"), K("a"), K("b"), K("c")]).Keys);
        Assert.Empty(new RedisReadCommand(1, Epoch, [K("NOSUCH"), K("a")]).Keys);
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new RedisWriteCommand(1, Epoch, 0, ImmutableArray<byte[]>.Empty)));
        // A hand-made encoding with zero arguments is refused on decode too.
        var encoded = KvCommandCodec.Encode(new RedisReadCommand(1, Epoch, [K("X")]));
        var noArgs = encoded[..^3].Append((byte)0).ToArray(); // count 1, length 1, "X" → count 0
        Assert.Contains("at least its verb", Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(noArgs)).Message);
    }
}
