using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>Limits of a node's outgoing snapshot transfers (akka-raft.snapshot).</summary>
/// <param name="ChunkBytes">Largest chunk.</param>
/// <param name="MaxBytesPerSecond">Chunk bytes per second over all transfers of the node; 0 means unlimited.</param>
/// <param name="WindowChunks">Unacknowledged chunks per transfer.</param>
/// <param name="AckTimeout">Without an ack for this long, a transfer resends from the receiver's next expected chunk.</param>
/// <param name="MaxOutgoingTransfers">Transfers sending at once.</param>
/// <param name="MaxQueuedTransfers">Transfers waiting for a slot.</param>
internal sealed record SnapshotStreamLimits(
    int ChunkBytes, long MaxBytesPerSecond, int WindowChunks, TimeSpan AckTimeout, int MaxOutgoingTransfers, int MaxQueuedTransfers)
{
    /// <summary>The limits configured in <paramref name="settings"/>.</summary>
    public static SnapshotStreamLimits From(RaftSettings settings) => new(
        settings.SnapshotChunkBytes, settings.SnapshotMaxBytesPerSecond, settings.SnapshotWindowChunks, settings.SnapshotAckTimeout,
        settings.SnapshotMaxOutgoingTransfers, settings.SnapshotMaxQueuedTransfers);
}

/// <summary>
/// Token bucket on a caller-supplied monotonic clock: fills at <c>bytesPerSecond</c> up to <see cref="Capacity"/>, starts full.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _bytesPerSecond;
    private double _tokens;
    private TimeSpan _last;

    /// <summary>Creates a full bucket at time <paramref name="now"/>.</summary>
    public TokenBucket(long bytesPerSecond, long capacity, TimeSpan now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _bytesPerSecond = bytesPerSecond;
        Capacity = capacity;
        _tokens = capacity;
        _last = now;
    }

    /// <summary>Most bytes the bucket holds (the largest burst).</summary>
    public long Capacity { get; }

    /// <summary>Takes <paramref name="bytes"/> if the bucket holds that many at <paramref name="now"/>.</summary>
    public bool TryTake(long bytes, TimeSpan now)
    {
        // Invariant: a request never exceeds the capacity, otherwise it could never be granted.
        if (bytes > Capacity) throw new InvalidOperationException($"{bytes} bytes can never be taken from a bucket of {Capacity}");
        Refill(now);
        if (_tokens < bytes) return false;
        _tokens -= bytes;
        return true;
    }

    /// <summary>How long from <paramref name="now"/> until <paramref name="bytes"/> can be taken (zero if now).</summary>
    public TimeSpan WaitFor(long bytes, TimeSpan now)
    {
        Refill(now);
        if (_tokens >= bytes) return TimeSpan.Zero;
        return TimeSpan.FromTicks((long)Math.Ceiling((bytes - _tokens) / _bytesPerSecond * TimeSpan.TicksPerSecond));
    }

    private void Refill(TimeSpan now)
    {
        if (now <= _last) return;
        _tokens = Math.Min(Capacity, _tokens + (now - _last).TotalSeconds * _bytesPerSecond);
        _last = now;
    }
}

/// <summary>A chunk the sender may put on the wire now.</summary>
/// <param name="ToNode">Destination node.</param>
/// <param name="Chunk">The chunk.</param>
/// <param name="Resend">Whether this chunk went out before.</param>
internal sealed record OutgoingChunk(ulong ToNode, SnapshotChunk Chunk, bool Resend);

