using System.Buffers.Binary;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;
using static AkkaRaft.Core.Tests.Kv.KvHarness;

namespace AkkaRaft.Core.Tests.Kv;

public class KvSnapshotTests
{
    private static KvHarness Populated()
    {
        var kv = new KvHarness();
        kv.Set("a", "1");
        kv.Set("b", "two", expireAt: 50_000);
        kv.MSet(1_000, ("c", "3"), ("d\u00e9t\u00e9", "summer"));
        kv.IncrBy("counter", 41);
        kv.Set("gone", "x", now: 1_000, expireAt: 1_500);
        kv.Set("later", "y", now: 2_000); // moves the logical clock past "gone"'s expiry
        return kv;
    }

    [Fact]
    public void Snapshot_round_trip_restores_region_entries_expiry_clock_and_size()
    {
        var source = Populated();
        var snapshot = source.Machine.TakeSnapshot();
        var target = new KvStateMachine(R(99, "x", "y"));
        target.Restore(snapshot, source.Machine.AppliedIndex);

        Assert.Equal(source.Machine.Region, target.Region);
        Assert.Equal(source.Machine.AppliedIndex, target.AppliedIndex);
        Assert.Equal(2_000, target.LogicalNowMs);
        Assert.Equal(7, source.Machine.KeyCount); // the source still holds the expired "gone" until a write reclaims it
        Assert.Equal(6, target.KeyCount); // a, b, c, d-été, counter, later — "gone" left out
        foreach (var key in new[] { "a", "b", "c", "d\u00e9t\u00e9", "counter", "later", "gone" })
        {
            var get = new GetCommand(1, Epoch, K(key));
            Assert.Equal(source.Machine.Read(get, 3_000), target.Read(get, 3_000));
        }
        Assert.Equal(Value(null), target.Read(new GetCommand(1, Epoch, K("b")), 50_000)); // expiry survived
        Assert.Equal(source.Machine.ApproximateSizeBytes - (4 + 1 + KvStateMachine.EntryOverheadBytes), target.ApproximateSizeBytes);
        Assert.Equal(snapshot, target.TakeSnapshot()); // deterministic: same state, same bytes
    }

    [Fact]
    public void Restored_machine_keeps_applying_where_the_snapshot_left_off()
    {
        var source = Populated();
        var target = new KvHarness(R(99, "x", "y"));
        target.Machine.Restore(source.Machine.TakeSnapshot(), source.Machine.AppliedIndex);
        target.NextIndex = source.NextIndex;
        Assert.Equal(Integer(42), target.IncrBy("counter", 1));
        Assert.Equal(Integer(42), source.IncrBy("counter", 1));
        Assert.Equal(source.Machine.TakeSnapshot(), target.Machine.TakeSnapshot());
    }

    [Fact]
    public void Empty_machine_round_trips()
    {
        var empty = new KvStateMachine(R(4, "m", ""));
        var restored = new KvStateMachine(R(1, "", ""));
        restored.Restore(empty.TakeSnapshot(), 0);
        Assert.Equal(R(4, "m", ""), restored.Region);
        Assert.Equal(0, restored.KeyCount);
        Assert.Equal(0, restored.ApproximateSizeBytes);
    }

    [Fact]
    public void Restore_with_another_index_than_the_snapshot_was_taken_at_fails()
    {
        var source = Populated();
        var target = new KvStateMachine(R(1, "", "m"));
        var error = Assert.Throws<KvCodecException>(() => target.Restore(source.Machine.TakeSnapshot(), source.Machine.AppliedIndex + 1));
        Assert.Contains("restored as index", error.Message);
    }

    [Fact]
    public void Corrupt_snapshot_fails_and_leaves_the_state_untouched()
    {
        var source = Populated();
        var snapshot = source.Machine.TakeSnapshot();
        var target = Populated();
        target.Set("own", "data");
        var before = target.Machine.TakeSnapshot();
        for (var i = 0; i < snapshot.Length; i++)
        {
            var corrupt = (byte[])snapshot.Clone();
            corrupt[i] ^= 0x20;
            Assert.Throws<KvCodecException>(() => target.Machine.Restore(corrupt, source.Machine.AppliedIndex));
        }
        Assert.Throws<KvCodecException>(() => target.Machine.Restore([], 0));
        Assert.Equal(before, target.Machine.TakeSnapshot());
    }

    [Fact]
    public void Structurally_invalid_snapshots_with_valid_checksums_are_rejected_with_a_reason()
    {
        var machine = new KvStateMachine(R(1, "", "m"));
        var outside = SnapshotWith(body => { }, R(1, "", "m"), ("a", "1"), ("z", "2")); // "z" is outside ["", "m")
        Assert.Contains("outside", Assert.Throws<KvCodecException>(() => machine.Restore(outside, 0)).Message);
        var unordered = SnapshotWith(body => { }, R(1, "", "m"), ("b", "1"), ("a", "2"));
        Assert.Contains("out of order", Assert.Throws<KvCodecException>(() => machine.Restore(unordered, 0)).Message);
        var badVersion = SnapshotWith(body => body[4] = 9, R(1, "", "m"));
        Assert.Contains("unsupported snapshot format version 9", Assert.Throws<KvCodecException>(() => machine.Restore(badVersion, 0)).Message);
    }

    /// <summary>
    /// Hand-builds a snapshot in format version 1 (string entries: key, value, flags; in the given order), lets the test
    /// tamper with it, then seals it with a valid checksum.
    /// </summary>
    internal static byte[] SnapshotWith(Action<byte[]> tamper, Region region, params (string Key, string Value)[] entries)
    {
        var machine = new KvStateMachine(region);
        var body = machine.TakeSnapshot()[..^8].ToList();
        body.RemoveRange(body.Count - 3, 3); // entry count 0, then format 3's stamp section (removal index 0, stamp count 0): one byte each
        body.Add((byte)entries.Length);
        foreach (var (key, value) in entries)
        {
            body.Add((byte)K(key).Length);
            body.AddRange(K(key));
            body.Add((byte)K(value).Length);
            body.AddRange(K(value));
            body.Add(0);
        }
        var bytes = body.ToArray();
        bytes[4] = 1; // format version 1, still restored
        tamper(bytes);
        return Seal(bytes);
    }

    internal static byte[] Seal(byte[] body)
    {
        var sealedBytes = new byte[body.Length + 8];
        body.CopyTo(sealedBytes, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(sealedBytes.AsSpan(body.Length), KvStateMachine.Fnv1a64(body));
        return sealedBytes;
    }
}
