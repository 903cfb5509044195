using Xunit;

namespace ReplicatedCounter.Tests;

public sealed class CounterStateMachineTests
{
    [Fact]
    public void Commands_round_trip_through_the_codec_and_malformed_bytes_are_refused()
    {
        var command = new CounterCommand("zählung", -42);
        Assert.Equal(command, CounterCodec.Instance.Decode(CounterCodec.Instance.Encode(command)));

        var bytes = CounterCodec.Instance.Encode(command);
        Assert.Throws<FormatException>(() => CounterCodec.Instance.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => CounterCodec.Instance.Decode([]));
        Assert.Throws<FormatException>(() => CounterCodec.Instance.Decode([2, 1, 0, 65, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => CounterCodec.Instance.Encode(new CounterCommand("", 1)));
        Assert.Throws<ArgumentException>(() => CounterCodec.Instance.Encode(new CounterCommand(new string('x', CounterCodec.MaxNameBytes + 1), 1)));
    }

    [Fact]
    public void A_snapshot_restores_every_counter_and_an_overflowing_increment_is_refused()
    {
        var machine = new CounterStateMachine();
        Assert.Equal(5, machine.Apply(new CounterCommand("a", 5), 1).Value);
        Assert.Equal(long.MaxValue, machine.Apply(new CounterCommand("b", long.MaxValue), 2).Value);
        var overflow = machine.Apply(new CounterCommand("b", 1), 3);
        Assert.False(overflow.Applied);
        Assert.Equal(long.MaxValue, overflow.Value);

        var restored = new CounterStateMachine();
        restored.Restore(machine.TakeSnapshot());
        Assert.Equal(5, restored.ValueOf("a"));
        Assert.Equal(long.MaxValue, restored.ValueOf("b"));
        Assert.Throws<FormatException>(() => restored.Restore(machine.TakeSnapshot().AsSpan(0, 9)));
    }
}
