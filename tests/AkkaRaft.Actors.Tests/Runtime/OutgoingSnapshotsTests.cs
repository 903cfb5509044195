using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>The sender of streamed snapshots on a manual clock: window, pacing, resume, bounds, progress.</summary>
public sealed class OutgoingSnapshotsTests
{
    private const int Chunk = 10_000;
    private static readonly TimeSpan AckTimeout = TimeSpan.FromMilliseconds(500);

    private readonly ManualClock _clock = new();

    private static SnapshotStreamLimits Limits(long bytesPerSecond = 0, int window = 4, int outgoing = 4, int queued = 16) =>
        new(Chunk, bytesPerSecond, window, AckTimeout, outgoing, queued);

    [Fact]
    public void Token_bucket_starts_full_refills_at_its_rate_and_never_exceeds_its_capacity()
    {
        var bucket = new TokenBucket(bytesPerSecond: 1000, capacity: 500, TimeSpan.Zero);
        Assert.True(bucket.TryTake(500, TimeSpan.Zero));
        Assert.False(bucket.TryTake(1, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.WaitFor(200, TimeSpan.Zero));
        Assert.False(bucket.TryTake(200, TimeSpan.FromMilliseconds(199)));
        Assert.True(bucket.TryTake(200, TimeSpan.FromMilliseconds(200)));
        // An hour idle refills to the capacity, not beyond.
        Assert.True(bucket.TryTake(500, TimeSpan.FromHours(1)));
        Assert.False(bucket.TryTake(1, TimeSpan.FromHours(1)));
        Assert.Throws<InvalidOperationException>(() => bucket.TryTake(501, TimeSpan.FromHours(2)));
    }

    [Fact]
    public void A_transfer_keeps_at_most_a_window_of_chunks_unacknowledged()
    {
        var sender = new OutgoingSnapshots(1, Limits(window: 3), _clock);
        Assert.Equal(SnapshotTransferState.Sending, sender.Offer(2, 7, 100, SnapshotMessage(95_000)));

        Assert.Equal([0, 1, 2], sender.Poll().Select(c => c.Chunk.Index));
        Assert.Empty(sender.Poll());
        Assert.True(sender.Acknowledge(2, 100, 2));
        Assert.Equal([3, 4], sender.Poll().Select(c => c.Chunk.Index));
        Assert.Empty(sender.Poll());

        var progress = Assert.Single(sender.Active);
        Assert.Equal((7UL, 2UL, 100UL, 5 * Chunk, 2 * Chunk), (progress.GroupId, progress.ToNode, progress.TransferId, progress.BytesSent, progress.BytesAcknowledged));
        Assert.Equal(10, progress.ChunkCount);
        Assert.Equal(_clock.GetUtcNow(), progress.StartedAt);
    }

    [Fact]
    public void Pacing_holds_the_sent_bytes_to_the_rate_plus_one_burst_and_wakes_up_when_tokens_are_back()
    {
        const long rate = 100_000; // 10 chunks per second; burst = max(chunk, rate / 10) = one chunk
        var sender = new OutgoingSnapshots(1, Limits(bytesPerSecond: rate, window: 8), _clock);
        sender.Offer(2, 7, 1, SnapshotMessage(2_000_000));
        long sent = 0;
        var start = _clock.Elapsed;
        while (_clock.Elapsed - start < TimeSpan.FromSeconds(3))
        {
            foreach (var chunk in sender.Poll())
            {
                sent += chunk.Chunk.Data.Length;
                sender.Acknowledge(2, 1, chunk.Chunk.Index + 1); // a perfect link: every chunk acknowledged at once
            }
            var elapsed = (_clock.Elapsed - start).TotalSeconds;
            Assert.True(sent <= Chunk + rate * elapsed + 1, $"{sent} bytes after {elapsed:F3} s exceed the rate");
            var wait = sender.NextWakeUp();
            Assert.NotNull(wait);
            Assert.True(wait > TimeSpan.Zero, "nothing to wait for although the bucket is empty");
            _clock.Advance(wait!.Value);
        }
        // Not slower than the rate either: after 3 s at 10 chunks/s about 30 chunks went out.
        Assert.InRange(sent, 29 * Chunk, 31 * Chunk);
    }

    [Fact]
    public void A_lost_chunk_is_resent_from_the_receivers_next_expected_index_after_the_ack_timeout()
    {
        var sender = new OutgoingSnapshots(1, Limits(window: 4), _clock);
        sender.Offer(2, 7, 1, SnapshotMessage(95_000));
        Assert.Equal([0, 1, 2, 3], sender.Poll().Select(c => c.Chunk.Index));
        // Chunks 1 and 3 are lost: the receiver acknowledges 0, then keeps saying it expects 1.
        sender.Acknowledge(2, 1, 1);
        Assert.Equal([4], sender.Poll().Select(c => c.Chunk.Index));
        sender.Acknowledge(2, 1, 1);
        sender.Acknowledge(2, 1, 1);
        Assert.Empty(sender.Poll());
        Assert.Equal(AckTimeout, sender.NextWakeUp());

        _clock.Advance(AckTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty(sender.Poll());
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var resent = Assert.Single(sender.Poll());
        Assert.Equal((1, true), (resent.Chunk.Index, resent.Resend));
        // The receiver now holds 0..2 and 4: the partial ack reveals the next gap, resent at once without another timeout.
        sender.Acknowledge(2, 1, 3);
        var next = sender.Poll();
        Assert.Equal([(3, true), (5, false), (6, false)], next.Select(c => (c.Chunk.Index, c.Resend)));
        sender.Acknowledge(2, 1, 7);
        Assert.Equal([7, 8, 9], sender.Poll().Select(c => c.Chunk.Index));
        Assert.Equal(2, Assert.Single(sender.Active).ChunksResent);
    }

    [Fact]
    public void A_lossy_link_delivers_the_snapshot_by_resuming_never_by_restarting()
    {
        var message = SnapshotMessage(300_000);
        var sender = new OutgoingSnapshots(1, Limits(window: 4), _clock);
        var receiver = new SnapshotAssembler(maxTransfers: 8, maxBytes: 1L << 30, maxSnapshotBytes: 1L << 30, Chunk);
        sender.Offer(2, 7, 1, message);
        var dropped = new HashSet<int>();
        Message? whole = null;
        for (var round = 0; whole is null && round < 1_000; round++)
        {
            foreach (var outgoing in sender.Poll())
            {
                var chunk = outgoing.Chunk;
                // Every fifth chunk is lost the first time it is sent.
                if (chunk.Index % 5 == 2 && dropped.Add(chunk.Index)) continue;
                whole ??= receiver.Add(chunk);
                sender.Acknowledge(2, 1, receiver.NextIndex(1, 1));
            }
            _clock.Advance(sender.NextWakeUp() ?? TimeSpan.Zero);
        }

        Assert.NotNull(whole);
        Assert.Equal(message.Snapshot!.Data, whole!.Snapshot!.Data);
        var done = Assert.Single(sender.Finished);
        Assert.Equal(SnapshotTransferState.Completed, done.State);
        Assert.Empty(sender.Active);
        Assert.Equal(done.TotalBytes, done.BytesAcknowledged);
        // Exactly the lost chunks went out again, not the snapshot.
        Assert.Equal(dropped.Count, done.ChunksResent);
        Assert.Equal(done.TotalBytes + dropped.Count * Chunk, done.BytesSent);
    }

    [Fact]
    public void A_receiver_that_lost_its_partial_copy_is_served_from_the_index_it_reports()
    {
        var sender = new OutgoingSnapshots(1, Limits(window: 4), _clock);
        sender.Offer(2, 7, 1, SnapshotMessage(95_000));
        sender.Poll();
        sender.Acknowledge(2, 1, 4);
        Assert.Equal([4, 5, 6, 7], sender.Poll().Select(c => c.Chunk.Index));
        // The receiver's bounds evicted the transfer; the chunk it got next starts a new copy that has nothing below 0.
        sender.Acknowledge(2, 1, 0);
        Assert.Equal([0, 1, 2, 3], sender.Poll().Select(c => c.Chunk.Index));
    }

    [Fact]
    public void Transfers_past_the_slots_wait_in_the_queue_and_past_the_queue_are_rejected()
    {
        var sender = new OutgoingSnapshots(1, Limits(outgoing: 1, queued: 1), _clock);
        Assert.Equal(SnapshotTransferState.Sending, sender.Offer(2, 7, 1, SnapshotMessage(15_000)));
        Assert.Equal(SnapshotTransferState.Queued, sender.Offer(2, 8, 2, SnapshotMessage(15_000)));
        Assert.Equal(SnapshotTransferState.Rejected, sender.Offer(3, 9, 3, SnapshotMessage(15_000)));
        Assert.Equal(SnapshotTransferState.Rejected, Assert.Single(sender.Finished).State);

        Assert.All(sender.Poll(), c => Assert.Equal(1UL, c.Chunk.TransferId));
        sender.Acknowledge(2, 1, 2);
        Assert.Equal([SnapshotTransferState.Rejected, SnapshotTransferState.Completed], sender.Finished.Select(t => t.State));
        var next = Assert.Single(sender.Active);
        Assert.Equal((2UL, SnapshotTransferState.Sending), (next.TransferId, next.State));
        Assert.All(sender.Poll(), c => Assert.Equal(2UL, c.Chunk.TransferId));
    }

    [Fact]
    public void The_same_snapshot_offered_again_continues_the_transfer_and_a_newer_one_supersedes_it()
    {
        var sender = new OutgoingSnapshots(1, Limits(window: 2), _clock);
        var first = SnapshotMessage(95_000);
        sender.Offer(2, 7, 1, first);
        sender.Poll();
        sender.Acknowledge(2, 1, 2);

        Assert.Equal(SnapshotTransferState.Sending, sender.Offer(2, 7, 2, first));
        Assert.Equal(1UL, Assert.Single(sender.Active).TransferId);

        var newer = first with { Snapshot = first.Snapshot! with { Metadata = first.Snapshot.Metadata with { Index = 500 } } };
        sender.Offer(2, 7, 3, newer);
        Assert.Equal(3UL, Assert.Single(sender.Active).TransferId);
        Assert.Equal((1UL, SnapshotTransferState.Superseded), sender.Finished.Select(t => (t.TransferId, t.State)).Single());
        Assert.False(sender.Acknowledge(2, 1, 4));
    }

    [Fact]
    public void A_receiver_that_never_answers_is_given_up_after_a_bounded_number_of_ack_timeouts()
    {
        var sender = new OutgoingSnapshots(1, Limits(window: 2), _clock);
        sender.Offer(2, 7, 1, SnapshotMessage(95_000));
        var polls = 0;
        while (sender.Active.Count > 0 && polls++ < 100)
        {
            sender.Poll();
            _clock.Advance(sender.NextWakeUp() ?? TimeSpan.Zero);
        }
        var given = Assert.Single(sender.Finished);
        Assert.Equal(SnapshotTransferState.Abandoned, given.State);
        // The first poll sends the window; each further one is an ack timeout.
        Assert.Equal(OutgoingSnapshots.MaxSilentAckTimeouts + 1, polls);
        Assert.Null(sender.NextWakeUp());
    }

    [Fact]
    public void Finished_transfers_are_kept_for_operators_up_to_a_bound()
    {
        var sender = new OutgoingSnapshots(1, Limits(), _clock);
        for (ulong t = 1; t <= OutgoingSnapshots.FinishedKept + 5; t++)
        {
            sender.Offer(2, t, t, SnapshotMessage(5_000));
            sender.Poll();
            Assert.True(sender.Acknowledge(2, t, 1));
        }
        Assert.Equal(OutgoingSnapshots.FinishedKept, sender.Finished.Count);
        Assert.Equal(6UL, sender.Finished[0].TransferId);
        Assert.Equal(OutgoingSnapshots.FinishedKept, sender.DrainFinished().Count);
        Assert.Empty(sender.DrainFinished());
    }

    [Fact]
    public void Transfers_share_the_rate_turn_by_turn()
    {
        var sender = new OutgoingSnapshots(1, Limits(bytesPerSecond: 40_000, window: 8), _clock);
        sender.Offer(2, 7, 1, SnapshotMessage(200_000));
        sender.Offer(3, 8, 2, SnapshotMessage(200_000));
        var transfers = new List<ulong>();
        for (var i = 0; i < 20; i++)
        {
            foreach (var chunk in sender.Poll())
            {
                transfers.Add(chunk.Chunk.TransferId);
                sender.Acknowledge(chunk.ToNode, chunk.Chunk.TransferId, chunk.Chunk.Index + 1);
            }
            _clock.Advance(sender.NextWakeUp()!.Value);
        }
        Assert.True(transfers.Count >= 10);
        Assert.InRange(transfers.Count(t => t == 1) - transfers.Count(t => t == 2), -1, 1);
    }

    internal static Message SnapshotMessage(int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        return new Message
        {
            Type = MessageType.Snapshot, From = 1, To = 2, Term = 3,
            Snapshot = new Snapshot(new SnapshotMetadata(120, 3, ConfState.OfVoters(1, 2, 3)), data),
        };
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TimeSpan Elapsed { get; private set; }

    public void Advance(TimeSpan by) => Elapsed += by;

    public override DateTimeOffset GetUtcNow() => Epoch + Elapsed;

    public override long GetTimestamp() => Elapsed.Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}
