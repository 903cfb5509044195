using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Quorum arithmetic, Inflights and Progress as units (etcd's quorum/ and tracker/).</summary>
public class QuorumAndProgressTests
{
    private static Func<ulong, ulong?> Acked(params ulong[] indexes) => id => id >= 1 && (int)id <= indexes.Length ? indexes[id - 1] : null;

    private static ulong[] Ids(int n) => [.. Enumerable.Range(1, n).Select(i => (ulong)i)];

    [Theory]
    [InlineData(new ulong[] { 5 }, 5)]
    [InlineData(new ulong[] { 5, 3 }, 3)]
    [InlineData(new ulong[] { 5, 3, 1 }, 3)]
    [InlineData(new ulong[] { 5, 3, 1, 7 }, 3)]
    [InlineData(new ulong[] { 5, 3, 1, 7, 9 }, 5)]
    [InlineData(new ulong[] { 0, 0, 9 }, 0)]
    [InlineData(new ulong[] { 2, 2, 2, 2, 2, 2 }, 2)]
    public void Majority_committed_index_is_the_highest_index_acknowledged_by_a_majority(ulong[] acked, ulong want)
    {
        Assert.Equal(want, Quorum.MajorityCommitted(Ids(acked.Length), Acked(acked)));
    }

    [Fact]
    public void Majority_committed_counts_missing_voters_as_zero_and_empty_configs_as_unbounded()
    {
        Assert.Equal(0UL, Quorum.MajorityCommitted([1, 2, 3], id => id == 1 ? 10 : null));
        Assert.Equal(ulong.MaxValue, Quorum.MajorityCommitted([], _ => 1));
        var many = Ids(21);
        Assert.Equal(11UL, Quorum.MajorityCommitted(many, id => id)); // 11..21 is 11 of 21
    }

    [Fact]
    public void Joint_committed_index_is_the_minimum_of_both_halves()
    {
        // incoming {1,2,3} acked 10,10,1 -> 10; outgoing {3,4,5} acked 1,10,1 -> 1.
        var acked = new Dictionary<ulong, ulong> { [1] = 10, [2] = 10, [3] = 1, [4] = 10, [5] = 1 };
        Assert.Equal(1UL, Quorum.JointCommitted([1, 2, 3], [3, 4, 5], id => acked[id]));
        acked[5] = 10;
        Assert.Equal(10UL, Quorum.JointCommitted([1, 2, 3], [3, 4, 5], id => acked[id]));
        Assert.Equal(10UL, Quorum.JointCommitted([1, 2, 3], [], id => acked[id]));
    }

    [Theory]
    [InlineData("", VoteResult.Won)]
    [InlineData("y", VoteResult.Won)]
    [InlineData("n", VoteResult.Lost)]
    [InlineData("_", VoteResult.Pending)]
    [InlineData("yy_", VoteResult.Won)]
    [InlineData("y__", VoteResult.Pending)]
    [InlineData("yn_", VoteResult.Pending)]
    [InlineData("ynn", VoteResult.Lost)]
    [InlineData("yyn_", VoteResult.Pending)]
    [InlineData("yynn", VoteResult.Lost)]
    [InlineData("yyy_", VoteResult.Won)]
    [InlineData("yynn_", VoteResult.Pending)]
    [InlineData("yynnn", VoteResult.Lost)]
    public void Majority_vote_is_won_lost_or_pending(string votes, object wantCase)
    {
        var want = (VoteResult)wantCase;
        var ids = Ids(votes.Length);
        Assert.Equal(want, Quorum.MajorityVote(ids, id => votes[(int)id - 1] switch { 'y' => true, 'n' => false, _ => null }));
    }

    [Theory]
    [InlineData(VoteResult.Won, VoteResult.Won, VoteResult.Won)]
    [InlineData(VoteResult.Won, VoteResult.Pending, VoteResult.Pending)]
    [InlineData(VoteResult.Won, VoteResult.Lost, VoteResult.Lost)]
    [InlineData(VoteResult.Pending, VoteResult.Lost, VoteResult.Lost)]
    [InlineData(VoteResult.Pending, VoteResult.Pending, VoteResult.Pending)]
    [InlineData(VoteResult.Lost, VoteResult.Lost, VoteResult.Lost)]
    public void Joint_vote_needs_both_halves(object incomingCase, object outgoingCase, object wantCase)
    {
        var incoming = (VoteResult)incomingCase;
        var outgoing = (VoteResult)outgoingCase;
        var want = (VoteResult)wantCase;
        // Build each half of three voters so it produces the wanted outcome.
        static Dictionary<ulong, bool?> Half(ulong baseId, VoteResult r) => r switch
        {
            VoteResult.Won => new() { [baseId] = true, [baseId + 1] = true, [baseId + 2] = false },
            VoteResult.Lost => new() { [baseId] = false, [baseId + 1] = false, [baseId + 2] = true },
            _ => new() { [baseId] = true, [baseId + 1] = null, [baseId + 2] = false },
        };
        var a = Half(1, incoming);
        var b = Half(11, outgoing);
        Assert.Equal(incoming, Quorum.MajorityVote(a.Keys, id => a[id]));
        Assert.Equal(want, Quorum.JointVote(a.Keys, b.Keys, id => a.TryGetValue(id, out var v) ? v : b[id]));
        Assert.Equal(want, Quorum.JointVote(b.Keys, a.Keys, id => a.TryGetValue(id, out var v) ? v : b[id]));
    }

    [Fact]
    public void Tracker_counts_only_voters_and_the_first_answer_of_each()
    {
        var tracker = new ProgressTracker(10, 0) { Config = TrackerConfig.From(new ConfState([1, 2, 3], [], [4], [], false)) };
        foreach (var id in new ulong[] { 1, 2, 3, 4 }) tracker.Progress[id] = new Progress(1, 10, 0, id == 4);
        tracker.RecordVote(1, true);
        tracker.RecordVote(4, true);
        Assert.Equal(VoteResult.Pending, tracker.TallyVotes().Result);
        tracker.RecordVote(2, false);
        tracker.RecordVote(2, true); // second answer ignored
        var (granted, rejected, result) = tracker.TallyVotes();
        Assert.Equal((1, 1, VoteResult.Pending), (granted, rejected, result));
        tracker.RecordVote(3, true);
        Assert.Equal(VoteResult.Won, tracker.TallyVotes().Result);
    }

    [Fact]
    public void Inflights_are_full_at_the_count_limit_and_freed_in_order()
    {
        var inflights = new Inflights(3, 0);
        inflights.Add(1, 10);
        inflights.Add(2, 10);
        Assert.False(inflights.Full);
        inflights.Add(5, 10);
        Assert.True(inflights.Full);
        Assert.Throws<InvalidOperationException>(() => inflights.Add(6, 10));
        inflights.FreeLE(2);
        Assert.Equal((1, 10UL), (inflights.Count, inflights.Bytes));
        inflights.FreeLE(4);
        Assert.Equal(1, inflights.Count);
        inflights.FreeLE(5);
        Assert.Equal((0, 0UL), (inflights.Count, inflights.Bytes));
    }

    [Fact]
    public void Inflights_are_full_at_the_byte_limit_and_reset_empties_them()
    {
        var inflights = new Inflights(100, 250);
        inflights.Add(1, 100);
        inflights.Add(2, 100);
        Assert.False(inflights.Full);
        inflights.Add(3, 100);
        Assert.True(inflights.Full);
        inflights.FreeLE(1);
        Assert.False(inflights.Full);
        inflights.Reset();
        Assert.Equal((0, 0UL), (inflights.Count, inflights.Bytes));
    }

    [Fact]
    public void Progress_probe_pauses_after_one_append_and_resumes_on_update()
    {
        var p = new Progress(5, 10, 0, false);
        Assert.False(p.IsPaused);
        p.SentEntries(2, 50, 6);
        Assert.True(p.IsPaused);
        Assert.Equal(5UL, p.Next); // probing does not advance next
        Assert.True(p.MaybeUpdate(6));
        Assert.False(p.IsPaused);
        Assert.Equal((6UL, 7UL), (p.Match, p.Next));
        Assert.False(p.MaybeUpdate(4)); // stale
    }

    [Fact]
    public void Progress_replicate_advances_next_optimistically_and_pauses_on_a_full_window()
    {
        var p = new Progress(1, 2, 0, false);
        p.BecomeReplicate();
        p.SentEntries(3, 30, 3);
        Assert.Equal(4UL, p.Next);
        p.SentEntries(2, 20, 5);
        Assert.True(p.IsPaused);
        p.Inflights.FreeLE(3);
        Assert.False(p.IsPaused);
    }

    [Theory]
    // replicate: rejections at or below match are stale; otherwise next = match + 1
    [InlineData(ProgressState.Replicate, 5, 10, 5, 0, false, 10)]
    [InlineData(ProgressState.Replicate, 5, 10, 8, 0, true, 6)]
    // probe: only a rejection of next - 1 counts; next = max(min(rejected, hint + 1), match + 1)
    [InlineData(ProgressState.Probe, 0, 10, 5, 0, false, 10)]
    [InlineData(ProgressState.Probe, 0, 10, 9, 3, true, 4)]
    [InlineData(ProgressState.Probe, 0, 10, 9, 20, true, 9)]
    [InlineData(ProgressState.Probe, 5, 10, 9, 1, true, 6)]
    public void Progress_MaybeDecrTo_follows_the_hint_but_never_goes_below_the_match(object stateCase, ulong match, ulong next, ulong rejected, ulong hint, bool decremented, ulong wantNext)
    {
        var state = (ProgressState)stateCase;
        var p = new Progress(next, 10, 0, false) { Match = match };
        if (state == ProgressState.Replicate)
        {
            p.BecomeReplicate();
            p.Next = next;
        }
        Assert.Equal(decremented, p.MaybeDecrTo(rejected, hint));
        Assert.Equal(wantNext, p.Next);
    }

    [Fact]
    public void Progress_leaving_snapshot_state_probes_after_the_pending_snapshot()
    {
        var p = new Progress(1, 10, 0, false) { Match = 2 };
        p.BecomeSnapshot(10);
        Assert.True(p.IsPaused);
        Assert.Throws<InvalidOperationException>(() => p.SentEntries(1, 1, 3));
        p.BecomeProbe();
        Assert.Equal((ProgressState.Probe, 11UL), (p.State, p.Next));
        p.BecomeSnapshot(10);
        p.ForgetPendingSnapshot();
        p.BecomeProbe();
        Assert.Equal(3UL, p.Next);
    }
}
