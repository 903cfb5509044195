using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>What a store reads of a command without decoding it: header, keys in place, and the stamp spliced in.</summary>
public class KvCommandHeaderTests
{
    private static readonly RegionEpoch Epoch = new(3, 9);

    [Theory]
    [MemberData(nameof(KvCommandCodecTests.EveryCommand), MemberType = typeof(KvCommandCodecTests))]
    public void The_header_says_what_the_full_decode_says(int commandIndex)
    {
        var command = KvCommandCodecTests.Commands[commandIndex];
        var header = KvCommandCodec.ReadHeader(KvCommandCodec.Encode(command));

        Assert.Equal((command is KvWriteCommand, command.RegionId, command.Epoch), (header.IsWrite, header.RegionId, header.Epoch));
    }

    [Theory]
    [MemberData(nameof(KvCommandCodecTests.EveryCommand), MemberType = typeof(KvCommandCodecTests))]
    public void A_spliced_stamp_decodes_as_the_same_write_stamped_at_that_time(int commandIndex)
    {
        var command = KvCommandCodecTests.Commands[commandIndex];
        if (command is not KvWriteCommand write) return;
        var encoded = KvCommandCodec.Encode(write);

        foreach (var now in new[] { 0L, 1, -1, 1_700_000_000_000, long.MaxValue, long.MinValue })
        {
            var stamped = KvCommandCodec.WithStamp(encoded, KvCommandCodec.ReadHeader(encoded), now);
            Assert.Equal(KvCommandCodec.Encode(write with { NowMs = now }), stamped);
        }
    }

    [Fact]
    public void Stamping_a_read_is_refused()
    {
        var get = KvCommandCodec.Encode(new GetCommand(7, Epoch, K("a")));

        Assert.Throws<InvalidOperationException>(() => KvCommandCodec.WithStamp(get, KvCommandCodec.ReadHeader(get), 5));
    }

    [Fact]
    public void The_first_key_outside_the_region_is_found_without_decoding_values()
    {
        var region = R(7, "b", "m");
        KvCommand[] inside =
        [
            new GetCommand(7, Epoch, K("b")),
            new SetCommand(7, Epoch, 0, K("c"), K("zzz")),
            new DeleteCommand(7, Epoch, 0, [K("b"), K("lz")]),
            new MSetCommand(7, Epoch, 0, [new KeyValue(K("c"), K("z")), new KeyValue(K("d"), K("a"))]),
            new IncrByCommand(7, Epoch, 0, K("k"), 1),
            new ExistsCommand(7, Epoch, [K("c")]),
        ];
        foreach (var command in inside) Assert.Null(KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(command), region));

        // Values that would lie outside do not count; the first key that does is named.
        Assert.Equal(K("m"), KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(new SetCommand(7, Epoch, 0, K("m"), K("c"))), region));
        Assert.Equal(K("a"), KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(new DeleteCommand(7, Epoch, 0, [K("c"), K("a"), K("z")])), region));
        Assert.Equal(K("z"), KvCommandCodec.FirstKeyOutside(
            KvCommandCodec.Encode(new MSetCommand(7, Epoch, 0, [new KeyValue(K("c"), K("a")), new KeyValue(K("z"), K("c"))])), region));
        Assert.Equal(K("a"), KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(new ExistsCommand(7, Epoch, [K("a")])), region));
    }

    [Fact]
    public void A_malformed_header_or_key_list_is_a_codec_error_not_a_crash()
    {
        var set = KvCommandCodec.Encode(new SetCommand(7, Epoch, 0, K("c"), K("v")));

        Assert.Throws<KvCodecException>(() => KvCommandCodec.ReadHeader(set.AsSpan(0, 3)));
        Assert.Throws<KvCodecException>(() => KvCommandCodec.ReadHeader([]));
        Assert.Throws<KvCodecException>(() => KvCommandCodec.ReadHeader([2, 3]));
        // Cut inside the key (version, op, region, epoch, stamp, key length, then the key): its length is larger than what is left.
        Assert.Throws<KvCodecException>(() => KvCommandCodec.FirstKeyOutside(set.AsSpan(0, 7), R(7, "", "")));
    }
}
