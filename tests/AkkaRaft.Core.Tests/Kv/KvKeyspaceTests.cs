using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;
using static AkkaRaft.Core.Tests.Kv.KvHarness;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>SCAN, live key counts and FLUSH of one region's state machine.</summary>
public class KvKeyspaceTests
{
    private static KvResult.KeyPage Scan(KvHarness kv, string start, int limit, long now = 1_000, long skip = 0, string? type = null) =>
        Assert.IsType<KvResult.KeyPage>(kv.Machine.Read(Decoded(new ScanCommand(1, Epoch, K(start), limit, skip, type)), now));

    /// <summary>The command after a trip through the codec, as a store would read it.</summary>
    private static ScanCommand Decoded(ScanCommand scan) => Assert.IsType<ScanCommand>(KvCommandCodec.Decode(KvCommandCodec.Encode(scan)));

    private static string[] Texts(KvResult.KeyPage page) => [.. page.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k))];

    [Fact]
    public void Scan_pages_through_live_keys_in_order_and_says_where_to_resume()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("d", "4"), ("a", "1"), ("c", "3"), ("b", "2"));
        kv.Set("bb", "gone", expireAt: 1_500);

        var first = Scan(kv, "", 3, now: 2_000);
        var second = Scan(kv, System.Text.Encoding.UTF8.GetString(first.ResumeAt!), 3, now: 2_000);

        Assert.Equal(["a", "b"], Texts(first)); // "bb" expired: visited (it counts towards the limit), not returned
        Assert.Equal(K("c"), first.ResumeAt);
        Assert.Equal(["c", "d"], Texts(second));
        Assert.Null(second.ResumeAt);
    }

    [Fact]
    public void Scan_from_before_the_region_starts_at_its_start_and_skip_jumps_entries()
    {
        var kv = new KvHarness(R(7, "c", "m"));
        kv.Apply(new MSetCommand(7, Epoch, 1_000, [new KeyValue(K("c"), K("1")), new KeyValue(K("e"), K("2")), new KeyValue(K("g"), K("3"))]));

        var fromStart = Assert.IsType<KvResult.KeyPage>(kv.Machine.Read(new ScanCommand(7, Epoch, K("a"), 10), 1_000));
        var skipped = Assert.IsType<KvResult.KeyPage>(kv.Machine.Read(new ScanCommand(7, Epoch, K(""), 1, Skip: 2), 1_000));
        var pastTheEnd = Assert.IsType<KvResult.KeyPage>(kv.Machine.Read(new ScanCommand(7, Epoch, K(""), 1, Skip: 5), 1_000));

        Assert.Equal(["c", "e", "g"], Texts(fromStart));
        Assert.Equal(["g"], Texts(skipped));
        Assert.Empty(pastTheEnd.Keys);
        Assert.Null(pastTheEnd.ResumeAt);
    }

    [Fact]
    public void Scan_resumes_at_its_key_position_whatever_changed_between_pages()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("a", "1"), ("c", "3"), ("e", "5"));
        var first = Scan(kv, "", 1);
        kv.Set("b", "2");
        kv.Delete(1_000, "c");
        kv.Set("d", "4");

        var rest = Scan(kv, System.Text.Encoding.UTF8.GetString(first.ResumeAt!), 10);

        Assert.Equal(["a"], Texts(first));
        Assert.Equal(K("c"), first.ResumeAt);
        Assert.Equal(["d", "e"], Texts(rest)); // "b" came in behind the position, "c" left before it was reached
    }

    [Fact]
    public void Scan_filters_by_type_name()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("a", "1"), ("b", "2"));

        Assert.Equal(["a", "b"], Texts(Scan(kv, "", 10, type: "string")));
        Assert.Equal(["a", "b"], Texts(Scan(kv, "", 10, type: "STRING")));
        Assert.Empty(Scan(kv, "", 10, type: "hash").Keys);
    }

    [Fact]
    public void Scan_with_a_stale_epoch_is_rejected()
    {
        var kv = new KvHarness();
        Assert.IsType<KvResult.EpochNotMatch>(kv.Machine.Read(new ScanCommand(1, new RegionEpoch(1, 9), K(""), 10), 1_000));
        Assert.IsType<KvResult.EpochNotMatch>(kv.Machine.Read(new ScanCommand(2, Epoch, K(""), 10), 1_000));
    }

    [Fact]
    public void Key_page_round_trips_and_refuses_garbage()
    {
        var page = new KvResult.KeyPage([K("a"), K(""), [0, 255, 13, 10]], K("z"));
        var last = new KvResult.KeyPage([], null);

        Assert.Equal(page, KvResult.KeyPage.Decode(page.Encode()));
        Assert.Equal(last, KvResult.KeyPage.Decode(last.Encode()));
        Assert.Throws<KvCodecException>(() => KvResult.KeyPage.Decode([1, 1, (byte)'a']));
        Assert.Throws<KvCodecException>(() => KvResult.KeyPage.Decode([0, 2]));
        Assert.Throws<KvCodecException>(() => KvResult.KeyPage.Decode([.. page.Encode(), 0]));
    }

    [Fact]
    public void Scan_and_flush_commands_round_trip_and_bad_ones_are_refused()
    {
        var scan = new ScanCommand(3, new RegionEpoch(2, 5), K("k"), 25, 7, "zset");
        var flush = new FlushCommand(3, new RegionEpoch(2, 5), 123);

        Assert.Equal(scan, KvCommandCodec.Decode(KvCommandCodec.Encode(scan)));
        Assert.Equal(flush, KvCommandCodec.Decode(KvCommandCodec.Encode(flush)));
        Assert.False(KvCommandCodec.ReadHeader(KvCommandCodec.Encode(scan)).IsWrite);
        Assert.True(KvCommandCodec.ReadHeader(KvCommandCodec.Encode(flush)).IsWrite);
        Assert.Null(KvCommandCodec.FirstKeyOutside(KvCommandCodec.Encode(scan), R(3, "x", "y")));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(scan with { Limit = 0 }));
        Assert.Throws<ArgumentException>(() => KvCommandCodec.Encode(scan with { Skip = -1 }));
    }

    [Fact]
    public void Count_live_keys_leaves_expired_entries_out()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("a", "1"), ("b", "2"));
        kv.Set("c", "3", expireAt: 1_500);

        Assert.Equal(3, kv.Machine.CountLiveKeys(1_000));
        Assert.Equal(2, kv.Machine.CountLiveKeys(2_000));
        Assert.Equal(3, kv.Machine.KeyCount); // the expired entry is still stored until reclaimed
    }

    [Fact]
    public void Flush_empties_the_region_and_a_stale_flush_changes_nothing()
    {
        var kv = new KvHarness();
        kv.MSet(1_000, ("a", "1"), ("b", "2"));

        Assert.IsType<KvResult.EpochNotMatch>(kv.Apply(new FlushCommand(1, new RegionEpoch(1, 9), 1_000)));
        Assert.Equal(2, kv.Machine.KeyCount);
        Assert.Equal(KvResult.Ok, kv.Apply(new FlushCommand(1, Epoch, 1_000)));
        Assert.Equal(0, kv.Machine.KeyCount);
        Assert.Equal(0, kv.Machine.ApproximateSizeBytes);
        Assert.Equal(Value(null), kv.Get("a"));
        Assert.Empty(Scan(kv, "", 10).Keys);
    }
}
