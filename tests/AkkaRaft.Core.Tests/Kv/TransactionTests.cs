using System.Collections.Immutable;
using System.Text;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Tests.Kv.Redis;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>MULTI/EXEC and WATCH on the state machine: queued commands applied in order as one entry, errors as elements, stamps.</summary>
public class TransactionTests
{
    private static ImmutableArray<byte[]> Args(string line) => [.. line.Split(' ').Select(Encoding.UTF8.GetBytes)];

    private static TransactionCommand Exec(long now, params string[] lines) => Exec(now, [], lines);

    private static TransactionCommand Exec(long now, ImmutableArray<WatchedKey> watches, params string[] lines) =>
        new(1, KvHarness.Epoch, now, [.. lines.Select(Args)], watches);

    [Fact]
    public void Exec_applies_every_queued_command_in_order_and_answers_one_reply_each()
    {
        var t = new RedisTranscript();
        var reply = t.Harness.Apply(Exec(t.NowMs,
            "SET a 1", "INCR a", "INCRBY a 10", "GET a", "HSET h f v", "HGET h f", "RPUSH l x y", "LRANGE l 0 -1",
            "SETNX a 5", "MSET m1 1 m2 2", "MGET m1 h m2 nope", "EXISTS a m1 zz", "DEL m1 m2", "PING", "ECHO hi", "SET p v PX 100", "PTTL p"));
        Assert.Equal(
            "[+OK, :2, :12, \"12\", :1, \"v\", :2, [\"x\", \"y\"], :0, +OK, [\"1\", nil, \"2\", nil], :2, :2, +PONG, \"hi\", +OK, :100]",
            RedisTranscript.Render(reply));
    }

    [Fact]
    public void A_runtime_error_is_one_element_and_the_other_commands_still_apply()
    {
        var t = new RedisTranscript();
        t.Run("HSET h f v");
        var reply = t.Harness.Apply(Exec(t.NowMs, "SET a 1", "INCR h", "LPUSH h x", "SET b 2 BOGUS", "INCR a", "SETEX c 0 v", "DECRBY a -9223372036854775808"));
        Assert.Equal(
            "[+OK, !WRONGTYPE Operation against a key holding the wrong kind of value, !WRONGTYPE Operation against a key holding the wrong kind of value, " +
            "!ERR syntax error, :2, !ERR invalid expire time in 'setex' command, !ERR decrement would overflow]",
            RedisTranscript.Render(reply));
        Assert.Equal("\"2\"", RedisTranscript.Render(t.Run("GET a")));
        Assert.Equal("nil", RedisTranscript.Render(t.Run("GET b")));
    }

    [Fact]
    public void An_empty_transaction_answers_an_empty_array()
    {
        var t = new RedisTranscript();
        Assert.Equal("[]", RedisTranscript.Render(t.Harness.Apply(Exec(t.NowMs))));
    }

    [Fact]
    public void A_transaction_with_a_key_outside_the_region_is_rejected_whole()
    {
        var h = new KvHarness(); // ["", "m")
        var rejected = h.Apply(Exec(1_000, "SET a 1", "SET z 1"));
        Assert.IsType<KvResult.KeyNotInRegion>(rejected);
        Assert.Equal(0, h.Machine.KeyCount);
    }

    [Fact]
    public void Queue_errors_are_the_arity_and_unknown_command_errors_redis_gives_before_exec()
    {
        Assert.Null(TransactionVerbs.QueueError([.. Args("SET a b")]));
        Assert.Null(TransactionVerbs.QueueError([.. Args("HSET h f v")]));
        Assert.Equal("ERR wrong number of arguments for 'set' command", TransactionVerbs.QueueError([.. Args("SET a")]));
        Assert.Equal("ERR wrong number of arguments for 'hset' command", TransactionVerbs.QueueError([.. Args("HSET h")]));
        Assert.Equal("ERR wrong number of arguments for 'mset' command", TransactionVerbs.QueueError([.. Args("MSET a 1 b")]));
        Assert.Equal("ERR unknown command 'nosuch'", TransactionVerbs.QueueError([.. Args("nosuch a")]));
        Assert.Equal(["a", "c"], TransactionVerbs.KeysOf(Args("MSET a 1 c 2")).Select(k => Encoding.UTF8.GetString(k)));
        Assert.Empty(TransactionVerbs.KeysOf(Args("PING")));
    }

