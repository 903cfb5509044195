using AkkaRaft.TestKit.Linearizability;
using Xunit;

namespace AkkaRaft.TestKit.Tests;

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

    [Fact]
    public void A_history_refuses_operations_past_its_capacity_and_reads_with_unknown_outcome()
    {
        var history = new RegisterHistory(capacity: 2);
        history.Completed(1, "k", RegisterOpKind.Set, 1, null, RegisterHistory.Now());
        history.Unknown(1, "k", RegisterOpKind.Increment, 1, RegisterHistory.Now());
        Assert.Throws<ArgumentException>(() => new RegisterHistory().Unknown(1, "k", RegisterOpKind.Get, 0, 0));
        var full = Assert.Throws<InvalidOperationException>(() => history.Completed(2, "k", RegisterOpKind.Get, 0, 1, RegisterHistory.Now()));
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        Assert.Equal(2, history.Count);
        Assert.Null(history.Check());
    }

    [Fact]
    public void The_checker_refuses_an_operation_that_returns_before_it_was_invoked()
    {
        Assert.Throws<ArgumentException>(() => RegisterLinearizabilityChecker.Check([Op(1, RegisterOpKind.Set, 1, null, 10, 5)]));
    }
}
