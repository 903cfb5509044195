using System.Text;
using AkkaRaft.Core.Kv.Redis;
using Xunit;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>Scores and increments read as redis-server reads them: strtod over every byte, with Redis's extra checks.</summary>
public class RedisFloatParsingTests
{
    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("0x10", 16.0)]
    [InlineData("0x1p4", 16.0)]
    [InlineData("-0X.8", -0.5)]
    [InlineData("+inf", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("4e-320", 4e-320)] // subnormal: not zero, so not ERANGE for Redis
    [InlineData("1e3", 1000.0)]
    public void A_score_strtod_reads_whole_is_a_number(string text, double expected)
    {
        Assert.True(RedisArgs.TryDouble(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("0x")]
    [InlineData("1e")]
    [InlineData("+")]
    [InlineData("abc")]
    public void A_score_redis_refuses_is_refused(string text) =>
        Assert.False(RedisArgs.TryDouble(Encoding.ASCII.GetBytes(text), out _));

    [Theory]
    [InlineData("", 0.0, false)]
    [InlineData(" 1", 1.0, false)]
    [InlineData("(0x10", 16.0, true)]
    [InlineData("1e400", double.PositiveInfinity, false)]
    [InlineData("(-inf", double.NegativeInfinity, true)]
    [InlineData("(", 0.0, true)]
    public void A_range_bound_allows_what_zslParseRange_allows(string text, double expected, bool exclusive)
    {
        Assert.True(RedisArgs.TryScoreBound(Encoding.ASCII.GetBytes(text), out var value, out var isExclusive));
        Assert.Equal((expected, exclusive), (value, isExclusive));
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("( ")]
    [InlineData("1x")]
    public void A_range_bound_strtod_cannot_read_whole_is_refused(string text) =>
        Assert.False(RedisArgs.TryScoreBound(Encoding.ASCII.GetBytes(text), out _, out _));
}
