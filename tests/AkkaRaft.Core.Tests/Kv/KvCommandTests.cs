using AkkaRaft.Core.Kv;
using static AkkaRaft.Core.Tests.Kv.KvHarness;

namespace AkkaRaft.Core.Tests.Kv;

public class KvCommandTests
{
    private readonly KvHarness _kv = new();

    [Fact]
    public void Set_then_get_returns_the_value_and_get_of_a_missing_key_is_nil()
    {
        Assert.Equal(KvResult.Ok, _kv.Set("apple", "red"));
        Assert.Equal(Value("red"), _kv.Get("apple"));
        Assert.Equal(Value(null), _kv.Get("banana"));
        Assert.Equal(KvResult.Ok, _kv.Set("apple", "green"));
        Assert.Equal(Value("green"), _kv.Get("apple"));
    }

    [Fact]
    public void Set_nx_sets_only_absent_keys()
    {
        Assert.Equal(KvResult.Ok, _kv.Set("a", "1", condition: SetCondition.IfAbsent));
        Assert.Equal(Value(null), _kv.Set("a", "2", condition: SetCondition.IfAbsent));
        Assert.Equal(Value("1"), _kv.Get("a"));
    }

    [Fact]
    public void Set_xx_sets_only_present_keys()
    {
        Assert.Equal(Value(null), _kv.Set("a", "1", condition: SetCondition.IfPresent));
        Assert.Equal(Value(null), _kv.Get("a"));
        _kv.Set("a", "1");
        Assert.Equal(KvResult.Ok, _kv.Set("a", "2", condition: SetCondition.IfPresent));
        Assert.Equal(Value("2"), _kv.Get("a"));
    }

    [Fact]
    public void Set_get_returns_the_old_value_whether_or_not_the_condition_held()
    {
        Assert.Equal(Value(null), _kv.Set("a", "1", getOld: true));
        Assert.Equal(Value("1"), _kv.Set("a", "2", getOld: true));
        Assert.Equal(Value("2"), _kv.Set("a", "3", condition: SetCondition.IfAbsent, getOld: true)); // NX failed: old value, no change
        Assert.Equal(Value("2"), _kv.Get("a"));
    }

    [Fact]
    public void Expired_keys_are_absent_from_the_expiry_instant_on()
    {
        _kv.Set("a", "1", now: 1_000, expireAt: 1_500);
        Assert.Equal(Value("1"), _kv.Get("a", now: 1_499));
        Assert.Equal(Value(null), _kv.Get("a", now: 1_500));
        Assert.Equal(Integer(0), _kv.Exists(1_500, "a"));
        Assert.Equal(KvResult.Ok, _kv.Set("a", "2", now: 1_600, condition: SetCondition.IfAbsent)); // expired counts as absent for NX
        Assert.Equal(Value("2"), _kv.Get("a", now: 999_999)); // plain SET cleared the expiry
    }

    [Fact]
    public void Expiry_is_judged_by_the_logical_clock_carried_in_commands_not_the_reader()
    {
        _kv.Set("a", "1", now: 1_000, expireAt: 1_500);
        _kv.Set("b", "x", now: 2_000); // the log has moved logical time past a's expiry
        Assert.Equal(Value(null), _kv.Get("a", now: 1_200)); // a reader with a lagging clock cannot resurrect it
        Assert.Equal(2_000, _kv.Machine.LogicalNowMs);
    }

    [Fact]
    public void A_relative_expiry_counts_from_the_stamp_the_write_was_applied_with()
    {
        _kv.Set("a", "1", now: 10_000, expireAfter: 500);

        Assert.Equal(Value("1"), _kv.Get("a", now: 10_499));
        Assert.Equal(Value(null), _kv.Get("a", now: 10_500));
    }

    [Fact]
    public void A_stamp_behind_the_region_clock_neither_moves_it_back_nor_shortens_a_relative_expiry()
    {
        _kv.Set("b", "x", now: 20_000);
        _kv.Set("a", "1", now: 10_000, expireAfter: 500); // a leader whose clock trails the one before it

        Assert.Equal(20_000, _kv.Machine.LogicalNowMs);
        Assert.Equal(Value("1"), _kv.Get("a", now: 20_499));
        Assert.Equal(Value(null), _kv.Get("a", now: 20_500));
    }

    [Fact]
    public void A_relative_expiry_near_the_end_of_time_saturates_instead_of_wrapping_into_the_past()
    {
        _kv.Set("a", "1", now: long.MaxValue - 10, expireAfter: 1_000);

        Assert.Equal(Value("1"), _kv.Get("a", now: long.MaxValue - 1));
    }

    [Fact]
    public void Set_with_an_expiry_already_past_removes_the_key()
    {
        _kv.Set("a", "1");
        Assert.Equal(KvResult.Ok, _kv.Set("a", "2", now: 1_000, expireAt: 1_000));
        Assert.Equal(Value(null), _kv.Get("a"));
        Assert.Equal(0, _kv.Machine.KeyCount);
    }

    [Fact]
    public void Delete_counts_only_live_keys_once_each()
    {
        _kv.Set("a", "1");
        _kv.Set("b", "2", expireAt: 1_100);
        Assert.Equal(Integer(1), _kv.Delete(1_200, "a", "a", "b", "c"));
        Assert.Equal(Value(null), _kv.Get("a"));
        Assert.Equal(0, _kv.Machine.KeyCount); // the expired "b" was reclaimed too
    }

    [Fact]
    public void Exists_counts_repeated_keys_each_time()
    {
        _kv.Set("a", "1");
        Assert.Equal(Integer(3), _kv.Exists(1_000, "a", "a", "b", "a"));
    }

