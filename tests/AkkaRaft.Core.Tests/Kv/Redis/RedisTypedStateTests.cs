using System.Collections.Immutable;
using System.Text;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>Typed values in the state machine: snapshots, expiry, size estimate, splits, determinism and read/write separation.</summary>
public class RedisTypedStateTests
{
    private static RedisTranscript Populated()
    {
        var t = new RedisTranscript();
        t.Run("SET s1 text");
        t.Run("HSET h1 f1 v1 f2 v2 f3 v3");
        t.Run("RPUSH l1 a b c a");
        t.Run("SADD c1 x y z");
        t.Run("ZADD k1 1.5 a -2 b inf c");
        t.Run("HSET h2 only one");
        t.Run("EXPIRE h2 100");
        t.Run("SADD gone m");
        t.Run("PEXPIRE gone 10");
        return t;
    }

    private static readonly string[] Probes =
    [
        "GET s1", "HGETALL h1", "LRANGE l1 0 -1", "SMEMBERS c1", "ZRANGE k1 0 -1 WITHSCORES", "HGETALL h2", "PTTL h2",
        "TYPE h1", "TYPE l1", "TYPE c1", "TYPE k1", "TYPE gone", "EXISTS gone",
    ];

    [Fact]
    public void Snapshot_round_trip_restores_every_type_with_its_expiry_and_the_same_size()
    {
        var source = Populated();
        source.NowMs += 50;
        source.Run("SET tick 1"); // a write moves the logical clock: "gone" expired, left out of the snapshot
        var snapshot = source.Harness.Machine.TakeSnapshot();
        Assert.Equal(KvStateMachine.SnapshotFormatVersion, snapshot[4]);
        var target = new RedisTranscript { NowMs = source.NowMs };
        target.Harness.Machine.Restore(snapshot, source.Harness.Machine.AppliedIndex);

        foreach (var probe in Probes)
            Assert.Equal(RedisTranscript.Render(source.Run(probe)), RedisTranscript.Render(target.Run(probe)));
        Assert.Equal(7, target.Harness.Machine.KeyCount);
        // The restored size is counted from scratch; the source's was kept incrementally: they must agree (minus "gone").
        source.Run("DEL gone");
        Assert.Equal(source.Harness.Machine.ApproximateSizeBytes, target.Harness.Machine.ApproximateSizeBytes);
    }

