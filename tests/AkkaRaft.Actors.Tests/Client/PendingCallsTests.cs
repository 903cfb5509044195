using Akka.Actor;
using AkkaRaft.Actors.Client;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Client;

/// <summary>The router's table of calls waiting for replies by id: bounded, timed out on its clock, deaf to late or unknown replies.</summary>
public sealed class PendingCallsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Sweep = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _clock = new();

    private sealed record Answer(long RequestId, string Text) : ICorrelatedReply;

    private PendingCalls<Answer> Table(int capacity = 4) => new(capacity, Sweep, _clock);

    private static (long Id, Task<Answer?> Reply) Start(PendingCalls<Answer> calls, CancellationToken ct = default)
    {
        Assert.True(calls.TryStart(Timeout, ct, out var id, out var reply), "the table refused a call");
        return (id, reply);
    }

    [Fact]
    public async Task A_reply_ends_the_call_with_it_and_frees_its_place()
    {
        var calls = Table();
        var (id, reply) = Start(calls);

        Assert.True(calls.Complete(id, new Answer(id, "ok")));

        Assert.Equal("ok", (await reply)!.Text);
        Assert.Equal(0, calls.Count);
    }

    [Fact]
    public async Task A_call_without_a_reply_ends_with_no_answer_once_its_timeout_passed_and_not_before()
    {
        var calls = Table();
        var (_, reply) = Start(calls);

        _clock.Advance(Timeout - Sweep);
        Assert.False(reply.IsCompleted, "ended before its timeout");
        _clock.Advance(Sweep * 2);

        Assert.Null(await reply.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, calls.Count);
    }

    [Fact]
    public async Task A_reply_that_arrives_after_the_timeout_is_dropped_and_the_caller_keeps_its_no_answer()
    {
        var calls = Table();
        var (id, reply) = Start(calls);
        _clock.Advance(Timeout + Sweep);
        Assert.Null(await reply.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.False(calls.Complete(id, new Answer(id, "late")));

        Assert.Null(await reply);
        Assert.Equal(1, calls.Dropped);
    }

    [Fact]
    public void A_reply_for_an_id_no_call_was_given_is_dropped_and_leaves_waiting_calls_alone()
    {
        var calls = Table();
        var (id, reply) = Start(calls);

        Assert.False(calls.Complete(id + 1000, new Answer(id + 1000, "stray")));
        Assert.False(calls.Complete(0, new Answer(0, "uncorrelated")));

        Assert.False(reply.IsCompleted);
        Assert.Equal((1, 2L), (calls.Count, calls.Dropped));
    }

    [Fact]
    public void A_full_table_refuses_a_call_without_registering_it_until_a_place_frees()
    {
        var calls = Table(capacity: 2);
        var (first, _) = Start(calls);
        Start(calls);

        Assert.False(calls.TryStart(Timeout, default, out _, out var refused));
        Assert.True(refused.IsCompleted);
        Assert.Equal(2, calls.Count);

        calls.Complete(first, new Answer(first, "ok"));
        Start(calls);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task A_call_whose_caller_gives_up_ends_cancelled_and_frees_its_place()
    {
        var calls = Table();
        using var giveUp = new CancellationTokenSource();
        var (id, reply) = Start(calls, giveUp.Token);

        giveUp.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reply.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, calls.Count);
        Assert.False(calls.Complete(id, new Answer(id, "late")));
    }

    [Fact]
    public async Task A_call_started_after_the_table_went_idle_still_times_out()
    {
        var calls = Table();
        var (id, _) = Start(calls);
        calls.Complete(id, new Answer(id, "ok"));
        _clock.Advance(Sweep * 3); // idle: the sweeper stops

        var (_, reply) = Start(calls);
        _clock.Advance(Timeout + Sweep);

        Assert.Null(await reply.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_inbox_hands_a_reply_to_the_call_with_its_id_and_drops_one_nobody_waits_for()
    {
        var calls = Table();
        var inbox = Sys.ActorOf(ClientInbox<Answer>.Props(calls));
        var (id, reply) = Start(calls);

        inbox.Tell(new Answer(id + 7, "stray"));
        inbox.Tell(new Answer(id, "ok"));

        Assert.Equal("ok", (await reply.WaitAsync(TimeSpan.FromSeconds(10)))!.Text);
        AwaitAssert(() => Assert.Equal(1, calls.Dropped), TimeSpan.FromSeconds(10));
    }
}
