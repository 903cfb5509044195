using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Tests.Kv.Redis;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>Active expiry in the state machine: finding expired keys in expiry order, and the conditional purge the leader proposes.</summary>
public class ActiveExpiryTests
{
    [Fact]
    public void FindExpiredKeys_returns_only_keys_past_their_expiry_earliest_first_and_at_most_the_limit()
    {
        var h = new KvHarness();
        h.Set("later", "v", now: 1_000, expireAfter: 300);
        h.Set("early", "v", now: 1_000, expireAfter: 100);
        h.Set("inbetween", "v", now: 1_000, expireAfter: 200);
        h.Set("forever", "v", now: 1_000);
        h.Set("future", "v", now: 1_000, expireAfter: 10_000);

        Assert.Empty(h.Machine.FindExpiredKeys(1_050, 10));
        Assert.Equal(["early", "inbetween", "later"], h.Machine.FindExpiredKeys(1_300, 10).Select(Text));
        Assert.Equal(["early", "inbetween"], h.Machine.FindExpiredKeys(1_300, 2).Select(Text));
        Assert.Equal(4, h.Machine.ExpiringKeyCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Machine.FindExpiredKeys(1_300, 0));
    }

    [Fact]
    public void Purge_removes_keys_still_expired_at_apply_time_and_keeps_a_key_set_again_meanwhile()
    {
        var h = new KvHarness();
        h.Set("a", "1", now: 1_000, expireAfter: 100);
        h.Set("b", "2", now: 1_000, expireAfter: 100);
        h.Set("c", "3", now: 1_000, expireAfter: 100);
        var found = h.Machine.FindExpiredKeys(1_200, 10);
        Assert.Equal(3, found.Count);

        // Between the leader's look and the purge's apply, "b" is set again (no expiry) and "c" gets a later expiry.
        h.Set("b", "new", now: 1_200);
        h.Set("c", "new", now: 1_200, expireAfter: 1_000);
        var purged = h.Apply(new PurgeExpiredCommand(1, KvHarness.Epoch, 1_200, [.. found]));

        Assert.Equal(KvHarness.Integer(1), purged);
        Assert.Equal(2, h.Machine.KeyCount);
        Assert.Equal(KvHarness.Value("new"), h.Get("b", 1_300));
        Assert.Equal(KvHarness.Value("new"), h.Get("c", 1_300));
        Assert.Equal(1, h.Machine.ExpiringKeyCount); // only "c" still carries an expiry
    }

    [Fact]
    public void Purge_judges_by_the_state_machine_clock_not_by_the_leader_look()
    {
        var h = new KvHarness();
        h.Set("a", "1", now: 1_000, expireAfter: 500);
        // A purge stamped before the expiry (a leader with a slow clock) removes nothing.
        Assert.Equal(KvHarness.Integer(0), h.Apply(new PurgeExpiredCommand(1, KvHarness.Epoch, 1_100, KvHarness.KeyList("a", "absent"))));
        Assert.Equal(1, h.Machine.KeyCount);
        // Once the machine's clock passed the expiry (any later write), the same purge removes it.
        h.Set("b", "x", now: 1_600);
        Assert.Equal(KvHarness.Integer(1), h.Apply(new PurgeExpiredCommand(1, KvHarness.Epoch, 0, KvHarness.KeyList("a"))));
        Assert.Equal(1, h.Machine.KeyCount);
        Assert.Equal(0, h.Machine.ExpiringKeyCount);
    }

    [Fact]
    public void Purge_of_a_key_outside_the_region_is_rejected_and_removes_nothing()
    {
        var h = new KvHarness(); // ["", "m")
        h.Set("a", "1", now: 1_000, expireAfter: 1);
        var rejected = h.Apply(new PurgeExpiredCommand(1, KvHarness.Epoch, 5_000, KvHarness.KeyList("a", "z")));
        Assert.IsType<KvResult.KeyNotInRegion>(rejected);
        Assert.Equal(1, h.Machine.KeyCount);
    }

    [Fact]
    public void Expiry_index_follows_overwrites_persist_and_snapshots()
    {
        var t = new RedisTranscript();
        t.Run("SET a 1");
        t.Run("PEXPIRE a 100");
        t.Run("HSET h f v");
        t.Run("PEXPIRE h 50");
        t.Run("PERSIST h");
        Assert.Equal(1, t.Harness.Machine.ExpiringKeyCount);
        t.Run("SET a 2"); // SET clears the expiry
        Assert.Equal(0, t.Harness.Machine.ExpiringKeyCount);
        t.Run("PEXPIRE a 100");
        var copy = new RedisTranscript();
        copy.Harness.Machine.Restore(t.Harness.Machine.TakeSnapshot(), t.Harness.Machine.AppliedIndex);
        Assert.Equal(["a"], copy.Harness.Machine.FindExpiredKeys(t.NowMs + 100, 10).Select(Text));
    }

    [Fact]
    public void Purge_codec_round_trips_and_refuses_an_empty_or_oversized_key_list()
    {
        var purge = new PurgeExpiredCommand(3, KvHarness.Epoch, 77, KvHarness.KeyList("a", "b"));
        Assert.Equal(purge, KvCommandCodec.Decode(KvCommandCodec.Encode(purge)));
        Assert.Null(KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(purge), R(3, "", "m")));
        Assert.Equal(K("b"), KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(purge), R(3, "", "b")));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(purge with { KeyList = [] }));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(purge with { KeyList = [.. Enumerable.Range(0, PurgeExpiredCommand.MaxKeys + 1).Select(i => K($"k{i}"))] }));
    }

    private static string Text(byte[] key) => System.Text.Encoding.UTF8.GetString(key);
}
