using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>MemoryStorage, RaftLog and UnstableLog as units.</summary>
public class StorageAndLogTests
{
    private static MemoryStorage Stored(params ulong[] terms) => Replica.NewStorage([1], Terms(terms));

    private static List<(ulong, ulong)> Shape(IEnumerable<Entry> entries) => [.. entries.Select(e => (e.Term, e.Index))];

    [Fact]
    public void MemoryStorage_starts_empty_with_first_index_1()
    {
        var s = new MemoryStorage();
        Assert.Equal((1UL, 0UL), (s.FirstIndex(), s.LastIndex()));
        Assert.Equal(0UL, s.Term(0));
        Assert.True(s.Snapshot().IsEmpty);
        Assert.True(s.InitialState().HardState.IsEmpty);
    }

    [Fact]
    public void MemoryStorage_append_replaces_a_conflicting_suffix()
    {
        var s = Stored(1, 1, 1, 1);
        s.Append([Entry.Normal(2, 3), Entry.Normal(2, 4), Entry.Normal(2, 5)]);
        Assert.Equal([(1UL, 1UL), (1, 2), (2, 3), (2, 4), (2, 5)], Shape(s.Entries(1, 6, ulong.MaxValue)));
        s.Append([Entry.Normal(3, 2)]);
        Assert.Equal([(1UL, 1UL), (3, 2)], Shape(s.Entries(1, 3, ulong.MaxValue)));
        Assert.Equal(2UL, s.LastIndex());
    }

    [Fact]
    public void MemoryStorage_append_with_a_gap_throws()
    {
        var s = Stored(1, 1);
        Assert.Throws<RaftStorageException>(() => s.Append([Entry.Normal(1, 5)]));
    }

    [Fact]
    public void MemoryStorage_ignores_already_compacted_entries_on_append()
    {
        var s = Stored(1, 1, 1, 1, 1);
        s.CreateSnapshot(3, ConfState.OfVoters(1), []);
        s.Compact(3);
        s.Append([Entry.Normal(1, 2), Entry.Normal(1, 3), Entry.Normal(2, 4)]);
        Assert.Equal([(2UL, 4UL)], Shape(s.Entries(4, 5, ulong.MaxValue)));
        Assert.Equal(4UL, s.LastIndex());
        s.Append([Entry.Normal(1, 1)]); // entirely compacted: no-op
        Assert.Equal(4UL, s.LastIndex());
    }

    [Fact]
    public void MemoryStorage_term_and_entries_outside_the_log_throw_or_report_compaction()
    {
        var s = Stored(1, 2, 3);
        s.CreateSnapshot(2, ConfState.OfVoters(1), []);
        s.Compact(2);
        Assert.Null(s.Term(1));
        Assert.Equal(2UL, s.Term(2));
        Assert.Throws<RaftStorageException>(() => s.Term(4));
        Assert.Throws<RaftStorageException>(() => s.Entries(2, 3, ulong.MaxValue));
        Assert.Throws<RaftStorageException>(() => s.Entries(3, 5, ulong.MaxValue));
        Assert.Equal([(3UL, 3UL)], Shape(s.Entries(3, 4, ulong.MaxValue)));
    }

    [Fact]
    public void MemoryStorage_entries_are_limited_in_bytes_but_never_empty()
    {
        var s = Replica.NewStorage([1], [Entry.Normal(1, 1, new byte[100]), Entry.Normal(1, 2, new byte[100]), Entry.Normal(1, 3, new byte[100])]);
        Assert.Single(s.Entries(1, 4, 1));
        Assert.Single(s.Entries(1, 4, 124));
        Assert.Equal(2, s.Entries(1, 4, 248).Count);
        Assert.Equal(3, s.Entries(1, 4, ulong.MaxValue).Count);
    }

    [Fact]
    public void MemoryStorage_compaction_keeps_the_compact_index_as_the_dummy()
    {
        var s = Stored(1, 1, 2, 2, 3);
        s.Compact(3);
        Assert.Equal((4UL, 5UL), (s.FirstIndex(), s.LastIndex()));
        Assert.Equal(2UL, s.Term(3));
        s.Compact(2); // older: no-op
        Assert.Equal(4UL, s.FirstIndex());
        Assert.Throws<RaftStorageException>(() => s.Compact(6));
    }

    [Fact]
    public void MemoryStorage_create_snapshot_records_term_and_membership_and_ignores_older_ones()
    {
        var s = Stored(1, 1, 2, 2);
        var snap = s.CreateSnapshot(3, ConfState.OfVoters(1, 2), [9]);
        Assert.Equal((3UL, 2UL), (snap.Metadata.Index, snap.Metadata.Term));
        Assert.Same(snap, s.CreateSnapshot(2, ConfState.OfVoters(1), []));
        Assert.Throws<RaftStorageException>(() => s.CreateSnapshot(9, ConfState.OfVoters(1), []));
        Assert.True(s.InitialState().ConfState.SameAs(ConfState.OfVoters(1, 2)));
    }

