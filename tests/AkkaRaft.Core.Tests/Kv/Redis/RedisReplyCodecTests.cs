using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>The reply tree's wire encoding: round trips, and garbage only ever fails with <see cref="KvCodecException"/>.</summary>
public class RedisReplyCodecTests
{
    private static KvResult RandomReply(Random random, int depth = 0)
    {
        byte[] Bytes() { var b = new byte[random.Next(0, 20)]; random.NextBytes(b); return b; }
        return random.Next(depth < 3 ? 9 : 7) switch
        {
            6 => new KvResult.DoubleResult(random.Next(5) switch { 0 => double.PositiveInfinity, 1 => double.NegativeInfinity, _ => random.NextDouble() * 1e6 - 5e5 }),
            0 => KvResult.Ok,
            1 => new KvResult.ValueResult(random.Next(4) == 0 ? null : Bytes()),
            2 => new KvResult.IntegerResult(random.NextInt64(long.MinValue, long.MaxValue)),
            3 => new KvResult.StatusResult(Convert.ToBase64String(Bytes())),
            4 => new KvResult.ErrorResult("ERR " + Convert.ToBase64String(Bytes()), random.Next(2) == 0),
            5 => new KvResult.ArrayResult(null),
            _ => new KvResult.ArrayResult([.. Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomReply(random, depth + 1))], (ArrayShape)random.Next(4)),
        };
    }

    [Fact]
    public void Random_reply_trees_round_trip()
    {
        const int seed = 21;
        var random = new Random(seed);
        for (var i = 0; i < 5_000; i++)
        {
            var reply = RandomReply(random);
            Assert.True(RedisReplyCodec.CanEncode(reply));
            var decoded = RedisReplyCodec.Decode(RedisReplyCodec.Encode(reply));
            Assert.True(reply.Equals(decoded), $"seed {seed} iteration {i}: {reply} came back as {decoded}");
        }
    }

    [Fact]
    public void Mutated_and_random_bytes_only_ever_throw_KvCodecException()
    {
        const int seed = 22;
        var random = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = RedisReplyCodec.Encode(RandomReply(random));
                for (var flips = random.Next(1, 4); flips > 0; flips--) data[random.Next(data.Length)] = (byte)random.Next(256);
                if (random.Next(3) == 0) data = data[..random.Next(data.Length)];
            }
            else
            {
                data = new byte[random.Next(0, 40)];
                random.NextBytes(data);
                if (data.Length > 0) data[0] = RedisReplyCodec.FormatVersion;
            }
            try
            {
                RedisReplyCodec.Decode(data);
            }
            catch (KvCodecException)
            {
                // expected for most inputs
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} iteration {i}: {e.GetType().Name} {e.Message} for {Convert.ToHexString(data)}");
            }
        }
    }

    [Fact]
    public void Deep_nesting_and_other_versions_are_refused()
    {
        KvResult deep = KvResult.Ok;
        for (var i = 0; i <= RedisReplyCodec.MaxDepth + 1; i++) deep = new KvResult.ArrayResult([deep]);
        Assert.Throws<ArgumentException>(() => RedisReplyCodec.Encode(deep));
        var encoded = RedisReplyCodec.Encode(KvResult.Ok);
        encoded[0] = 9;
        Assert.Contains("unsupported reply format version 9", Assert.Throws<KvCodecException>(() => RedisReplyCodec.Decode(encoded)).Message);
        Assert.False(RedisReplyCodec.CanEncode(new KvResult.NotAnInteger()));
    }
}
