using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Raft paper §7: log compaction and InstallSnapshot.</summary>
public class SnapshotTests
{
    private static readonly ConfState Three = ConfState.OfVoters(1, 2, 3);

    /// <summary>A leader of term 2 whose log 1..10 (term 1) is compacted up to 5; follower 2 is in probe.</summary>
    private static Replica CompactedLeader()
    {
        var storage = Replica.NewStorage([1, 2, 3], Terms(Enumerable.Repeat(1UL, 10).ToArray()), new HardState(1, 0, 10));
        storage.CreateSnapshot(5, Three, Bytes("state@5"));
        storage.Compact(5);
        return new Replica(1, storage, c => c with { Applied = 10 });
    }

    [Fact]
    public void A_follower_behind_the_compacted_log_is_sent_the_snapshot()
    {
        var r = CompactedLeader();
        r.BecomeLeader(2);
        var messages = r.StepAndDrain(AppendResp(2, 1, 2, 10, reject: true, hint: 0, logTerm: 0));
        var snap = Assert.Single(messages.OfType(MessageType.Snapshot));
        Assert.Equal((2UL, 5UL, 1UL), (snap.To, snap.Snapshot!.Metadata.Index, snap.Snapshot.Metadata.Term));
        Assert.Equal("state@5", System.Text.Encoding.UTF8.GetString(snap.Snapshot.Data));
        var progress = r.Node.Tracker.Progress[2];
        Assert.Equal((ProgressState.Snapshot, 5UL), (progress.State, progress.PendingSnapshot));
        // Paused: no appends while the snapshot is in flight.
        r.Node.Propose(Bytes("x"));
        Assert.DoesNotContain(r.Drain(), m => m.To == 2 && m.Type == MessageType.Append);
    }

    [Fact]
    public void Failed_snapshot_report_returns_the_follower_to_probe_from_its_match()
    {
        var r = CompactedLeader();
        r.BecomeLeader(2);
        r.StepAndDrain(AppendResp(2, 1, 2, 10, reject: true));
        r.Node.ReportSnapshot(2, succeeded: false);
        var progress = r.Node.Tracker.Progress[2];
        Assert.Equal((ProgressState.Probe, 1UL, true), (progress.State, progress.Next, progress.ProbeSent));
    }

    [Fact]
    public void Successful_snapshot_report_probes_just_after_the_snapshot()
    {
        var r = CompactedLeader();
        r.BecomeLeader(2);
        r.StepAndDrain(AppendResp(2, 1, 2, 10, reject: true));
        r.Node.ReportSnapshot(2, succeeded: true);
        var progress = r.Node.Tracker.Progress[2];
        Assert.Equal((ProgressState.Probe, 6UL), (progress.State, progress.Next));
        // The next heartbeat response resumes probing after the snapshot.
        var messages = r.StepAndDrain(HeartbeatResp(2, 1, 2));
        var probe = Assert.Single(messages.OfType(MessageType.Append));
        Assert.Equal(5UL, probe.Index);
    }

    [Fact]
    public void The_snapshot_acknowledgement_resumes_replication()
    {
        var r = CompactedLeader();
        r.BecomeLeader(2);
        r.StepAndDrain(AppendResp(2, 1, 2, 10, reject: true));
        var messages = r.StepAndDrain(AppendResp(2, 1, 2, 5));
        Assert.Equal(ProgressState.Replicate, r.Node.Tracker.Progress[2].State);
        var append = Assert.Single(messages.OfType(MessageType.Append));
        Assert.Equal(5UL, append.Index);
        Assert.Equal(Enumerable.Range(6, 6).Select(i => (ulong)i), append.Entries.Select(e => e.Index));
    }

    /// <summary>Regression (simulator seed 6474): the leader waited for the snapshot to be reported lost before sending the newer one.</summary>
    [Fact]
    public void A_follower_that_installed_a_snapshot_the_log_was_compacted_past_meanwhile_is_sent_the_newer_one_at_once()
    {
        var r = CompactedLeader();
        r.BecomeLeader(2);
        r.StepAndDrain(AppendResp(2, 1, 2, 10, reject: true));
        r.Storage.CreateSnapshot(8, Three, Bytes("state@8"));
        r.Storage.Compact(8);

        var messages = r.StepAndDrain(AppendResp(2, 1, 2, 5));
        var snap = Assert.Single(messages.OfType(MessageType.Snapshot));
        Assert.Equal((2UL, 8UL), (snap.To, snap.Snapshot!.Metadata.Index));
        var progress = r.Node.Tracker.Progress[2];
        Assert.Equal((ProgressState.Snapshot, 8UL, 5UL), (progress.State, progress.PendingSnapshot, progress.Match));
    }