    [Fact]
    public void MemoryStorage_apply_snapshot_replaces_the_log_and_ignores_older_snapshots()
    {
        var s = Stored(1, 1, 1);
        s.ApplySnapshot(new Snapshot(new SnapshotMetadata(10, 4, ConfState.OfVoters(1)), []));
        Assert.Equal((11UL, 10UL, 4UL), (s.FirstIndex(), s.LastIndex(), s.Term(10)!.Value));
        s.ApplySnapshot(new Snapshot(new SnapshotMetadata(5, 2, ConfState.OfVoters(1)), []));
        Assert.Equal(10UL, s.Snapshot().Metadata.Index);
    }

    [Theory]
    // log terms 1..7: [1,1,1,4,4,5,5]
    [InlineData(7, 7, 7, 5)]
    [InlineData(7, 5, 7, 5)]
    [InlineData(7, 4, 5, 4)]
    [InlineData(7, 3, 3, 1)]
    [InlineData(7, 1, 3, 1)]
    [InlineData(5, 2, 3, 1)]
    [InlineData(2, 9, 2, 1)]
    [InlineData(7, 0, 0, 0)]
    public void RaftLog_FindConflictByTerm_returns_the_last_entry_with_a_term_at_most_the_given_one(ulong index, ulong term, ulong wantIndex, ulong wantTerm)
    {
        var log = new RaftLog(Stored(1, 1, 1, 4, 4, 5, 5), ulong.MaxValue);
        Assert.Equal((wantIndex, wantTerm), log.FindConflictByTerm(index, term));
    }

    [Fact]
    public void RaftLog_FindConflictByTerm_stops_at_the_compaction_point()
    {
        var s = Stored(1, 1, 2, 3, 3);
        s.CreateSnapshot(3, ConfState.OfVoters(1), []);
        s.Compact(3);
        var log = new RaftLog(s, ulong.MaxValue);
        Assert.Equal((3UL, 2UL), log.FindConflictByTerm(5, 2));
        Assert.Equal((2UL, 0UL), log.FindConflictByTerm(5, 1)); // compacted: term unknown
    }

    [Theory]
    [InlineData(3, 3, true)]
    [InlineData(4, 2, true)]
    [InlineData(2, 2, false)]
    [InlineData(9, 1, false)]
    [InlineData(3, 4, true)]
    public void RaftLog_IsUpToDate_compares_last_term_then_length(ulong lastIndex, ulong lastTerm, bool upToDate)
    {
        var log = new RaftLog(Stored(1, 2, 2), ulong.MaxValue);
        Assert.Equal(upToDate, log.IsUpToDate(lastIndex, lastTerm));
    }

    [Fact]
    public void RaftLog_MaybeAppend_rejects_a_mismatching_previous_entry()
    {
        var log = new RaftLog(Stored(1, 2), ulong.MaxValue);
        Assert.Null(log.MaybeAppend(2, 1, 0, [Entry.Normal(2, 3)]));
        Assert.Null(log.MaybeAppend(3, 2, 0, []));
        Assert.Equal(3UL, log.MaybeAppend(2, 2, 5, [Entry.Normal(2, 3)]));
        Assert.Equal(3UL, log.Committed); // capped at the last new entry
    }

    [Fact]
    public void RaftLog_MaybeAppend_with_entries_already_present_does_not_truncate_later_ones()
    {
        var log = new RaftLog(Stored(1, 1, 1, 1), ulong.MaxValue);
        Assert.Equal(2UL, log.MaybeAppend(0, 0, 0, [Entry.Normal(1, 1), Entry.Normal(1, 2)]));
        Assert.Equal(4UL, log.LastIndex());
    }

    [Fact]
    public void RaftLog_MaybeCommit_only_commits_entries_of_the_given_term()
    {
        var log = new RaftLog(Stored(1, 1, 2), ulong.MaxValue);
        Assert.False(log.MaybeCommit(2, 2));
        Assert.Equal(0UL, log.Committed);
        Assert.True(log.MaybeCommit(3, 2));
        Assert.Equal(3UL, log.Committed);
        Assert.False(log.MaybeCommit(2, 1)); // never backwards
        Assert.Equal(3UL, log.Committed);
    }

    [Fact]
    public void RaftLog_commit_past_the_last_index_and_apply_past_commit_throw()
    {
        var log = new RaftLog(Stored(1, 1), ulong.MaxValue);
        Assert.Throws<InvalidOperationException>(() => log.CommitTo(3));
        log.CommitTo(1);
        Assert.Throws<InvalidOperationException>(() => log.AppliedTo(2));
        log.AppliedTo(1);
        Assert.Equal(1UL, log.Applied);
    }