    [Fact]
    public void Random_operations_keep_the_incremental_size_equal_to_a_recount()
    {
        const int seed = 11;
        var random = new Random(seed);
        var t = new RedisTranscript();
        string[] templates =
        [
            "HSET h{0} f{1} {2}", "HDEL h{0} f{1}", "HINCRBY h{0} n{1} 3", "RPUSH l{0} {2}", "LPOP l{0}", "LSET l{0} 0 {2}", "LTRIM l{0} 1 -1",
            "LREM l{0} 0 {2}", "SADD c{0} {2}", "SREM c{0} {2}", "SPOP c{0}", "ZADD k{0} {1} {2}", "ZINCRBY k{0} 2 {2}", "ZREM k{0} {2}",
            "ZPOPMIN k{0}", "APPEND s{0} {2}", "SETRANGE s{0} 3 {2}", "RENAME h{0} h{1}", "COPY l{0} l{1} REPLACE", "EXPIRE c{0} 1",
            "LMOVE l{0} l{1} LEFT RIGHT", "HINCRBYFLOAT h{0} x 1.5", "GETDEL s{0}", "MSETNX s{0} a s{1} b",
        ];
        for (var i = 0; i < 3_000; i++)
        {
            var template = templates[random.Next(templates.Length)];
            var value = new string('v', random.Next(0, 20)) + random.Next(5);
            t.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, random.Next(4), random.Next(6), value));
            t.NowMs += random.Next(0, 400);
            if (i % 500 != 499) continue;
            var recount = new KvStateMachine(R(1, "", ""));
            recount.Restore(t.Harness.Machine.TakeSnapshot(), t.Harness.Machine.AppliedIndex);
            // Expired entries the source still holds are left out of a snapshot, so the recount can only be smaller.
            Assert.True(recount.ApproximateSizeBytes <= t.Harness.Machine.ApproximateSizeBytes, $"seed {seed} step {i}");
            var copy = new RedisTranscript { NowMs = t.NowMs };
            copy.Harness.Machine.Restore(t.Harness.Machine.TakeSnapshot(), t.Harness.Machine.AppliedIndex);
            Assert.Equal(recount.ApproximateSizeBytes, copy.Harness.Machine.ApproximateSizeBytes);
        }
        // Remove everything: what is left of the estimate must be exactly nothing.
        foreach (var prefix in "hlcks")
            for (var n = 0; n < 6; n++) t.Run($"DEL {prefix}{n}");
        Assert.True(t.Harness.Machine.ApproximateSizeBytes == 0, $"seed {seed}: {t.Harness.Machine.ApproximateSizeBytes} bytes left after deleting every key");
    }

    [Fact]
    public void A_replica_restored_from_a_snapshot_answers_every_later_write_as_the_replica_that_applied_the_log()
    {
        const int seed = 12;
        var random = new Random(seed);
        string[] templates =
        [
            "HSET h{0} f{1} {2}", "HDEL h{0} f{1}", "RPUSH l{0} {2}", "LPOP l{0} 2", "LREM l{0} 1 {2}", "SADD c{0} {2} x{1}", "SREM c{0} {2}",
            "SPOP c{0} 2", "SPOP c{0}", "ZADD k{0} {1} {2}", "ZPOPMAX k{0}", "ZREMRANGEBYRANK k{0} 0 0", "SINTERSTORE c{0} c{1} c{0}",
            "SMOVE c{0} c{1} {2}", "LMOVE l{0} l{1} RIGHT LEFT", "HINCRBY h{0} n 1", "EXPIRE k{0} 1", "RENAME c{0} c{1}",
        ];
        var applied = new RedisTranscript();
        RedisTranscript? restored = null;
        for (var i = 0; i < 2_000; i++)
        {
            var command = string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[random.Next(templates.Length)],
                random.Next(3), random.Next(4), "m" + random.Next(12));
            applied.NowMs += random.Next(0, 300);
            var expected = RedisTranscript.Render(applied.Run(command));
            if (restored is not null)
            {
                restored.NowMs = applied.NowMs;
                Assert.True(expected == RedisTranscript.Render(restored.Run(command)), $"seed {seed} step {i}: {command} answered differently on the restored replica");
            }
            if (i == 700)
            {
                restored = new RedisTranscript { NowMs = applied.NowMs };
                restored.Harness.Machine.Restore(applied.Harness.Machine.TakeSnapshot(), applied.Harness.Machine.AppliedIndex);
                restored.Harness.NextIndex = applied.Harness.NextIndex;
            }
        }
        foreach (var probe in new[] { "SMEMBERS c0", "SMEMBERS c1", "SMEMBERS c2", "HGETALL h0", "LRANGE l1 0 -1", "ZRANGE k2 0 -1 WITHSCORES" })
            Assert.Equal(RedisTranscript.Render(applied.Run(probe), sorted: true), RedisTranscript.Render(restored!.Run(probe), sorted: true));
    }

    [Fact]
    public void Every_type_expires_at_once_on_the_logical_clock()
    {
        var t = new RedisTranscript();
        foreach (var create in new[] { "HSET a f v", "RPUSH b x", "SADD c m", "ZADD d 1 m", "SET e v" })
            t.Run(create);
        foreach (var key in "abcde")
            Assert.Equal(":1", RedisTranscript.Render(t.Run($"PEXPIRE {key} 100")));
        t.NowMs += 99;
        Assert.Equal(":5", RedisTranscript.Render(t.Run("EXISTS a b c d e")));
        t.NowMs += 1;
        Assert.Equal(":0", RedisTranscript.Render(t.Run("EXISTS a b c d e")));
        Assert.Equal("[]", RedisTranscript.Render(t.Run("HGETALL a")));
        Assert.Equal(":0", RedisTranscript.Render(t.Run("LLEN b")));
        Assert.Equal("+none", RedisTranscript.Render(t.Run("TYPE c")));
        Assert.Equal("nil", RedisTranscript.Render(t.Run("ZSCORE d m")));
        // A write on an expired key starts from nothing, with no expiry.
        Assert.Equal(":1", RedisTranscript.Render(t.Run("SADD c other")));
        Assert.Equal(":-1", RedisTranscript.Render(t.Run("TTL c")));
        Assert.Equal("[\"other\"]", RedisTranscript.Render(t.Run("SMEMBERS c")));
    }

    [Fact]
    public void SplitOff_moves_composite_values_whole_and_the_split_key_counts_their_bytes()
    {
        var t = new RedisTranscript();
        t.Run("SET a small");
        for (var i = 0; i < 200; i++) t.Run($"HSET big f{i} {new string('x', 50)}");
        t.Run("SET c small");
        t.Run("RPUSH d x y");
        t.Run("SET e small");
        var machine = t.Harness.Machine;
        // "big" holds nearly all the bytes: the only split key that leaves two halves with data near the middle is next to it.
        var splitKey = machine.ChooseSplitKey();
        Assert.NotNull(splitKey);
        Assert.Contains(Encoding.ASCII.GetString(splitKey), new[] { "big", "c" });

        var right = machine.SplitOff(K("c"), new Region(2, K("c"), [], new RegionEpoch(1, 2), []));
        Assert.Equal(2, machine.KeyCount);
        Assert.Equal(3, right.KeyCount);
        var hlen = machine.Read(new RedisReadCommand(1, new RegionEpoch(1, 2), [K("HLEN"), K("big")]), 0);
        Assert.Equal(new KvResult.IntegerResult(200), hlen);
        Assert.Equal(new KvResult.IntegerResult(2), right.Read(new RedisReadCommand(2, new RegionEpoch(1, 2), [K("LLEN"), K("d")]), 0));
        Assert.True(machine.ApproximateSizeBytes > 200 * 50, "the hash's bytes stay counted on the left");
    }

    [Fact]
    public void Spop_pops_the_same_members_on_a_replica_restored_from_a_snapshot_as_on_one_that_applied_the_log()
    {
        // The applied replica's set has holes from removals; the restored one is laid out afresh. Same entries, same pops.
        var applied = new RedisTranscript();
        applied.Run("SADD c " + string.Join(' ', Enumerable.Range(0, 40).Select(i => $"m{i}")));
        applied.Run("SREM c m3 m7 m11 m20");
        var restored = new RedisTranscript();
        restored.Harness.Machine.Restore(applied.Harness.Machine.TakeSnapshot(), applied.Harness.Machine.AppliedIndex);
        restored.Harness.NextIndex = applied.Harness.NextIndex;
        // New members fill the applied replica's holes but go to the end of the restored one's layout.
        Assert.Equal(RedisTranscript.Render(applied.Run("SADD c n1 n2 n3")), RedisTranscript.Render(restored.Run("SADD c n1 n2 n3")));
        for (var i = 0; i < 5; i++)
        {
            var command = i % 2 == 0 ? "SPOP c" : "SPOP c 3";
            Assert.Equal(RedisTranscript.Render(applied.Run(command)), RedisTranscript.Render(restored.Run(command)));
        }
        Assert.Equal(RedisTranscript.Render(applied.Run("SMEMBERS c"), sorted: true), RedisTranscript.Render(restored.Run("SMEMBERS c"), sorted: true));
    }

    [Fact]
    public void A_read_verb_through_the_log_and_a_write_verb_as_a_read_are_refused_without_change()
    {
        var t = new RedisTranscript();
        t.Run("HSET h f v");
        var viaLog = t.Harness.Apply(new RedisWriteCommand(1, KvHarness.Epoch, 1, [K("HGET"), K("h"), K("f")]));
        Assert.IsType<KvResult.InvalidCommand>(viaLog);
        var asRead = t.Harness.Machine.Read(new RedisReadCommand(1, KvHarness.Epoch, [K("HSET"), K("h"), K("g"), K("w")]), 0);
        Assert.IsType<KvResult.InvalidCommand>(asRead);
        var unknown = t.Harness.Apply(new RedisWriteCommand(1, KvHarness.Epoch, 1, [K("FLUSHALL")]));
        Assert.IsType<KvResult.InvalidCommand>(unknown);
        Assert.Equal(":1", RedisTranscript.Render(t.Run("HLEN h")));
    }

    [Fact]
    public void Keys_outside_the_region_are_rejected_for_typed_commands_too()
    {
        var kv = new KvHarness(); // ["", "m")
        var result = kv.Apply(new RedisWriteCommand(1, KvHarness.Epoch, 1, [K("RENAME"), K("a"), K("z")]));
        Assert.IsType<KvResult.KeyNotInRegion>(result);
        Assert.Equal(K("z"), KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(new RedisWriteCommand(1, KvHarness.Epoch, 1, [K("RENAME"), K("a"), K("z")])), kv.Machine.Region));
        Assert.Null(KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(new RedisReadCommand(1, KvHarness.Epoch, [K("HGET"), K("a"), K("zzz")])), kv.Machine.Region));
    }

    [Theory]
    [InlineData("HSET h f", "ERR wrong number of arguments for 'hset' command")]
    [InlineData("HINCRBY h f x", "ERR value is not an integer or out of range")]
    [InlineData("ZADD z XX NX 1 a", "ERR XX and NX options at the same time are not compatible")]
    [InlineData("ZRANGEBYSCORE z (a 1", "ERR min or max is not a float")]
    [InlineData("LINSERT l MIDDLE a b", "ERR syntax error")]
    [InlineData("SPOP s -1", "ERR value is out of range, must be positive")]
    [InlineData("LSET nokey 0 v", null)] // "no such key" depends on the data: it must go to the region
    [InlineData("LINDEX l x", null)] // Redis looks the key up before the index
    [InlineData("HSET h f v", null)]
    public void Argument_errors_are_known_without_data_and_data_errors_are_not(string command, string? expected)
    {
        var args = command.Split(' ').Select(Encoding.UTF8.GetBytes).ToImmutableArray();
        Assert.Equal(expected, RedisCommandTable.ArgumentError(args));
    }
}
