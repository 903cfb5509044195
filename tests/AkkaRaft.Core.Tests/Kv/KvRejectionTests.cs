using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;
using static AkkaRaft.Core.Tests.Kv.KvHarness;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>Writes routed to the wrong region or with a stale epoch are rejected on apply, leaving state untouched.</summary>
public class KvRejectionTests
{
    private readonly KvHarness _kv = new();

    private (byte[] Snapshot, long Size, int Count) Fingerprint()
    {
        var snapshot = _kv.Machine.TakeSnapshot();
        return (snapshot[..^8], _kv.Machine.ApproximateSizeBytes, _kv.Machine.KeyCount); // drop the checksum: index is inside
    }

    private void AssertUnchangedSince((byte[] Snapshot, long Size, int Count) before)
    {
        var after = Fingerprint();
        Assert.Equal(before.Size, after.Size);
        Assert.Equal(before.Count, after.Count);
        // Only the applied index may differ: compare everything after it by re-snapshotting at the old index.
        Assert.Equal(StripIndex(before.Snapshot), StripIndex(after.Snapshot));
    }

    private static byte[] StripIndex(byte[] body)
    {
        // magic(4) + version(1) + varint applied index
        var i = 5;
        while ((body[i] & 0x80) != 0) i++;
        return body[(i + 1)..];
    }

    [Fact]
    public void Key_outside_the_range_is_rejected_with_the_region()
    {
        _kv.Set("a", "1");
        var before = Fingerprint();
        var result = _kv.Set("zebra", "1");
        var error = Assert.IsType<KvResult.KeyNotInRegion>(result);
        Assert.Equal("zebra", S(error.Key));
        Assert.Equal(_kv.Machine.Region, error.Region);
        Assert.True(error.IsError);
        AssertUnchangedSince(before);
    }

    [Fact]
    public void End_key_itself_is_outside_the_region()
    {
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.Set("m", "1"));
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.IncrBy("m", 1));
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.Get("m"));
        Assert.Equal(0, _kv.Machine.KeyCount);
    }

    [Fact]
    public void Stale_version_is_rejected_with_the_current_region()
    {
        var machine = new KvStateMachine(R(1, "", "m", version: 3));
        var harness = new KvHarness(machine.Region);
        var result = harness.Apply(new SetCommand(1, new RegionEpoch(1, 2), 1_000, K("a"), K("1")));
        Assert.Equal(new KvResult.EpochNotMatch(harness.Machine.Region), result);
        Assert.Equal(0, harness.Machine.KeyCount);
        Assert.IsType<KvResult.EpochNotMatch>(harness.Machine.Read(new GetCommand(1, new RegionEpoch(1, 2), K("a")), 0));
    }

    [Fact]
    public void A_newer_version_than_the_replica_knows_is_rejected_too()
    {
        Assert.IsType<KvResult.EpochNotMatch>(_kv.Apply(new SetCommand(1, new RegionEpoch(1, 2), 1_000, K("a"), K("1"))));
        Assert.Equal(0, _kv.Machine.KeyCount);
    }

    [Fact]
    public void Conf_version_change_alone_does_not_reject_data_writes()
    {
        // Membership changes move no keys, so writes in flight across them stay valid (TiKV's rule).
        Assert.Equal(KvResult.Ok, _kv.Apply(new SetCommand(1, new RegionEpoch(7, 1), 1_000, K("a"), K("1"))));
    }

    [Fact]
    public void Command_for_another_region_id_is_rejected()
    {
        _kv.Set("a", "1");
        var before = Fingerprint();
        Assert.IsType<KvResult.EpochNotMatch>(_kv.Apply(new SetCommand(2, Epoch, 1_000, K("a"), K("2"))));
        AssertUnchangedSince(before);
        Assert.Equal(Value("1"), _kv.Get("a"));
    }

    [Fact]
    public void Multi_key_command_across_the_boundary_is_rejected_wholly()
    {
        _kv.MSet(1_000, ("a", "1"), ("b", "2"));
        var before = Fingerprint();
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.MSet(1_000, ("a", "9"), ("c", "9"), ("x", "9")));
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.Delete(1_000, "a", "b", "m"));
        Assert.IsType<KvResult.KeyNotInRegion>(_kv.Exists(1_000, "a", "q"));
        AssertUnchangedSince(before);
        Assert.Equal(Value("1"), _kv.Get("a"));
        Assert.Equal(Value(null), _kv.Get("c"));
    }

    [Fact]
    public void Rejected_commands_do_not_advance_the_logical_clock()
    {
        _kv.Set("a", "1", now: 1_000, expireAt: 2_000);
        _kv.Set("zz", "1", now: 5_000); // rejected: outside the range
        Assert.Equal(1_000, _kv.Machine.LogicalNowMs);
        Assert.Equal(Value("1"), _kv.Get("a", now: 1_500));
    }
}
