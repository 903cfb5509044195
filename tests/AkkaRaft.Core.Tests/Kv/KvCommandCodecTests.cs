using System.Collections.Immutable;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

public class KvCommandCodecTests
{
    private static readonly RegionEpoch Epoch = new(3, 9);

    public static TheoryData<KvCommand> EveryCommand => new()
    {
        new GetCommand(7, Epoch, K("key")),
        new GetCommand(ulong.MaxValue, new RegionEpoch(ulong.MaxValue, 0), []),
        new ExistsCommand(7, Epoch, [K("a"), K("b"), K("a")]),
        new SetCommand(7, Epoch, 1_700_000_000_000, K("k"), K("v")),
        new SetCommand(7, Epoch, -5, K("k"), [], ExpireAtMs: 1_700_000_010_000, Condition: SetCondition.IfAbsent, GetOld: true),
        new SetCommand(7, Epoch, long.MinValue, [0x00, 0xff], new byte[300], ExpireAtMs: long.MaxValue, Condition: SetCondition.IfPresent),
        new SetCommand(7, Epoch, 1_700_000_000_000, K("k"), K("v"), Condition: SetCondition.IfAbsent, GetOld: true, ExpireAfterMs: 60_000),
        new DeleteCommand(7, Epoch, 0, [K("a")]),
        new IncrByCommand(7, Epoch, 1, K("n"), long.MinValue),
        new IncrByCommand(7, Epoch, 1, K("n"), long.MaxValue),
        new MSetCommand(7, Epoch, 1, [new KeyValue(K("a"), K("1")), new KeyValue(K("b"), [])]),
        new SplitCommand(7, Epoch, 1, K("f"), 8, [81, 82, ulong.MaxValue]),
        new SplitCommand(7, Epoch, 1, K("f"), 8, []),
    };

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Every_command_round_trips(KvCommand command)
    {
        var encoded = KvCommandCodec.Encode(command);
        var decoded = KvCommandCodec.Decode(encoded);
        Assert.Equal(command, decoded);
        Assert.Equal(encoded, KvCommandCodec.Encode(decoded));
        Assert.Equal(KvCommandCodec.FormatVersion, encoded[0]);
    }

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Every_truncation_of_a_valid_encoding_is_a_codec_error(KvCommand command)
    {
        var encoded = KvCommandCodec.Encode(command);
        for (var length = 0; length < encoded.Length; length++)
            Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(encoded.AsSpan(0, length)));
        Assert.Contains("trailing", Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode([.. encoded, 0])).Message);
    }

    [Fact]
    public void Set_is_compact()
    {
        // version, op, region, conf, version, now, key len + 1, value len + 1, flags
        Assert.Equal(11, KvCommandCodec.Encode(new SetCommand(7, Epoch, 1, K("k"), K("v"))).Length);
    }

    [Fact]
    public void Commands_and_values_render_readably_without_values_in_logs()
    {
        Assert.Equal("SET \"k\" (region 7 v3/9)", new SetCommand(7, Epoch, 1, K("k"), K("secret")).ToString());
        Assert.Equal("DEL \"a\" \"\\xff\" (region 7 v3/9)", new DeleteCommand(7, Epoch, 1, [K("a"), [0xff]]).ToString());
        Assert.Equal("Value \"v\"", new KvResult.ValueResult(K("v")).ToString());
        Assert.Equal("Value nil", new KvResult.ValueResult(null).ToString());
    }

    [Fact]
    public void Command_equality_compares_bytes_by_content()
    {
        Assert.Equal(new SetCommand(1, Epoch, 1, K("k"), K("v")), new SetCommand(1, Epoch, 1, K("k"), K("v")));
        Assert.NotEqual(new SetCommand(1, Epoch, 1, K("k"), K("v")), new SetCommand(1, Epoch, 1, K("k"), K("w")));
        Assert.NotEqual<KvCommand>(new DeleteCommand(1, Epoch, 1, [K("k")]), new ExistsCommand(1, Epoch, [K("k")]));
    }

    [Fact]
    public void Lying_lengths_and_counts_fail_without_allocating_what_they_claim()
    {
        // version 1, SET, region 1, epoch 1/1, now 0, key length 2^62
        byte[] hugeKey = [1, 3, 1, 1, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        Assert.Contains("exceeds the remaining", Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(hugeKey)).Message);
        // DEL with a key count of 2^31
        byte[] hugeCount = [1, 4, 1, 1, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x08, 1, (byte)'a'];
        Assert.Contains("count", Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(hugeCount)).Message);
    }

    [Theory]
    [InlineData(new byte[] { 2, 1, 1, 1, 1, 0 }, "unsupported format version 2")]
    [InlineData(new byte[] { 1, 99, 1, 1, 1 }, "unknown op code 99")]
    [InlineData(new byte[] { 1, 3, 1, 1, 1, 0, 1, (byte)'k', 1, (byte)'v', 0x80 }, "unknown set flags 0x80")]
    [InlineData(new byte[] { 1, 3, 1, 1, 1, 0, 1, (byte)'k', 1, (byte)'v', 0x0c }, "unknown set condition 3")]
    [InlineData(new byte[] { 1, 3, 1, 1, 1, 0, 1, (byte)'k', 1, (byte)'v', 0x11, 2, 2 }, "both an absolute and a relative expiry")]
    [InlineData(new byte[] { 1, 4, 1, 1, 1, 0, 0 }, "at least one key")]
    [InlineData(new byte[] { 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, "overflows 64 bits")]
    [InlineData(new byte[] { 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "overflows 64 bits")]
    public void Malformed_input_is_rejected_with_a_clear_message(byte[] data, string expected)
    {
        var error = Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(data));
        Assert.Contains(expected, error.Message);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Fact]
    public void Encode_refuses_what_decode_would_refuse()
    {
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new DeleteCommand(1, Epoch, 1, [])));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new ExistsCommand(1, Epoch, default)));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new MSetCommand(1, Epoch, 1, [])));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new SetCommand(1, Epoch, 1, K("k"), K("v"), Condition: (SetCondition)3)));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(new SetCommand(1, Epoch, 1, K("k"), K("v"), ExpireAtMs: 5, ExpireAfterMs: 5)));
    }

    [Fact]
    public void A_set_journaled_by_an_older_build_with_an_absolute_expiry_still_decodes_to_the_same_command()
    {
        // Bytes as the previous build wrote them: SET "k" "v" stamped 1000 by the router, expiring at 1500.
        byte[] journaled = [1, 3, 7, 3, 9, 0xd0, 0x0f, 1, (byte)'k', 1, (byte)'v', 0x01, 0xb8, 0x17];

        var decoded = KvCommandCodec.Decode(journaled);

        Assert.Equal(new SetCommand(7, Epoch, 1_000, K("k"), K("v"), ExpireAtMs: 1_500), decoded);
        Assert.Equal(journaled, KvCommandCodec.Encode(decoded));
    }

    [Fact]
    public void Random_commands_round_trip()
    {
        const int seed = 777;
        var random = new Random(seed);
        for (var i = 0; i < 2_000; i++)
        {
            var command = RandomCommand(random);
            var decoded = KvCommandCodec.Decode(KvCommandCodec.Encode(command));
            Assert.True(command.Equals(decoded), $"seed {seed} iteration {i}: {command} did not round-trip");
        }
    }

    internal static KvCommand RandomCommand(Random random)
    {
        var regionId = (ulong)random.NextInt64();
        var epoch = new RegionEpoch((ulong)random.Next(), (ulong)random.NextInt64());
        var now = random.NextInt64(long.MinValue, long.MaxValue);
        byte[] Bytes() { var b = new byte[random.Next(0, 40)]; random.NextBytes(b); return b; }
        ImmutableArray<byte[]> KeyList() => [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => Bytes())];
        ImmutableArray<byte[]> RedisArgs() =>
        [
            System.Text.Encoding.ASCII.GetBytes(new[] { "HSET", "LPUSH", "ZADD", "RENAME", "MSETNX", "HGET", "SINTER", "NOPE" }[random.Next(8)]),
            .. Enumerable.Range(0, random.Next(0, 6)).Select(_ => Bytes()),
        ];
        return random.Next(9) switch
        {
            7 => new RedisWriteCommand(regionId, epoch, now, RedisArgs()),
            8 => new RedisReadCommand(regionId, epoch, RedisArgs()),
            0 => new GetCommand(regionId, epoch, Bytes()),
            1 => new ExistsCommand(regionId, epoch, KeyList()),
            2 => random.Next(2) == 0
                ? new SetCommand(regionId, epoch, now, Bytes(), Bytes(),
                    random.Next(2) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue),
                    (SetCondition)random.Next(3), random.Next(2) == 0)
                : new SetCommand(regionId, epoch, now, Bytes(), Bytes(), null, (SetCondition)random.Next(3), random.Next(2) == 0,
                    random.NextInt64(long.MinValue, long.MaxValue)),
            3 => new DeleteCommand(regionId, epoch, now, KeyList()),
            4 => new IncrByCommand(regionId, epoch, now, Bytes(), random.NextInt64(long.MinValue, long.MaxValue)),
            5 => new MSetCommand(regionId, epoch, now, [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => new KeyValue(Bytes(), Bytes()))]),
            _ => new SplitCommand(regionId, epoch, now, Bytes(), (ulong)random.NextInt64(), [.. Enumerable.Range(0, random.Next(0, 5)).Select(_ => (ulong)random.NextInt64())]),
        };
    }
}