/// <summary>
/// The sending side of streamed snapshot transfers, one per (destination node, transfer id): a window of unacknowledged
/// chunks per transfer, a token bucket shared by all transfers, and after an ack timeout a resend of the receiver's next
/// expected chunk (then of each further gap its acks reveal), never of the whole snapshot. No I/O and no timers: the caller polls it (after an offer, an ack, or when <see cref="NextWakeUp"/> says)
/// and sends what <see cref="Poll"/> returns.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="SnapshotStreamLimits.MaxOutgoingTransfers"/> send at once (round robin, one chunk each per
/// turn) and <see cref="SnapshotStreamLimits.MaxQueuedTransfers"/> wait. Past the queue, an offer is rejected: the snapshot
/// is dropped and recorded as <see cref="SnapshotTransferState.Rejected"/>; its group is told and Raft sends a snapshot
/// again on its next probe. The last <see cref="FinishedKept"/> finished
/// transfers are kept for operators.
/// </remarks>
internal sealed class OutgoingSnapshots
{
    /// <summary>Finished transfers kept for <see cref="Finished"/>.</summary>
    public const int FinishedKept = 16;

    /// <summary>Ack timeouts in a row without progress after which a transfer is abandoned.</summary>
    public const int MaxSilentAckTimeouts = 8;

    private readonly ulong _fromNode;
    private readonly SnapshotStreamLimits _limits;
    private readonly TimeProvider _clock;
    private readonly long _origin;
    private readonly TokenBucket? _bucket;
    private readonly List<Transfer> _sending = [];
    private readonly List<Transfer> _queued = [];
    private readonly Queue<SnapshotTransferProgress> _finished = new();
    private readonly List<SnapshotTransferProgress> _newlyFinished = [];
    private int _turn;

