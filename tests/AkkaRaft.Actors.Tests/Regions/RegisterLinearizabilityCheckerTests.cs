using Xunit;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class RegisterLinearizabilityCheckerTests
{
    private static RegisterOp Op(int client, RegisterOpKind kind, long argument, long? output, long invoked, long returned) =>
        new(client, "k", kind, argument, output, invoked, returned);

    [Fact]
    public void A_read_that_misses_a_write_completed_before_it_started_is_not_linearizable()
    {
        var history = new[]
        {
            Op(1, RegisterOpKind.Set, 1, null, 0, 10),
            Op(2, RegisterOpKind.Get, 0, null, 20, 30),
        };
        Assert.NotNull(RegisterLinearizabilityChecker.Check(history));
    }

    [Fact]
    public void Concurrent_operations_may_take_effect_in_either_order()
    {
        var history = new[]
        {
            Op(1, RegisterOpKind.Set, 5, null, 0, 100),
            Op(2, RegisterOpKind.Get, 0, null, 10, 20),
            Op(3, RegisterOpKind.Get, 0, 5, 30, 40),
            Op(2, RegisterOpKind.Increment, 2, 7, 50, 60),
            Op(3, RegisterOpKind.Get, 0, 7, 110, 120),
        };
        Assert.Null(RegisterLinearizabilityChecker.Check(history));
    }

    [Fact]
    public void Once_a_value_was_read_an_older_value_cannot_come_back()
    {
        var history = new[]
        {
            Op(1, RegisterOpKind.Set, 1, null, 0, 100),
            Op(2, RegisterOpKind.Set, 2, null, 0, 100),
            Op(3, RegisterOpKind.Get, 0, 2, 10, 20),
            Op(3, RegisterOpKind.Get, 0, 1, 30, 40),
            Op(3, RegisterOpKind.Get, 0, 2, 50, 60),
        };
        Assert.NotNull(RegisterLinearizabilityChecker.Check(history));
    }

    [Fact]
    public void A_timed_out_write_may_have_happened_or_not_but_not_both()
    {
        var unknown = Op(1, RegisterOpKind.Increment, 1, null, 0, long.MaxValue);
        Assert.Null(RegisterLinearizabilityChecker.Check([unknown, Op(2, RegisterOpKind.Get, 0, null, 10, 20)]));
        Assert.Null(RegisterLinearizabilityChecker.Check([unknown, Op(2, RegisterOpKind.Get, 0, 1, 10, 20)]));
        Assert.NotNull(RegisterLinearizabilityChecker.Check([unknown, Op(2, RegisterOpKind.Get, 0, 1, 10, 20), Op(2, RegisterOpKind.Get, 0, null, 30, 40)]));
    }
}
