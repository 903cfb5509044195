using AkkaRaft.Core.Kv;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>Typed snapshots (format 2): mutated bytes with a valid checksum fail with <see cref="KvCodecException"/> and change nothing.</summary>
public class RedisSnapshotFuzzTests
{
    [Fact]
    public void Mutated_typed_snapshots_with_valid_checksums_only_ever_throw_KvCodecException_and_change_nothing()
    {
        const int seed = 31;
        var random = new Random(seed);
        var source = new RedisTranscript();
        source.Run("HSET h a 1 b 2");
        source.Run("RPUSH l x y z");
        source.Run("SADD c p q");
        source.Run("ZADD k 1 a 2.5 b");
        source.Run("SET s v");
        source.Run("EXPIRE h 100");
        var snapshot = source.Harness.Machine.TakeSnapshot();
        var target = new KvStateMachine(R(1, "", ""));
        var before = target.TakeSnapshot();
        for (var i = 0; i < 5_000; i++)
        {
            var body = snapshot[..^8];
            for (var flips = random.Next(1, 3); flips > 0; flips--) body[random.Next(5, body.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0) body = body[..random.Next(5, body.Length)];
            try
            {
                target.Restore(KvSnapshotTests.Seal(body), source.Harness.Machine.AppliedIndex);
                target = new KvStateMachine(R(1, "", "")); // a mutation may still be a valid snapshot; start clean
            }
            catch (KvCodecException)
            {
                Assert.True(before.AsSpan().SequenceEqual(target.TakeSnapshot()), $"seed {seed} iteration {i}: a refused snapshot changed the state");
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} iteration {i}: {e.GetType().Name} {e.Message}");
            }
        }
    }

    [Fact]
    public void An_empty_collection_in_a_snapshot_is_refused()
    {
        var source = new RedisTranscript();
        source.Run("SADD c only");
        // Without format 3's stamp section (removal index 0, one stamp: key "c", index 1): five bytes, read as format 2.
        var body = source.Harness.Machine.TakeSnapshot()[..^8][..^5];
        body[4] = 2;
        // The entry ends with: type (set = 3), count 1, member length 4, "only". Rewrite it as an empty set.
        var tail = body.Length - 6;
        Assert.Equal(3, body[tail - 1]);
        var emptied = body[..tail].Append((byte)0).ToArray();
        var target = new KvStateMachine(R(1, "", ""));
        Assert.Contains("empty Set", Assert.Throws<KvCodecException>(() => target.Restore(KvSnapshotTests.Seal(emptied), source.Harness.Machine.AppliedIndex)).Message);
    }
}
