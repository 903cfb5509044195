using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Bad input must be reported clearly and never corrupt state.</summary>
public class BadInputTests
{
    private static Replica Leader()
    {
        var r = new Replica(1, [1, 2, 3]);
        r.BecomeLeader(2);
        r.AckAll(2, 3);
        return r;
    }

    [Fact]
    public void A_message_from_an_unknown_peer_is_ignored_by_the_leader_with_a_reason()
    {
        var r = Leader();
        var result = r.Step(AppendResp(9, 1, 1, 100));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("not a member", result.Reason);
        Assert.Equal(1UL, r.Node.Committed);
        Assert.False(r.Node.Tracker.Progress.ContainsKey(9));
    }

    [Fact]
    public void A_message_from_a_removed_peer_is_ignored()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        cluster[1].ProposeConfChange(ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, 3)));
        cluster.Deliver();
        cluster.TickAll(1);
        var result = cluster[1].Step(AppendResp(3, 1, cluster[1].Term, cluster[1].LastIndex));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("not a member", result.Reason);
        var read = cluster[1].Step(new Message { Type = MessageType.ReadIndex, From = 3, To = 1, Term = cluster[1].Term, Context = [1] });
        Assert.Equal(StepStatus.Ignored, read.Status);
        Assert.Contains("non-member", read.Reason);
    }

    [Fact]
    public void A_stale_term_message_is_ignored_with_the_terms_in_the_reason()
    {
        var r = Leader();
        r.StepAndDrain(Heartbeat(2, 1, 4));
        var result = r.Step(AppendResp(3, 1, 2, 1));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("stale term 2 (current 4)", result.Reason);
    }

    [Fact]
    public void A_message_addressed_to_another_replica_is_ignored()
    {
        var r = new Replica(1, [1, 2, 3]);
        var result = r.Step(Append(2, 3, 5, 0, 0, 0, E(5, 1)));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("addressed to 3", result.Reason);
        Assert.Equal((0UL, 0UL), (r.Node.Term, r.Node.LastIndex));
        Assert.False(r.Node.HasReady);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    public void A_message_with_an_invalid_sender_is_ignored(ulong from)
    {
        var r = new Replica(1, [1, 2, 3]);
        var result = r.Step(Vote(from, 1, 5, 0, 0));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("invalid sender", result.Reason);
        Assert.Equal(0UL, r.Node.Term);
    }

    [Fact]
    public void A_message_without_meaning_for_the_role_is_ignored()
    {
        var r = new Replica(2, [1, 2, 3]);
        var result = r.Step(AppendResp(1, 2, 0, 5));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("no meaning for a follower", result.Reason);
    }

    [Fact]
    public void An_append_that_would_overwrite_committed_entries_throws()
    {
        var storage = Replica.NewStorage([1, 2, 3], Terms(1, 1, 1));
        var log = new RaftLog(storage, ulong.MaxValue);
        log.CommitTo(3);
        var ex = Assert.Throws<InvalidOperationException>(() => log.MaybeAppend(1, 1, 3, [Entry.Normal(2, 2), Entry.Normal(2, 3)]));
        Assert.Contains("conflicts with committed", ex.Message);
        Assert.Equal(1UL, log.Term(2));
        Assert.Throws<InvalidOperationException>(() => log.Append([Entry.Normal(2, 2)]));
    }

    [Fact]
    public void A_leader_append_that_conflicts_with_committed_entries_never_truncates_them()
    {
        // Through Step the invariant holds by construction: an append below commit is answered with the commit index.
        var r = new Replica(2, [1, 2, 3], log: Terms(1, 1, 1), hardState: new HardState(1, 0, 3));
        var result = r.Step(Append(1, 2, 2, 1, 1, 3, Entry.Normal(2, 2), Entry.Normal(2, 3)));
        Assert.Equal(StepStatus.Processed, result.Status);
        Assert.Equal([1UL, 1UL, 1UL], r.Log().Select(e => e.Term));
        Assert.Equal(3UL, Assert.Single(r.Drain()).Index);
    }

    [Fact]
    public void A_second_Ready_before_Advance_throws()
    {
        var r = new Replica(1, [1, 2, 3]);
        r.Node.Campaign();
        var first = r.Node.Ready();
        Assert.False(r.Node.HasReady);
        var ex = Assert.Throws<InvalidOperationException>(() => r.Node.Ready());
        Assert.Contains($"#{first.Number} has not been advanced", ex.Message);
    }

    [Fact]
    public void Advance_of_a_Ready_that_is_not_outstanding_throws()
    {
        var r = new Replica(1, [1, 2, 3]);
        r.Node.Campaign();
        var ready = r.Node.Ready();
        var forged = ready with { Number = ready.Number };
        Assert.Throws<InvalidOperationException>(() => r.Node.Advance(forged));
        r.Node.Advance(ready);
        var ex = Assert.Throws<InvalidOperationException>(() => r.Node.Advance(ready));
        Assert.Contains("outstanding is #none", ex.Message);
    }

    private static object Break(Func<RaftConfig, RaftConfig> breakIt) => breakIt;

    public static TheoryData<string, object> InvalidConfigs => new()
    {
        { "Id", Break(c => c with { Id = 0 }) },
        { "HeartbeatTicks", Break(c => c with { HeartbeatTicks = 0 }) },
        { "ElectionTicks", Break(c => c with { ElectionTicks = 1, HeartbeatTicks = 1 }) },
        { "FirstElectionTimeoutTicks", Break(c => c with { FirstElectionTimeoutTicks = -1 }) },
        { "MaxInflightMessages", Break(c => c with { MaxInflightMessages = 0 }) },
        { "MaxSizePerMessage", Break(c => c with { MaxSizePerMessage = 0 }) },
        { "MaxInflightBytes", Break(c => c with { MaxSizePerMessage = 1000, MaxInflightBytes = 10 }) },
        { "MaxApplyBytes", Break(c => c with { MaxApplyBytes = 0 }) },
        { "MaxProposalBytes", Break(c => c with { MaxProposalBytes = 0 }) },
        { "MaxPendingReads", Break(c => c with { MaxPendingReads = 0 }) },
        { "ReadOnlyMode", Break(c => c with { ReadOnlyMode = ReadOnlyMode.LeaseBased, CheckQuorum = false }) },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Invalid_settings_throw_RaftConfigException_naming_the_setting(string setting, object breakIt)
    {
        var config = ((Func<RaftConfig, RaftConfig>)breakIt)(Replica.Config(1));
        var ex = Assert.Throws<RaftConfigException>(config.Validate);
        Assert.StartsWith(setting, ex.Message);
        Assert.Throws<RaftConfigException>(() => new RaftNode(config, MemoryStorage.WithVoters(1)));
    }

    [Fact]
    public void Default_settings_are_valid()
    {
        new RaftConfig { Id = 1 }.Validate();
        Replica.Config(1).Validate();
    }

    [Fact]
    public void A_stored_commit_index_beyond_the_log_is_reported_as_corruption()
    {
        var storage = Replica.NewStorage([1, 2, 3], Terms(1, 1), new HardState(1, 0, 5));
        var ex = Assert.Throws<InvalidOperationException>(() => new RaftNode(Replica.Config(1), storage));
        Assert.Contains("stored commit 5", ex.Message);
    }

    public static TheoryData<string, byte[]> CorruptConfChanges => new()
    {
        { "empty", [] },
        { "bad version", [2, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "unknown transition", [1, 7, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "count too large", [1, 0, 5, 0, 0, 0, 0, 0, 0, 0] },
        { "negative count", [1, 0, 255, 255, 255, 255, 0, 0, 0, 0] },
        { "unknown change type", [1, 0, 1, 0, 0, 0, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "context length mismatch", [1, 0, 0, 0, 0, 0, 3, 0, 0, 0] },
        { "truncated", [1, 0, 1, 0, 0, 0, 0, 1, 0] },
    };

    [Theory]
    [MemberData(nameof(CorruptConfChanges))]
    public void Corrupt_conf_change_bytes_throw_FormatException(string what, byte[] data)
    {
        Assert.False(string.IsNullOrEmpty(what));
        Assert.Throws<FormatException>(() => ConfChange.Decode(data));
    }

    [Fact]
    public void Conf_change_round_trips_through_its_encoding()
    {
        var change = new ConfChange(ConfChangeTransition.JointExplicit,
            [new(ConfChangeType.AddNode, 4), new(ConfChangeType.RemoveNode, ulong.MaxValue), new(ConfChangeType.AddLearnerNode, 7)], [1, 2, 3]);
        var decoded = ConfChange.Decode(change.Encode());
        Assert.Equal(change.Transition, decoded.Transition);
        Assert.Equal(change.Changes, decoded.Changes);
        Assert.Equal(change.Context, decoded.Context);
        Assert.True(ConfChange.Decode(ConfChange.LeaveJoint.Encode()).IsLeaveJoint);
    }

    [Fact]
    public void An_append_claiming_term_0_for_an_index_past_the_log_is_rejected_not_matched()
    {
        var r = new Replica(2, [1, 2, 3], log: Terms(1, 1));
        var result = r.Step(Append(1, 2, 1, 100, 0, 50));
        Assert.Equal(StepStatus.Processed, result.Status);
        var response = Assert.Single(r.Drain());
        Assert.True(response.Reject);
        Assert.Equal(0UL, response.RejectHint); // every entry of ours has a term above 0
        Assert.Equal((0UL, 2UL), (r.Node.Committed, r.Node.LastIndex));
    }

    [Fact]
    public void An_append_with_term_0_entries_past_the_log_is_not_mistaken_for_entries_already_present()
    {
        var log = new RaftLog(Replica.NewStorage([1], Terms(1, 1)), ulong.MaxValue);
        Assert.False(log.MatchTerm(3, 0));
        Assert.True(log.MatchTerm(0, 0));
        Assert.True(log.MatchTerm(2, 1));
    }

    [Fact]
    public void An_acknowledgement_beyond_the_leaders_log_is_ignored_without_corrupting_progress()
    {
        var r = Leader();
        var match = r.Node.Tracker.Progress[2].Match;
        var result = r.Step(AppendResp(2, 1, 1, 100));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("100", result.Reason);
        Assert.Equal(match, r.Node.Tracker.Progress[2].Match);
        // The leader keeps working.
        Assert.True(r.Node.Propose(Bytes("x")).Accepted);
        r.Drain();
        r.StepAndDrain(AppendResp(2, 1, 1, 2));
        Assert.Equal(2UL, r.Node.Committed);
    }

    // A follower with entries 1..2 of term 1; each append below claims to follow (2, 1) from a leader at term 2.
    public static TheoryData<string, object, string> MalformedAppends => new()
    {
        { "gap between entries", Append(1, 2, 2, 2, 1, 0, E(2, 3), E(2, 5)), "has index 5, expected 4" },
        { "entries out of order", Append(1, 2, 2, 2, 1, 0, E(2, 3), E(2, 5), E(2, 4)), "has index 5, expected 4" },
        { "entry repeated", Append(1, 2, 2, 2, 1, 0, E(2, 3), E(2, 3)), "has index 3, expected 4" },
        { "first entry not right after the previous", Append(1, 2, 2, 2, 1, 0, E(2, 4)), "has index 4, expected 3" },
        { "first entry overlapping the previous", Append(1, 2, 2, 2, 1, 0, E(2, 2)), "has index 2, expected 3" },
        { "terms going backwards", Append(1, 2, 2, 2, 1, 0, E(2, 3), E(1, 4)), "below term 2 of the entry before it" },
        { "first term below the previous term", Append(1, 2, 2, 2, 1, 0, E(0, 3)), "below the previous entry's term 1" },
        { "entry of a later term than the message", Append(1, 2, 2, 2, 1, 0, E(3, 3)), "above the message's term 2" },
        { "previous term later than the message", Append(1, 2, 2, 2, 3, 0), "above the message's term 2" },
        { "index past the largest", Append(1, 2, 2, ulong.MaxValue, 1, 0, E(2, 0)), "past the largest index" },
    };

    [Theory]
    [MemberData(nameof(MalformedAppends))]
    public void A_malformed_append_is_ignored_with_a_reason_and_changes_nothing(string what, object appendCase, string reason)
    {
        var append = (Message)appendCase;
        Assert.False(string.IsNullOrEmpty(what));
        var r = new Replica(2, [1, 2, 3], log: Terms(1, 1), hardState: new HardState(1, 0, 1));
        r.Drain();
        var result = r.Step(append);
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("malformed append", result.Reason);
        Assert.Contains(reason, result.Reason);
        // Neither the log nor the term nor the known leader moved, and nothing is to be written or sent.
        Assert.Equal([(1UL, 1UL), (1UL, 2UL)], r.Log().Select(e => (e.Term, e.Index)));
        Assert.Equal((1UL, 0UL, 1UL), (r.Node.Term, r.Node.Leader, r.Node.Committed));
        Assert.False(r.Node.HasReady);
        // A well-formed append from the same leader is still accepted.
        var response = Assert.Single(r.StepAndDrain(Append(1, 2, 2, 2, 1, 3, E(2, 3), E(2, 4))));
        Assert.False(response.Reject);
        Assert.Equal(4UL, response.Index);
        Assert.Equal([1UL, 1UL, 2UL, 2UL], r.Log().Select(e => e.Term));
    }

    [Fact]
    public void The_log_refuses_entries_that_do_not_follow_it_as_an_invariant_breach()
    {
        var log = new RaftLog(Replica.NewStorage([1], Terms(1, 2)), ulong.MaxValue);
        Assert.Throws<InvalidOperationException>(() => log.MaybeAppend(2, 2, 0, [E(2, 3), E(2, 5)]));
        Assert.Throws<InvalidOperationException>(() => log.MaybeAppend(2, 2, 0, [E(1, 3)]));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(2, 4)]));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(1, 3)]));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(2, 3), E(2, 3)]));
        Assert.Empty(log.UnstableEntries());
        Assert.Equal((2UL, 1UL, 2UL), (log.LastIndex(), log.Term(1), log.Term(2)));
    }

    [Fact]
    public void Memory_storage_refuses_a_batch_that_is_not_a_contiguous_log()
    {
        var storage = Replica.NewStorage([1], Terms(1, 2));
        Assert.Throws<RaftStorageException>(() => storage.Append([E(2, 3), E(2, 5)]));
        Assert.Throws<RaftStorageException>(() => storage.Append([E(2, 4), E(2, 3)]));
        Assert.Throws<RaftStorageException>(() => storage.Append([E(3, 3), E(2, 4)]));
        Assert.Throws<RaftStorageException>(() => storage.Append([E(1, 3)]));
        Assert.Throws<RaftStorageException>(() => storage.Append([E(1, 0)]));
        Assert.Equal(2UL, storage.LastIndex());
        Assert.Equal([1UL, 2UL], storage.Entries(1, 3, ulong.MaxValue).Select(e => e.Term));
        // Overwriting a suffix with a later term is what a follower does; that still works.
        storage.Append([E(3, 2), E(3, 3)]);
        Assert.Equal([1UL, 3UL, 3UL], storage.Entries(1, 4, ulong.MaxValue).Select(e => e.Term));
    }
}
