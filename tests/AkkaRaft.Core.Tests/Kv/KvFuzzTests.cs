using AkkaRaft.Core.Kv;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>Garbage in must end in <see cref="KvCodecException"/> (or a valid result), never any other exception.</summary>
public class KvFuzzTests
{
    private const int Iterations = 10_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Random_bytes_into_Decode_only_ever_throw_KvCodecException(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Iterations; i++)
        {
            var data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            // Half the inputs get a valid version and op code so the fuzz reaches the field decoders.
            if (data.Length >= 2 && i % 2 == 0)
            {
                data[0] = KvCommandCodec.FormatVersion;
                data[1] = (byte)random.Next(1, 10);
            }
            AssertOnlyCodecErrors(() => KvCommandCodec.Decode(data), $"Decode seed {seed} iteration {i}: {Convert.ToHexString(data)}");
        }
    }

    [Fact]
    public void Mutated_valid_encodings_into_Decode_only_ever_throw_KvCodecException()
    {
        const int seed = 3;
        var random = new Random(seed);
        for (var i = 0; i < Iterations; i++)
        {
            var data = KvCommandCodec.Encode(KvCommandCodecTests.RandomCommand(random));
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                data[random.Next(data.Length)] = (byte)random.Next(256);
            if (random.Next(3) == 0) data = data[..random.Next(data.Length)];
            AssertOnlyCodecErrors(() => KvCommandCodec.Decode(data), $"mutated Decode seed {seed} iteration {i}: {Convert.ToHexString(data)}");
        }
    }

    [Fact]
    public void Random_bytes_into_Restore_only_ever_throw_KvCodecException_and_change_nothing()
    {
        const int seed = 4;
        var random = new Random(seed);
        var machine = new KvStateMachine(R(1, "", "m"));
        var before = machine.TakeSnapshot();
        for (var i = 0; i < Iterations; i++)
        {
            var data = new byte[random.Next(0, 128)];
            random.NextBytes(data);
            if (i % 2 == 0 && data.Length >= 4) "AKVS"u8.CopyTo(data);
            var failed = AssertOnlyCodecErrors(() => machine.Restore(data, 0), $"Restore seed {seed} iteration {i}: {Convert.ToHexString(data)}");
            Assert.True(failed, $"seed {seed} iteration {i}: random bytes restored");
        }
        Assert.Equal(before, machine.TakeSnapshot());
    }

    [Fact]
    public void Mutated_snapshot_bodies_with_valid_checksums_only_ever_throw_KvCodecException()
    {
        // Resealing after mutation gets past the checksum, so the structural checks are what is being fuzzed.
        const int seed = 5;
        var random = new Random(seed);
        var source = new KvHarness();
        source.MSet(1_000, ("a", "1"), ("b", "22"), ("c", "333"));
        source.Set("d", "4", expireAt: 9_000);
        var body = source.Machine.TakeSnapshot()[..^8];
        for (var i = 0; i < Iterations; i++)
        {
            var mutated = (byte[])body.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                mutated[random.Next(4, mutated.Length)] = (byte)random.Next(256);
            if (random.Next(3) == 0) mutated = mutated[..random.Next(5, mutated.Length)];
            var target = new KvStateMachine(R(9, "x", ""));
            AssertOnlyCodecErrors(() => target.Restore(KvSnapshotTests.Seal(mutated), source.Machine.AppliedIndex),
                $"snapshot seed {seed} iteration {i}: {Convert.ToHexString(mutated)}");
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_snapshot_is_a_codec_error()
    {
        var source = new KvHarness();
        source.MSet(1_000, ("a", "1"), ("b", "22"));
        var snapshot = source.Machine.TakeSnapshot();
        var target = new KvStateMachine(R(1, "", "m"));
        for (var length = 0; length < snapshot.Length; length++)
            Assert.Throws<KvCodecException>(() => target.Restore(snapshot[..length], source.Machine.AppliedIndex));
        var body = snapshot[..^8];
        for (var length = 4; length < body.Length; length++) // truncated bodies resealed: the structure must notice
            Assert.Throws<KvCodecException>(() => target.Restore(KvSnapshotTests.Seal(body[..length]), source.Machine.AppliedIndex));
    }

    /// <summary>Runs <paramref name="action"/>; true when it threw KvCodecException, false when it succeeded; fails on anything else.</summary>
    private static bool AssertOnlyCodecErrors(Action action, string replay)
    {
        try
        {
            action();
            return false;
        }
        catch (KvCodecException)
        {
            return true;
        }
        catch (Exception e)
        {
            Assert.Fail($"{replay} threw {e.GetType().Name}: {e.Message}");
            return false;
        }
    }
}