    [Fact]
    public void IncrBy_starts_from_zero_and_accumulates()
    {
        Assert.Equal(Integer(5), _kv.IncrBy("k", 5));
        Assert.Equal(Integer(-2), _kv.IncrBy("k", -7));
        Assert.Equal(Value("-2"), _kv.Get("k"));
    }

    [Fact]
    public void IncrBy_keeps_the_expiry()
    {
        _kv.Set("k", "10", expireAt: 5_000);
        Assert.Equal(Integer(11), _kv.IncrBy("k", 1));
        Assert.Equal(Value(null), _kv.Get("k", now: 5_000));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData(" 1")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData("9223372036854775808")]
    public void IncrBy_on_a_non_integer_is_rejected_and_leaves_the_value(string stored)
    {
        _kv.Set("k", stored);
        Assert.IsType<KvResult.NotAnInteger>(_kv.IncrBy("k", 1));
        Assert.Equal(Value(stored), _kv.Get("k"));
    }

    [Theory]
    [InlineData("9223372036854775807", 1)]
    [InlineData("9223372036854775800", 8)]
    [InlineData("-9223372036854775808", -1)]
    [InlineData("-5", long.MinValue)]
    public void IncrBy_overflow_is_rejected_and_leaves_the_value(string stored, long delta)
    {
        _kv.Set("k", stored);
        Assert.IsType<KvResult.Overflow>(_kv.IncrBy("k", delta));
        Assert.Equal(Value(stored), _kv.Get("k"));
    }

    [Fact]
    public void IncrBy_reaches_the_extremes_exactly()
    {
        _kv.Set("k", "9223372036854775806");
        Assert.Equal(Integer(long.MaxValue), _kv.IncrBy("k", 1));
        _kv.Set("j", "0");
        Assert.Equal(Integer(long.MinValue), _kv.IncrBy("j", long.MinValue));
    }

    [Fact]
    public void MSet_sets_every_pair_and_the_last_duplicate_wins()
    {
        _kv.Set("a", "old", expireAt: 2_000);
        Assert.Equal(KvResult.Ok, _kv.MSet(1_000, ("a", "1"), ("b", "2"), ("a", "3")));
        Assert.Equal(Value("3"), _kv.Get("a", now: 10_000)); // expiry cleared
        Assert.Equal(Value("2"), _kv.Get("b"));
    }

    [Fact]
    public void Size_and_key_count_track_every_change()
    {
        var overhead = KvStateMachine.EntryOverheadBytes;
        _kv.Set("ab", "xyz");
        Assert.Equal(2 + 3 + overhead, _kv.Machine.ApproximateSizeBytes);
        _kv.Set("ab", "x");
        Assert.Equal(2 + 1 + overhead, _kv.Machine.ApproximateSizeBytes);
        _kv.MSet(1_000, ("c", "12345"), ("d", "1"));
        Assert.Equal(3, _kv.Machine.KeyCount);
        Assert.Equal(3 + 6 + 2 + 3 * overhead, _kv.Machine.ApproximateSizeBytes);
        _kv.IncrBy("d", 100);
        Assert.Equal(3 + 6 + 4 + 3 * overhead, _kv.Machine.ApproximateSizeBytes);
        _kv.Delete(1_000, "ab", "c", "d");
        Assert.Equal(0, _kv.Machine.ApproximateSizeBytes);
        Assert.Equal(0, _kv.Machine.KeyCount);
    }

    [Fact]
    public void Values_handed_out_are_copies()
    {
        _kv.Set("a", "1");
        var read = (KvResult.ValueResult)_kv.Get("a");
        read.Data![0] = (byte)'9';
        Assert.Equal(Value("1"), _kv.Get("a"));
    }

    [Fact]
    public void Apply_answers_one_result_per_command_and_advances_the_applied_index()
    {
        var batch = new[]
        {
            new AkkaRaft.Core.Raft.CommittedCommand(7, 2, KvCommandCodec.Encode(new SetCommand(1, Epoch, 1, Keys.K("a"), Keys.K("1")))),
            new AkkaRaft.Core.Raft.CommittedCommand(8, 2, KvCommandCodec.Encode(new IncrByCommand(1, Epoch, 1, Keys.K("a"), 2))),
        };
        var results = _kv.Machine.Apply(batch);
        Assert.Equal([KvResult.Ok, Integer(3)], results);
        Assert.Equal(8ul, _kv.Machine.AppliedIndex);
    }

    [Fact]
    public void Apply_out_of_index_order_is_an_invariant_violation()
    {
        _kv.NextIndex = 5;
        _kv.Set("a", "1");
        _kv.NextIndex = 5;
        Assert.Throws<InvalidOperationException>(() => _kv.Set("a", "2"));
        Assert.Equal(Value("1"), _kv.Get("a"));
    }

    [Fact]
    public void Undecodable_entries_and_reads_in_the_log_are_rejected_as_values()
    {
        var results = _kv.Machine.Apply([
            new AkkaRaft.Core.Raft.CommittedCommand(1, 1, [0xde, 0xad]),
            new AkkaRaft.Core.Raft.CommittedCommand(2, 1, KvCommandCodec.Encode(new GetCommand(1, Epoch, Keys.K("a")))),
        ]);
        Assert.Contains("undecodable", Assert.IsType<KvResult.InvalidCommand>(results[0]).Reason);
        Assert.Contains("read", Assert.IsType<KvResult.InvalidCommand>(results[1]).Reason);
        Assert.Equal(2ul, _kv.Machine.AppliedIndex);
    }
}