    [Fact]
    public void RaftLog_slice_spans_storage_and_unstable_entries_and_respects_the_byte_limit()
    {
        var log = new RaftLog(Stored(1, 1, 1), ulong.MaxValue);
        log.Append([Entry.Normal(2, 4), Entry.Normal(2, 5)]);
        Assert.Equal([(1UL, 2UL), (1, 3), (2, 4), (2, 5)], Shape(log.Slice(2, 6, ulong.MaxValue)));
        Assert.Equal([(1UL, 3UL), (2, 4)], Shape(log.Slice(3, 6, 2 * 25)));
        Assert.Single(log.Slice(2, 6, 1));
        Assert.Throws<InvalidOperationException>(() => log.Slice(2, 7, ulong.MaxValue));
        Assert.Equal(5UL, log.LastIndex());
        Assert.Equal(0UL, log.Term(6));
    }

    [Fact]
    public void RaftLog_next_committed_entries_are_bounded_by_max_apply_bytes()
    {
        var log = new RaftLog(Replica.NewStorage([1], Enumerable.Range(1, 5).Select(i => Entry.Normal(1, (ulong)i, new byte[76]))), 200);
        log.CommitTo(5);
        Assert.Equal(2, log.NextCommittedEntries().Count);
        log.AppliedTo(2);
        Assert.Equal([3UL, 4UL], log.NextCommittedEntries().Select(e => e.Index));
        Assert.True(log.HasNextCommittedEntries());
        log.AppliedTo(5);
        Assert.False(log.HasNextCommittedEntries());
        Assert.Empty(log.NextCommittedEntries());
    }

    [Fact]
    public void UnstableLog_truncate_and_append_handles_append_overlap_and_replace()
    {
        var u = new UnstableLog(5);
        u.TruncateAndAppend([Entry.Normal(1, 5), Entry.Normal(1, 6)]);
        Assert.Equal((5UL, 6UL), (u.Offset, u.MaybeLastIndex()!.Value));
        u.TruncateAndAppend([Entry.Normal(1, 7)]); // append
        Assert.Equal(7UL, u.MaybeLastIndex());
        u.TruncateAndAppend([Entry.Normal(2, 6)]); // truncate inside the unstable range
        Assert.Equal([(1UL, 5UL), (2, 6)], Shape(u.Entries));
        u.TruncateAndAppend([Entry.Normal(3, 3)]); // before the offset: replace everything
        Assert.Equal(3UL, u.Offset);
        Assert.Equal([(3UL, 3UL)], Shape(u.Entries));
    }

    [Fact]
    public void UnstableLog_stable_to_removes_durable_entries_only_when_the_term_matches()
    {
        var u = new UnstableLog(1);
        u.TruncateAndAppend([Entry.Normal(1, 1), Entry.Normal(1, 2), Entry.Normal(1, 3)]);
        u.StableTo(2, 2); // overwritten meanwhile (term mismatch): ignored
        Assert.Equal(1UL, u.Offset);
        u.StableTo(2, 1);
        Assert.Equal(3UL, u.Offset);
        Assert.Equal([(1UL, 3UL)], Shape(u.Entries));
        u.StableTo(9, 1);
        Assert.Equal(3UL, u.Offset);
    }

    [Fact]
    public void UnstableLog_snapshot_defines_first_and_last_index_until_it_is_stable()
    {
        var u = new UnstableLog(1);
        var snap = new Snapshot(new SnapshotMetadata(10, 3, ConfState.OfVoters(1)), []);
        u.Restore(snap);
        Assert.Equal((11UL, 10UL, 11UL), (u.MaybeFirstIndex()!.Value, u.MaybeLastIndex()!.Value, u.Offset));
        Assert.Equal(3UL, u.MaybeTerm(10));
        Assert.Null(u.MaybeTerm(9));
        u.StableSnapshotTo(9);
        Assert.NotNull(u.Snapshot);
        u.StableSnapshotTo(10);
        Assert.Null(u.Snapshot);
        Assert.Null(u.MaybeFirstIndex());
    }

    [Fact]
    public void UnstableLog_slice_outside_its_range_throws()
    {
        var u = new UnstableLog(5);
        u.TruncateAndAppend([Entry.Normal(1, 5), Entry.Normal(1, 6)]);
        Assert.Equal(2, u.Slice(5, 7).Count);
        Assert.Throws<InvalidOperationException>(() => u.Slice(4, 6));
        Assert.Throws<InvalidOperationException>(() => u.Slice(5, 8));
    }
}
