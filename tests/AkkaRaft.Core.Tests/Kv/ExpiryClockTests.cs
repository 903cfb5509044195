using AkkaRaft.Core.Kv;

namespace AkkaRaft.Core.Tests.Kv;

public class ExpiryClockTests
{
    private const long Day = 86_400_000;
    private readonly ExpiryClock _clock = new(maxOffsetMs: 500, sampleLifetimeMs: 5_000);

    [Fact]
    public void Alone_a_node_uses_its_own_wall_clock()
    {
        Assert.Equal(1_000_000, _clock.Now(1_000_000, 0));
        Assert.Equal(1_000_250, _clock.Now(1_000_250, 250));
    }

    [Fact]
    public void A_clock_a_day_ahead_of_two_peers_is_corrected_to_theirs()
    {
        // Both peers read a day less than this node does.
        _clock.RecordOffset(2, -Day + 3, roundTripMs: 2, monotonicMs: 0);
        _clock.RecordOffset(3, -Day - 4, roundTripMs: 2, monotonicMs: 0);

        Assert.Equal(-Day + 3, _clock.CorrectionMs(0));
        Assert.Equal(1_000_003, _clock.Now(1_000_000 + Day, 0));
    }

    [Fact]
    public void A_node_whose_peer_is_a_day_ahead_keeps_its_own_time_when_the_majority_agrees_with_it()
    {
        _clock.RecordOffset(2, Day, roundTripMs: 2, monotonicMs: 0);
        _clock.RecordOffset(3, 12, roundTripMs: 2, monotonicMs: 0);

        Assert.Equal(0, _clock.CorrectionMs(0));
        Assert.Equal(1_000_000, _clock.Now(1_000_000, 0));
    }

    [Fact]
    public void Disagreement_within_the_max_offset_is_left_alone()
    {
        _clock.RecordOffset(2, -400, roundTripMs: 2, monotonicMs: 0);
        _clock.RecordOffset(3, -450, roundTripMs: 2, monotonicMs: 0);

        Assert.Equal(0, _clock.CorrectionMs(0));
    }

    [Fact]
    public void With_two_nodes_that_disagree_the_earlier_time_wins_so_a_tie_never_moves_time_forward()
    {
        var ahead = new ExpiryClock(500, 5_000);
        var behind = new ExpiryClock(500, 5_000);
        ahead.RecordOffset(2, -Day, 2, 0);
        behind.RecordOffset(1, Day, 2, 0);

        Assert.Equal(-Day, ahead.CorrectionMs(0));
        Assert.Equal(0, behind.CorrectionMs(0));
    }

    [Fact]
    public void Offsets_measured_over_a_round_trip_longer_than_the_max_offset_are_not_trusted()
    {
        Assert.False(_clock.RecordOffset(2, -Day, roundTripMs: 501, monotonicMs: 0));
        Assert.False(_clock.RecordOffset(3, -Day, roundTripMs: -1, monotonicMs: 0));

        Assert.Equal(0, _clock.CorrectionMs(0));
    }

    [Fact]
    public void Offsets_of_silent_peers_stop_counting_after_their_lifetime()
    {
        _clock.RecordOffset(2, -Day, 2, monotonicMs: 1_000);
        _clock.RecordOffset(3, -Day, 2, monotonicMs: 1_000);

        Assert.Equal(-Day, _clock.CorrectionMs(6_000));
        Assert.Equal(0, _clock.CorrectionMs(6_001));
    }

    [Fact]
    public void Time_never_goes_back_so_a_read_is_never_judged_earlier_than_one_before_it()
    {
        Assert.Equal(5_000, _clock.Now(5_000, 0));
        Assert.Equal(5_000, _clock.Now(4_000, 10)); // the wall clock was stepped back
        Assert.Equal(5_001, _clock.Now(5_001, 20));

        // Being corrected towards the cluster does not take back what was already answered either.
        _clock.RecordOffset(2, -3_000, 2, 20);
        _clock.RecordOffset(3, -3_000, 2, 20);
        Assert.Equal(5_001, _clock.Now(6_000, 30));
        Assert.Equal(5_100, _clock.Now(8_100, 40));
    }
}