    [Fact]
    public void Watch_stamp_changes_with_every_write_to_the_key_and_exec_then_answers_nil_and_applies_nothing()
    {
        var t = new RedisTranscript();
        t.Run("SET a 1");
        var stamp = t.Harness.Machine.WatchStampOf(K("a"), t.NowMs);
        t.Run("SET other 1");
        Assert.Equal(stamp, t.Harness.Machine.WatchStampOf(K("a"), t.NowMs));

        var unchanged = t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("a"), stamp)], "INCR a"));
        Assert.Equal("[:2]", RedisTranscript.Render(unchanged));

        var after = t.Harness.Machine.WatchStampOf(K("a"), t.NowMs);
        Assert.NotEqual(stamp, after); // the transaction's own write moved it
        t.Run("SET a 2"); // same value as now: still a write
        var aborted = t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("a"), after)], "SET a 100", "SET b 1"));
        Assert.Equal("nil-array", RedisTranscript.Render(aborted));
        Assert.Equal("\"2\"", RedisTranscript.Render(t.Run("GET a")));
        Assert.Equal("nil", RedisTranscript.Render(t.Run("GET b")));
    }

    [Fact]
    public void Reads_watched_keys_and_aborted_transactions_do_not_move_stamps()
    {
        var t = new RedisTranscript();
        t.Run("SET a 1");
        t.Run("HSET h f v");
        var (a, h) = (t.Harness.Machine.WatchStampOf(K("a"), t.NowMs), t.Harness.Machine.WatchStampOf(K("h"), t.NowMs));
        Assert.Equal("[\"1\", \"v\", :1, [\"1\"]]", RedisTranscript.Render(t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("h"), h)], "GET a", "HGET h f", "EXISTS a", "MGET a"))));
        Assert.Equal("nil-array", RedisTranscript.Render(t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("h"), h + 1)], "SET a 2"))));
        Assert.Equal((a, h), (t.Harness.Machine.WatchStampOf(K("a"), t.NowMs), t.Harness.Machine.WatchStampOf(K("h"), t.NowMs)));
    }

    [Fact]
    public void Watch_of_an_absent_key_sees_it_created_and_deleted_again()
    {
        var t = new RedisTranscript();
        var absent = t.Harness.Machine.WatchStampOf(K("x"), t.NowMs);
        Assert.NotEqual(0UL, absent & KvStateMachine.AbsentStampFlag);
        t.Run("SET x 1");
        t.Run("DEL x");
        Assert.NotEqual(absent, t.Harness.Machine.WatchStampOf(K("x"), t.NowMs));
        Assert.Equal("nil-array", RedisTranscript.Render(t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("x"), absent)], "SET x 2"))));
    }

    [Fact]
    public void A_watched_key_that_expires_before_exec_aborts_it()
    {
        var t = new RedisTranscript();
        t.Run("SET k v");
        t.Run("PEXPIRE k 100");
        var stamp = t.Harness.Machine.WatchStampOf(K("k"), t.NowMs);
        t.NowMs += 200;
        Assert.Equal("nil-array", RedisTranscript.Render(t.Harness.Apply(Exec(t.NowMs, [new WatchedKey(K("k"), stamp)], "SET y 1"))));
    }

    [Fact]
    public void Watch_stamps_survive_a_snapshot_so_a_restored_replica_judges_exec_alike()
    {
        var source = new RedisTranscript();
        source.Run("SET a 1");
        source.Run("HSET h f v");
        source.Run("DEL nothing");
        source.Run("SET gone 1");
        source.Run("DEL gone");
        var restored = new RedisTranscript { NowMs = source.NowMs };
        restored.Harness.Machine.Restore(source.Harness.Machine.TakeSnapshot(), source.Harness.Machine.AppliedIndex);
        foreach (var key in new[] { "a", "h", "gone", "never" })
            Assert.Equal(source.Harness.Machine.WatchStampOf(K(key), source.NowMs), restored.Harness.Machine.WatchStampOf(K(key), source.NowMs));
    }

    [Fact]
    public void Transaction_codec_round_trips_and_checks_every_key()
    {
        var exec = Exec(9, [new WatchedKey(K("w"), 42)], "SET a 1", "HSET b f v", "PING");
        var encoded = KvCommandCodec.Encode(exec);
        Assert.Equal(exec, KvCommandCodec.Decode(encoded));
        Assert.Equal(["a", "b", "w"], exec.Keys.Select(k => Encoding.UTF8.GetString(k)));
        Assert.Null(KvCommandCodec.FirstKeyOutside(encoded, R(1, "", "x")));
        Assert.Equal(K("w"), KvCommandCodec.FirstKeyOutside(encoded, R(1, "", "c")));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(exec with { Commands = [[]] }));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(exec with { Watches = [.. Enumerable.Range(0, KvCommandCodec.MaxWatchedKeys + 1).Select(i => new WatchedKey(K($"k{i}"), 1))] }));
        Assert.Throws<KvCodecException>(() => KvCommandCodec.Decode(encoded.AsSpan(0, encoded.Length - 1)));
    }
}