    [Fact]
    public void Follower_restores_a_newer_snapshot_and_acknowledges_it_after_persisting()
    {
        var r = new Replica(2, [1, 2, 3]);
        var result = r.Step(Snap(1, 2, 3, 11, 2, ConfState.OfVoters(1, 2)));
        Assert.Equal(StepStatus.Processed, result.Status);
        var ready = r.Node.Ready();
        Assert.Equal(11UL, ready.Snapshot!.Metadata.Index);
        Assert.Empty(ready.Messages);
        var ack = Assert.Single(ready.PersistedMessages);
        Assert.Equal((MessageType.AppendResponse, 11UL, false), (ack.Type, ack.Index, ack.Reject));
        Assert.Empty(ready.CommittedEntries);
        r.Persist(ready);
        r.Node.Advance(ready);
        Assert.Equal((11UL, 11UL, 11UL), (r.Node.Committed, r.Node.Applied, r.Node.LastIndex));
        Assert.Equal(2UL, r.Node.TermAt(11));
        Assert.True(r.Node.ConfState.SameAs(ConfState.OfVoters(1, 2)));
        Assert.Equal(12UL, r.Node.FirstIndex);
    }

    [Fact]
    public void A_snapshot_not_newer_than_the_commit_index_is_ignored_with_a_reason()
    {
        var r = new Replica(2, [1, 2, 3], log: Terms(1, 1, 1, 1, 1), hardState: new HardState(1, 0, 5));
        var result = r.Step(Snap(1, 2, 1, 3, 1, Three));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("not newer than committed 5", result.Reason);
        var ack = Assert.Single(r.Drain());
        Assert.Equal((5UL, false), (ack.Index, ack.Reject));
        Assert.Equal(5UL, r.Node.LastIndex);
    }

    [Fact]
    public void A_snapshot_that_matches_the_log_only_moves_the_commit_index()
    {
        var r = new Replica(2, [1, 2, 3], log: Terms(1, 1, 1, 1, 1), hardState: new HardState(1, 0, 1));
        var result = r.Step(Snap(1, 2, 1, 3, 1, Three));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("already covered", result.Reason);
        Assert.Equal(3UL, r.Node.Committed);
        Assert.Equal(5UL, r.Node.LastIndex);
    }

    [Fact]
    public void A_snapshot_whose_membership_excludes_this_replica_is_ignored()
    {
        var r = new Replica(3, [1, 2, 3]);
        var result = r.Step(Snap(1, 3, 1, 10, 1, ConfState.OfVoters(1, 2)));
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("does not include replica 3", result.Reason);
        Assert.Equal(0UL, r.Node.LastIndex);
    }

    [Fact]
    public void A_snapshot_message_without_a_snapshot_is_ignored()
    {
        var r = new Replica(2, [1, 2, 3]);
        var result = r.Step(new Message { Type = MessageType.Snapshot, From = 1, To = 2, Term = 1 });
        Assert.Equal(StepStatus.Ignored, result.Status);
    }

    [Fact]
    public void Lagging_follower_catches_up_through_InstallSnapshot_after_compaction()
    {
        var cluster = new InMemoryCluster(3, id => Replica.Config(id));
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 10; i++) cluster.Propose(1, $"x{i}");
        var applied = cluster[1].Applied;
        var storage = cluster.Storages[1];
        storage.CreateSnapshot(applied, cluster[1].ConfState, Bytes("state"));
        storage.Compact(applied);
        cluster.Heal();
        cluster.TickAll(3);
        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.Snapshot && m.To == 3);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(applied, cluster.Storages[3].Snapshot().Metadata.Index);
        Assert.True(cluster.Propose(1, "after").Accepted);
        cluster.TickAll(1);
        Assert.Equal(["after"], cluster.AppliedData(3)); // earlier ones came inside the snapshot
        Assert.Equal(cluster[1].Committed, cluster[3].Committed);
    }

    [Fact]
    public void A_restarted_replica_resumes_from_its_snapshot_and_log()
    {
        var storage = Replica.NewStorage([1, 2, 3], Terms(1, 1, 1, 1, 1, 2, 2), new HardState(2, 0, 7));
        storage.CreateSnapshot(4, Three, Bytes("s"));
        storage.Compact(4);
        var r = new Replica(2, storage, c => c with { Applied = 4 });
        Assert.Equal((5UL, 7UL, 7UL), (r.Node.FirstIndex, r.Node.LastIndex, r.Node.Committed));
        Assert.Equal(1UL, r.Node.TermAt(4));
        Assert.Null(r.Node.TermAt(3));
        r.Drain();
        Assert.Equal([5UL, 6UL, 7UL], r.Applied.Select(e => e.Index));
    }
}
