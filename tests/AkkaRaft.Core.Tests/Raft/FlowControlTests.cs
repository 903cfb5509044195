using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Replication flow control: probe vs replicate, the in-flight window, message size limits.</summary>
public class FlowControlTests
{
    private static Replica Leader(Func<RaftConfig, RaftConfig>? configure = null, bool replicate = true)
    {
        var r = new Replica(1, [1, 2, 3], configure);
        r.BecomeLeader(2);
        if (replicate) r.AckAll(2, 3);
        return r;
    }

    private static List<Message> AppendsTo(IEnumerable<Message> messages, ulong to) =>
        [.. messages.Where(m => m.Type == MessageType.Append && m.To == to && m.Entries.Count > 0)];

    [Fact]
    public void Replicate_state_pipelines_appends_up_to_the_inflight_window()
    {
        var r = Leader(c => c with { MaxInflightMessages = 3 });
        Assert.Equal(ProgressState.Replicate, r.Node.Tracker.Progress[2].State);
        var sent = new List<Message>();
        for (var i = 0; i < 6; i++)
        {
            r.Node.Propose(Bytes($"p{i}"));
            sent.AddRange(r.Drain());
        }
        Assert.Equal(3, AppendsTo(sent, 2).Count);
        Assert.True(r.Node.Tracker.Progress[2].Inflights.Full);
        // An acknowledgement frees the window and the rest follows in one append.
        var ack = AppendsTo(sent, 2)[0].Entries[^1].Index;
        var more = AppendsTo(r.StepAndDrain(AppendResp(2, 1, 1, ack)), 2);
        var follow = Assert.Single(more);
        Assert.Equal([5UL, 6UL, 7UL], follow.Entries.Select(e => e.Index));
    }

    [Fact]
    public void Probe_state_sends_at_most_one_append_until_the_follower_answers()
    {
        var r = Leader(replicate: false);
        Assert.Equal(ProgressState.Probe, r.Node.Tracker.Progress[2].State);
        Assert.True(r.Node.Tracker.Progress[2].ProbeSent);
        var sent = new List<Message>();
        for (var i = 0; i < 3; i++)
        {
            r.Node.Propose(Bytes($"p{i}"));
            sent.AddRange(r.Drain());
        }
        Assert.Empty(AppendsTo(sent, 2));
        // A heartbeat response unpauses the probe: exactly one append goes out.
        var after = r.StepAndDrain(HeartbeatResp(2, 1, 1));
        Assert.Single(after, m => m.Type == MessageType.Append && m.To == 2);
    }

    [Fact]
    public void Probe_state_becomes_replicate_on_the_first_successful_answer()
    {
        var r = Leader(replicate: false);
        r.StepAndDrain(AppendResp(2, 1, 1, 1));
        var progress = r.Node.Tracker.Progress[2];
        Assert.Equal(ProgressState.Replicate, progress.State);
        Assert.Equal((1UL, 2UL), (progress.Match, progress.Next));
    }

    [Fact]
    public void Append_messages_are_bounded_by_MaxSizePerMessage_but_carry_at_least_one_entry()
    {
        var r = Leader(c => c with { MaxSizePerMessage = 300, MaxInflightMessages = 100 });
        r.Node.ReportUnreachable(2); // back to probe so proposals pile up
        r.Drain();
        for (var i = 0; i < 6; i++) r.Node.Propose(new byte[100]); // 124 bytes each
        r.Node.Propose(new byte[1000]);
        r.Drain();
        var appends = AppendsTo(r.StepAndDrain(AppendResp(2, 1, 1, 1)), 2);
        Assert.All(appends, m => Assert.True(m.Entries.Count == 1 || m.Entries.Sum(e => (long)e.Size) <= 300));
        Assert.Equal(Enumerable.Range(2, 7).Select(i => (ulong)i), appends.SelectMany(m => m.Entries).Select(e => e.Index));
        Assert.Contains(appends, m => m.Entries.Count == 1 && m.Entries[0].Data.Length == 1000);
        Assert.True(appends.Count >= 4);
    }

    [Fact]
    public void Inflight_bytes_limit_pauses_replication()
    {
        var r = Leader(c => c with { MaxSizePerMessage = 200, MaxInflightBytes = 400, MaxInflightMessages = 100 });
        var sent = new List<Message>();
        for (var i = 0; i < 10; i++)
        {
            r.Node.Propose(new byte[100]);
            sent.AddRange(r.Drain());
        }
        var appends = AppendsTo(sent, 2);
        Assert.InRange(appends.Sum(m => m.Entries.Sum(e => (long)e.Size)), 400, 400 + 200);
        Assert.True(r.Node.Tracker.Progress[2].IsPaused);
    }

    [Fact]
    public void ReportUnreachable_moves_a_replicating_follower_back_to_probe()
    {
        var r = Leader();
        r.Node.ReportUnreachable(2);
        Assert.Equal(ProgressState.Probe, r.Node.Tracker.Progress[2].State);
        Assert.Equal(r.Node.Tracker.Progress[2].Match + 1, r.Node.Tracker.Progress[2].Next);
    }

    [Fact]
    public void A_rejection_in_replicate_state_falls_back_to_probing_from_the_match()
    {
        var r = Leader();
        for (var i = 0; i < 3; i++) { r.Node.Propose(Bytes($"p{i}")); r.Drain(); }
        var messages = r.StepAndDrain(AppendResp(2, 1, 1, 4, reject: true, hint: 1, logTerm: 1));
        Assert.Equal(ProgressState.Probe, r.Node.Tracker.Progress[2].State);
        var retry = Assert.Single(messages.OfType(MessageType.Append));
        Assert.Equal(1UL, retry.Index);
    }
}
