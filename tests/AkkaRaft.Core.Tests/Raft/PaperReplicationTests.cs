using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Raft paper §5.3: log replication.</summary>
public class PaperReplicationTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    /// <summary>A leader of term 1 over 1,2,3 whose no-op (index 1) is committed and whose followers replicate.</summary>
    private static Replica CommittedLeader(params ulong[] voters)
    {
        var ids = voters.Length == 0 ? Three : voters;
        var r = new Replica(1, ids);
        r.BecomeLeader(ids.Skip(1).ToArray());
        r.AckAll(ids.Skip(1).ToArray());
        Assert.Equal(1UL, r.Node.Committed);
        return r;
    }

    [Fact]
    public void S5_3_leader_appends_a_proposal_and_sends_it_to_every_follower()
    {
        var r = CommittedLeader();
        var result = r.Node.Propose(Bytes("some data"));
        Assert.True(result.Accepted);
        Assert.Equal(2UL, result.Index);
        Assert.Equal(1UL, result.Term);
        var ready = r.Node.Ready();
        var entry = Assert.Single(ready.Entries);
        Assert.Equal((1UL, 2UL, "some data"), (entry.Term, entry.Index, System.Text.Encoding.UTF8.GetString(entry.Data)));
        var appends = ready.Messages.OfType(MessageType.Append).OrderBy(m => m.To).ToList();
        Assert.Equal([2UL, 3UL], appends.Select(m => m.To));
        Assert.All(appends, m =>
        {
            Assert.Equal((1UL, 1UL, 1UL), (m.Index, m.LogTerm, m.Commit));
            Assert.Equal([entry], m.Entries);
        });
        Assert.Empty(ready.CommittedEntries);
    }

    [Fact]
    public void S5_3_leader_commits_an_entry_once_a_majority_acknowledges_it_and_tells_followers()
    {
        var r = CommittedLeader();
        r.Node.Propose(Bytes("x"));
        r.Drain();
        Assert.Equal(1UL, r.Node.Committed);
        var messages = r.StepAndDrain(AppendResp(2, 1, 1, 2));
        Assert.Equal(2UL, r.Node.Committed);
        Assert.Equal("x", System.Text.Encoding.UTF8.GetString(r.Applied[^1].Data));
        // The new commit index travels to the followers with the next append.
        var appends = messages.OfType(MessageType.Append).ToList();
        Assert.Contains(appends, m => m.To == 3 && m.Commit == 2);
        Assert.Contains(appends, m => m.To == 2 && m.Commit == 2);
    }

    [Fact]
    public void S5_3_leader_counts_its_own_entry_only_once_it_is_durable()
    {
        var r = CommittedLeader();
        r.Node.Propose(Bytes("x")); // not yet persisted: no Ready taken
        r.Step(AppendResp(2, 1, 1, 2));
        Assert.Equal(1UL, r.Node.Committed); // leader(1) + follower(2) = majority only once the leader's copy is durable
        var ready = r.Node.Ready();
        Assert.Single(ready.Entries);
        Assert.Equal(1UL, r.Node.Committed);
        r.Persist(ready);
        r.Node.Advance(ready);
        Assert.Equal(2UL, r.Node.Committed);
    }

    [Fact]
    public void S5_3_a_majority_of_followers_commits_even_before_the_leader_write_completes()
    {
        var r = CommittedLeader();
        r.Node.Propose(Bytes("x"));
        r.Step(AppendResp(2, 1, 1, 2));
        r.Step(AppendResp(3, 1, 1, 2));
        Assert.Equal(2UL, r.Node.Committed);
    }

    [Theory]
    [InlineData(1, "", true)]
    [InlineData(3, "", false)]
    [InlineData(3, "2", true)]
    [InlineData(3, "2 3", true)]
    [InlineData(5, "", false)]
    [InlineData(5, "2", false)]
    [InlineData(5, "2 3", true)]
    [InlineData(5, "2 3 4", true)]
    [InlineData(5, "2 3 4 5", true)]
    public void S5_3_leader_acknowledges_commit_when_a_majority_has_the_entry(int size, string acceptors, bool committed)
    {
        var ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        var r = CommittedLeader(ids);
        var index = r.Node.Propose(Bytes("some data")).Index;
        r.Drain();
        foreach (var a in acceptors.Split(' ', StringSplitOptions.RemoveEmptyEntries)) r.StepAndDrain(AppendResp(ulong.Parse(a), 1, 1, index));
        Assert.Equal(committed, r.Node.Committed >= index);
        Assert.Equal(committed, r.Applied.Any(e => e.Index == index));
    }

    public static TheoryData<ulong[]> PrecedingLogs => new()
    {
        Array.Empty<ulong>(),
        new ulong[] { 2 },
        new ulong[] { 1, 2 },
        new ulong[] { 1 },
    };

    [Theory]
    [MemberData(nameof(PrecedingLogs))]
    public void S5_3_leader_commits_all_preceding_entries_with_its_own(ulong[] terms)
    {
        var log = Terms(terms);
        var r = new Replica(1, Three, log: log, hardState: new HardState(2, 0, 0));
        r.BecomeLeader(2);
        var index = r.Node.Propose(Bytes("some data")).Index;
        r.Drain();
        r.StepAndDrain(AppendResp(2, 1, 3, index));
        Assert.Equal(index, r.Node.Committed);
        var applied = r.Applied.Select(e => (e.Term, e.Index)).ToList();
        var expected = log.Select(e => (e.Term, e.Index)).Append((3UL, (ulong)log.Count + 1)).Append((3UL, index)).ToList();
        Assert.Equal(expected, applied);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 1)]
    [InlineData(3, 3)]
    public void S5_3_follower_commits_entries_up_to_the_leaders_commit(int count, int commit)
    {
        var r = new Replica(2, Three);
        var entries = Enumerable.Range(1, count).Select(i => E(1, (ulong)i, $"e{i}")).ToArray();
        var messages = r.StepAndDrain(Append(1, 2, 1, 0, 0, (ulong)commit, entries));
        Assert.Equal((ulong)commit, r.Node.Committed);
        Assert.Equal(entries.Take(commit), r.Applied);
        var ack = Assert.Single(messages);
        Assert.Equal((MessageType.AppendResponse, (ulong)count, false), (ack.Type, ack.Index, ack.Reject));
    }

    [Fact]
    public void S5_3_follower_commit_never_passes_the_entries_it_received()
    {
        var r = new Replica(2, Three);
        r.StepAndDrain(Append(1, 2, 1, 0, 0, 10, E(1, 1), E(1, 2)));
        Assert.Equal(2UL, r.Node.Committed);
        r.StepAndDrain(Heartbeat(1, 2, 1, 50));
        Assert.Equal(2UL, r.Node.Committed);
    }

    [Fact]
    public void S5_3_follower_acknowledges_an_append_only_after_it_is_durable()
    {
        var r = new Replica(2, Three);
        r.Step(Append(1, 2, 1, 0, 0, 0, E(1, 1)));
        var ready = r.Node.Ready();
        Assert.Empty(ready.Messages);
        var ack = Assert.Single(ready.PersistedMessages);
        Assert.Equal(MessageType.AppendResponse, ack.Type);
        Assert.Single(ready.Entries);
    }

    [Theory]
    // match with committed entries
    [InlineData(0, 0, 1, false, 0, 0)]
    [InlineData(1, 1, 1, false, 0, 0)]
    // match with uncommitted entries
    [InlineData(2, 2, 2, false, 0, 0)]
    // mismatch with an existing entry: hint points at the last entry of a term <= the probed one
    [InlineData(1, 2, 2, true, 1, 1)]
    // entry does not exist: hint is our last entry
    [InlineData(3, 3, 3, true, 2, 2)]
    public void S5_3_follower_checks_the_log_matching_property_before_appending(ulong logTerm, ulong index, ulong wantIndex, bool wantReject, ulong wantHint, ulong wantHintTerm)
    {
        var r = new Replica(2, Three, log: Terms(1, 2), hardState: new HardState(1, 0, 1));
        var messages = r.StepAndDrain(Append(1, 2, 3, index, logTerm, 1));
        var response = Assert.Single(messages);
        Assert.Equal(MessageType.AppendResponse, response.Type);
        Assert.Equal((wantIndex, wantReject), (response.Index, response.Reject));
        if (wantReject) Assert.Equal((wantHint, wantHintTerm), (response.RejectHint, response.LogTerm));
        Assert.Equal(2UL, r.Node.LastIndex);
    }

    public static TheoryData<ulong, ulong, object, (ulong, ulong)[], (ulong, ulong)[]> AppendCases => new()
    {
        { 2, 2, new[] { Entry.Normal(3, 3) }, [(1, 1), (2, 2), (3, 3)], [(3, 3)] },
        { 1, 1, new[] { Entry.Normal(3, 2), Entry.Normal(4, 3) }, [(1, 1), (3, 2), (4, 3)], [(3, 2), (4, 3)] },
        { 0, 0, new[] { Entry.Normal(1, 1) }, [(1, 1), (2, 2)], [] },
        { 0, 0, new[] { Entry.Normal(3, 1) }, [(3, 1)], [(3, 1)] },
    };

    [Theory]
    [MemberData(nameof(AppendCases))]
    public void S5_3_follower_appends_new_entries_and_truncates_conflicting_ones(ulong index, ulong logTerm, object entriesCase, (ulong, ulong)[] wantLog, (ulong, ulong)[] wantUnstable)
    {
        var entries = (Entry[])entriesCase;
        var r = new Replica(2, Three, log: [Entry.Normal(1, 1), Entry.Normal(2, 2)]);
        r.Step(Append(1, 2, 4, index, logTerm, 0, entries));
        Assert.Equal(wantLog, r.Log().Select(e => (e.Term, e.Index)));
        var ready = r.Node.Ready();
        Assert.Equal(wantUnstable, ready.Entries.Select(e => (e.Term, e.Index)));
        r.Persist(ready);
        r.Node.Advance(ready);
        Assert.Equal(wantLog, r.Storage.Entries(1, r.Storage.LastIndex() + 1, ulong.MaxValue).Select(e => (e.Term, e.Index)));
    }

    [Fact]
    public void S5_3_an_append_below_the_commit_index_is_answered_with_the_commit_index()
    {
        var r = new Replica(2, Three, log: Terms(1, 1, 1), hardState: new HardState(1, 0, 3));
        var response = Assert.Single(r.StepAndDrain(Append(1, 2, 1, 1, 1, 3, Entry.Normal(1, 2))));
        Assert.Equal((3UL, false), (response.Index, response.Reject));
        Assert.Equal(3UL, r.Node.LastIndex);
    }

    public static TheoryData<ulong[]> FollowerLogs => new()
    {
        new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6 },
        new ulong[] { 1, 1, 1, 4 },
        new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6 },
        new ulong[] { 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7 },
        new ulong[] { 1, 1, 1, 4, 4, 4, 4 },
        new ulong[] { 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3 },
        Array.Empty<ulong>(),
    };

    /// <summary>Figure 7: whatever the follower's log, the leader brings it in line with its own.</summary>
    [Theory]
    [MemberData(nameof(FollowerLogs))]
    public void S5_3_leader_brings_any_follower_log_in_line_with_its_own(ulong[] followerTerms)
    {
        ulong[] leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
        var cluster = new InMemoryCluster(3,
            id => Replica.Config(id),
            id => id switch
            {
                1 => Replica.NewStorage(Three, Terms(leaderTerms), new HardState(8, 0, 0)),
                2 => Replica.NewStorage(Three, Terms(followerTerms), new HardState(7, 0, 0)),
                _ => Replica.NewStorage(Three),
            });
        cluster.Isolate(3);
        cluster[1].Campaign();
        cluster.ProcessReadies();
        // Replica 3 votes (by hand) so the election does not depend on replica 2's log.
        cluster[1].Step(VoteResp(3, 1, 9));
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        cluster.Deliver();
        Assert.True(cluster.Propose(1, "final").Accepted);
        cluster.TickAll(3);
        var leaderLog = cluster[1].EntriesBetween(1, cluster[1].LastIndex + 1);
        Assert.Equal(leaderLog.Shape(), cluster[2].EntriesBetween(1, cluster[2].LastIndex + 1).Shape());
        Assert.Equal(cluster[1].LastIndex, cluster[1].Committed);
        Assert.Equal(cluster[1].Committed, cluster[2].Committed);
    }

    [Fact]
    public void S5_3_conflict_hints_let_the_leader_skip_a_whole_divergent_term_in_one_round_trip()
    {
        ulong[] leaderTerms = [1, 1, 1, .. Enumerable.Repeat(3UL, 7)];
        ulong[] followerTerms = [1, 1, 1, .. Enumerable.Repeat(2UL, 50)];
        var cluster = new InMemoryCluster(3,
            id => Replica.Config(id),
            id => id switch
            {
                1 => Replica.NewStorage(Three, Terms(leaderTerms), new HardState(3, 0, 0)),
                2 => Replica.NewStorage(Three, Terms(followerTerms), new HardState(2, 0, 0)),
                _ => Replica.NewStorage(Three),
            });
        cluster.Isolate(3);
        cluster[1].Campaign();
        cluster.ProcessReadies();
        cluster[1].Step(VoteResp(3, 1, 4));
        cluster.Deliver();
        cluster.TickAll(2);
        var rejections = cluster.Delivered.Count(m => m.Type == MessageType.AppendResponse && m.Reject && m.From == 2);
        Assert.InRange(rejections, 1, 2);
        Assert.Equal(cluster[1].EntriesBetween(1, cluster[1].LastIndex + 1).Shape(), cluster[2].EntriesBetween(1, cluster[2].LastIndex + 1).Shape());
        Assert.Equal(11UL, cluster[2].LastIndex);
    }

    [Fact]
    public void S5_3_leader_decrements_next_by_the_hint_and_retries_after_a_rejection()
    {
        var r = new Replica(1, Three, log: Terms(1, 1, 2, 2, 2), hardState: new HardState(2, 0, 0));
        r.BecomeLeader(2);
        // Follower 2 has only entries up to 2 (term 1).
        var messages = r.StepAndDrain(AppendResp(2, 1, 3, 5, reject: true, hint: 2, logTerm: 1));
        var retry = Assert.Single(messages.OfType(MessageType.Append));
        Assert.Equal((2UL, 2UL, 1UL), (retry.To, retry.Index, retry.LogTerm));
        Assert.Equal([3UL, 4UL, 5UL, 6UL], retry.Entries.Select(e => e.Index));
    }

    [Fact]
    public void S5_3_a_stale_rejection_is_ignored()
    {
        var r = new Replica(1, Three, log: Terms(1, 1, 1), hardState: new HardState(1, 0, 0));
        r.BecomeLeader(2);
        r.AckAll(2);
        Assert.Equal(ProgressState.Replicate, r.Node.Tracker.Progress[2].State);
        var messages = r.StepAndDrain(AppendResp(2, 1, 2, 2, reject: true, hint: 1, logTerm: 1));
        Assert.Empty(messages);
        Assert.Equal(ProgressState.Replicate, r.Node.Tracker.Progress[2].State);
        Assert.Equal(4UL, r.Node.Tracker.Progress[2].Match);
    }
}