    /// <summary>Creates the sender of node <paramref name="fromNode"/>; <paramref name="clock"/> paces it and stamps progress.</summary>
    public OutgoingSnapshots(ulong fromNode, SnapshotStreamLimits limits, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.ChunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.WindowChunks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxOutgoingTransfers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxQueuedTransfers);
        _fromNode = fromNode;
        _limits = limits;
        _clock = clock;
        _origin = clock.GetTimestamp();
        // Bursts of at most 100 ms worth of the rate, and never less than one chunk.
        if (limits.MaxBytesPerSecond > 0) _bucket = new TokenBucket(limits.MaxBytesPerSecond, Math.Max(limits.ChunkBytes, limits.MaxBytesPerSecond / 10), Now);
    }

    private TimeSpan Now => _clock.GetElapsedTime(_origin);

    /// <summary>Transfers sending or queued, sending ones first.</summary>
    public IReadOnlyList<SnapshotTransferProgress> Active => [.. _sending.Concat(_queued).Select(t => t.Progress(null))];

    /// <summary>The last finished transfers, oldest first.</summary>
    public IReadOnlyList<SnapshotTransferProgress> Finished => [.. _finished];

    /// <summary>Transfers finished since the last call (for logging), oldest first.</summary>
    public IReadOnlyList<SnapshotTransferProgress> DrainFinished()
    {
        if (_newlyFinished.Count == 0) return [];
        var drained = _newlyFinished.ToList();
        _newlyFinished.Clear();
        return drained;
    }

    /// <summary>
    /// Offers the snapshot message <paramref name="snapshot"/> of group <paramref name="groupId"/> for node
    /// <paramref name="toNode"/>. The same snapshot again (a group's retry) continues the transfer in progress; a different
    /// one supersedes it. Returns the state of the transfer that carries it.
    /// </summary>
    public SnapshotTransferState Offer(ulong toNode, ulong groupId, ulong transferId, Message snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var identity = new SnapshotIdentity(snapshot.Term, snapshot.Snapshot?.Metadata.Index ?? 0, snapshot.Snapshot?.Metadata.Term ?? 0);
        var existing = _sending.Concat(_queued).FirstOrDefault(t => t.ToNode == toNode && t.GroupId == groupId);
        if (existing is not null)
        {
            if (existing.Identity == identity) return existing.State;
            Finish(existing, SnapshotTransferState.Superseded);
        }
        var now = Now;
        var transfer = new Transfer(toNode, groupId, transferId, identity, SnapshotChunker.Encode(snapshot), _limits.ChunkBytes, _clock.GetUtcNow());
        if (_sending.Count < _limits.MaxOutgoingTransfers)
        {
            Start(transfer, now);
        }
        else if (_queued.Count < _limits.MaxQueuedTransfers)
        {
            _queued.Add(transfer);
        }
        else
        {
            Finish(transfer, SnapshotTransferState.Rejected);
        }
        return transfer.State;
    }

    /// <summary>
    /// The receiver <paramref name="fromNode"/> holds every chunk of <paramref name="transferId"/> below
    /// <paramref name="nextIndex"/>. Returns false for an unknown transfer or an index out of range.
    /// </summary>
    public bool Acknowledge(ulong fromNode, ulong transferId, int nextIndex)
    {
        var transfer = _sending.Find(t => t.ToNode == fromNode && t.TransferId == transferId);
        if (transfer is null || nextIndex < 0 || nextIndex > transfer.Count) return false;
        var now = Now;
        if (nextIndex > transfer.Acked)
        {
            transfer.Acked = nextIndex;
            transfer.NextToSend = Math.Max(transfer.NextToSend, nextIndex);
            transfer.LastProgress = now;
            transfer.SilentTimeouts = 0;
            if (nextIndex >= transfer.RecoverUntil)
            {
                transfer.RecoverUntil = 0;
            }
            else
            {
                // A partial ack while recovering: every chunk sent before the resend has arrived (one ordered link), so the
                // receiver's next expected chunk was lost as well. Resend it now rather than after another timeout.
                transfer.Retransmit = nextIndex;
            }
        }
        else if (nextIndex < transfer.Acked)
        {
            // The receiver dropped its partial copy (its bounds): continue from what it still has.
            transfer.Acked = nextIndex;
            transfer.NextToSend = nextIndex;
            transfer.Retransmit = null;
            transfer.RecoverUntil = 0;
            transfer.LastProgress = now;
        }
        if (transfer.Acked == transfer.Count)
        {
            Finish(transfer, SnapshotTransferState.Completed);
            PromoteQueued(now);
        }
        return true;
    }

    /// <summary>Chunks that may go out now: within each transfer's window and the rate. Resends after ack timeouts first.</summary>
    public IReadOnlyList<OutgoingChunk> Poll()
    {
        var now = Now;
        foreach (var transfer in _sending.ToList())
        {
            if (transfer.InFlight == 0 || now - transfer.LastProgress < _limits.AckTimeout) continue;
            if (++transfer.SilentTimeouts >= MaxSilentAckTimeouts)
            {
                Finish(transfer, SnapshotTransferState.Abandoned);
                continue;
            }
            // Resend the receiver's next expected chunk only: it keeps the chunks past it, and its next ack says what is still missing.
            transfer.Retransmit = transfer.Acked;
            transfer.RecoverUntil = transfer.NextToSend;
            transfer.LastProgress = now;
        }
        PromoteQueued(now);

        var output = new List<OutgoingChunk>();
        var sentThisTurn = true;
        while (sentThisTurn && _sending.Count > 0)
        {
            sentThisTurn = false;
            for (var k = 0; k < _sending.Count; k++)
            {
                var transfer = _sending[(_turn + k) % _sending.Count];
                if (!CanSend(transfer)) continue;
                var size = transfer.ChunkSize(transfer.NextIndex);
                if (_bucket is not null && !_bucket.TryTake(size, now))
                {
                    // Out of tokens: the next poll starts with the transfer that missed its turn.
                    _turn = (_turn + k) % _sending.Count;
                    return output;
                }
                output.Add(transfer.Send(_fromNode, now));
                sentThisTurn = true;
            }
        }
        _turn = _sending.Count == 0 ? 0 : (_turn + 1) % _sending.Count;
        return output;
    }

    /// <summary>How long from now until <see cref="Poll"/> has something to do (tokens refilled or an ack timeout); null when idle.</summary>
    public TimeSpan? NextWakeUp()
    {
        var now = Now;
        TimeSpan? soonest = null;
        foreach (var transfer in _sending)
        {
            if (transfer.InFlight > 0) soonest = Min(soonest, transfer.LastProgress + _limits.AckTimeout - now);
            if (CanSend(transfer)) soonest = Min(soonest, _bucket?.WaitFor(transfer.ChunkSize(transfer.NextIndex), now) ?? TimeSpan.Zero);
        }
        return soonest is { } wait && wait < TimeSpan.Zero ? TimeSpan.Zero : soonest;
    }

    private static TimeSpan Min(TimeSpan? a, TimeSpan b) => a is { } x && x < b ? x : b;

    private bool CanSend(Transfer transfer) =>
        transfer.Retransmit is not null || (transfer.NextToSend < transfer.Count && transfer.InFlight < _limits.WindowChunks);

    private void Start(Transfer transfer, TimeSpan now)
    {
        transfer.State = SnapshotTransferState.Sending;
        transfer.LastProgress = now;
        _sending.Add(transfer);
    }

    private void PromoteQueued(TimeSpan now)
    {
        while (_sending.Count < _limits.MaxOutgoingTransfers && _queued.Count > 0)
        {
            var next = _queued[0];
            _queued.RemoveAt(0);
            Start(next, now);
        }
    }

    private void Finish(Transfer transfer, SnapshotTransferState state)
    {
        _sending.Remove(transfer);
        _queued.Remove(transfer);
        transfer.State = state;
        var record = transfer.Progress(_clock.GetUtcNow());
        _finished.Enqueue(record);
        while (_finished.Count > FinishedKept) _finished.Dequeue();
        // Drained after every poll or ack by the owner; bounded all the same.
        _newlyFinished.Add(record);
        if (_newlyFinished.Count > FinishedKept) _newlyFinished.RemoveAt(0);
    }

    private readonly record struct SnapshotIdentity(ulong MessageTerm, ulong Index, ulong Term);

    private sealed class Transfer(ulong toNode, ulong groupId, ulong transferId, SnapshotIdentity identity, byte[] encoded, int chunkBytes, DateTimeOffset startedAt)
    {
        public ulong ToNode { get; } = toNode;
        public ulong GroupId { get; } = groupId;
        public ulong TransferId { get; } = transferId;
        public SnapshotIdentity Identity { get; } = identity;
        public int Count { get; } = SnapshotChunker.CountOf(encoded.Length, chunkBytes);
        public SnapshotTransferState State { get; set; } = SnapshotTransferState.Queued;
        public int Acked { get; set; }
        public int NextToSend { get; set; }
        public TimeSpan LastProgress { get; set; }
        public int SilentTimeouts { get; set; }
        // A chunk to resend before anything new (the receiver's next expected one, after an ack timeout or a partial ack).
        public int? Retransmit { get; set; }
        // Recovering from a loss until the receiver holds every chunk below this (0: not recovering).
        public int RecoverUntil { get; set; }
        private int HighestSent { get; set; }
        private long BytesSent { get; set; }
        private int Resent { get; set; }

        public int InFlight => NextToSend - Acked;

        // The chunk the next send carries.
        public int NextIndex => Retransmit ?? NextToSend;

        public int ChunkSize(int index) => (int)Math.Min(chunkBytes, encoded.Length - (long)index * chunkBytes);

        public OutgoingChunk Send(ulong fromNode, TimeSpan now)
        {
            // The ack timeout runs from the moment the window stops being empty.
            if (InFlight == 0) LastProgress = now;
            int index;
            if (Retransmit is { } again)
            {
                index = again;
                Retransmit = null;
            }
            else
            {
                index = NextToSend++;
            }
            var resend = index < HighestSent;
            if (resend) Resent++;
            HighestSent = Math.Max(HighestSent, index + 1);
            var chunk = SnapshotChunker.Chunk(fromNode, GroupId, TransferId, encoded, index, chunkBytes);
            BytesSent += chunk.Data.Length;
            return new OutgoingChunk(ToNode, chunk, resend);
        }

        public SnapshotTransferProgress Progress(DateTimeOffset? finishedAt) => new(
            GroupId, ToNode, TransferId, State, BytesSent, Math.Min(encoded.Length, (long)Acked * chunkBytes), encoded.Length, Count,
            startedAt, finishedAt, Resent);
    }
}
