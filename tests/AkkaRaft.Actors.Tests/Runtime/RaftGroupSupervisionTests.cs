using AkkaRaft.Actors.Runtime;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class RaftGroupSupervisionTests
{
    [Fact]
    public void Restart_delay_doubles_with_each_failure_in_a_row_up_to_the_maximum()
    {
        Assert.Equal(RaftGroupSupervision.MinBackoff, RaftGroupSupervision.RestartDelay(1, 0));
        Assert.Equal(RaftGroupSupervision.MinBackoff * 2, RaftGroupSupervision.RestartDelay(2, 0));
        Assert.Equal(RaftGroupSupervision.MinBackoff * 4, RaftGroupSupervision.RestartDelay(3, 0));
        Assert.Equal(RaftGroupSupervision.MaxBackoff, RaftGroupSupervision.RestartDelay(40, 0));
    }

    [Fact]
    public void Jitter_adds_at_most_the_random_factor()
    {
        var delay = RaftGroupSupervision.RestartDelay(1, 0.999);
        Assert.True(delay > RaftGroupSupervision.MinBackoff);
        Assert.True(delay <= RaftGroupSupervision.MinBackoff * (1 + RaftGroupSupervision.RandomFactor), delay.ToString());
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1, -0.1)]
    [InlineData(1, 1.0)]
    public void Bad_input_is_refused(int failures, double jitter) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RaftGroupSupervision.RestartDelay(failures, jitter));
}
