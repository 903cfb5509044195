using System.Buffers.Binary;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

/// <summary>An answer the peer owes a requester.</summary>
internal readonly record struct PendingReply<TReplyTo>(TReplyTo ReplyTo, RaftReply Reply);

/// <summary>
/// Proposals waiting to be applied and reads waiting for their read index, bounded in count and in time (ticks).
/// Reads come in batches: those that arrive together share one ReadIndex request (one context, one heartbeat round).
/// Requesters are opaque tokens; the queue answers nobody itself, it returns who is owed which answer.
/// </summary>
internal sealed class PendingRequests<TReplyTo>
{
    private readonly ulong _groupId;
    private readonly int _maxProposals;
    private readonly int _maxReads;
    private readonly int _deadlineTicks;
    private readonly SortedDictionary<ulong, Proposal> _proposals = [];
    // Batches of reads whose shared ReadIndex was asked for, by batch id (their ReadIndex context).
    private readonly Dictionary<ulong, ReadBatch> _askedBatches = [];
    // Reads that arrived since the last flush; asked for together by one ReadIndex.
    private ReadBatch? _openBatch;
    private int _readCount;
    private ulong _nextBatchId;
    private long _now;

    private sealed record Proposal(ulong Term, TReplyTo ReplyTo, long Deadline, long StartedTimestamp);

    private sealed record Read(TReplyTo ReplyTo, Func<IRaftStateMachine, object?> Query, long Deadline);

    private sealed class ReadBatch(ulong id)
    {
        public ulong Id { get; } = id;
        public List<Read> Reads { get; } = [];
        public ulong? Index { get; set; }
    }

    /// <summary>Creates the queues; requests older than <paramref name="deadlineTicks"/> time out.</summary>
    public PendingRequests(ulong groupId, int maxProposals, int maxReads, int deadlineTicks)
    {
        _groupId = groupId;
        _maxProposals = maxProposals;
        _maxReads = maxReads;
        _deadlineTicks = deadlineTicks;
    }

    /// <summary>Requests waiting.</summary>
    public int Count => _proposals.Count + _readCount;

    /// <summary>False when the proposal queue is full (answer Busy).</summary>
    public bool CanAcceptProposal => _proposals.Count < _maxProposals;

    /// <summary>False when the read queue is full (answer Busy).</summary>
    public bool CanAcceptRead => _readCount < _maxReads;

    /// <summary>Remembers who waits for the entry at (index, term); returns the answer owed to a proposal it replaces.</summary>
    public PendingReply<TReplyTo>? AddProposal(ulong index, ulong term, TReplyTo replyTo)
    {
        PendingReply<TReplyTo>? replaced = null;
        // A new entry at an index replaces an older, overwritten one: that one was definitely dropped.
        if (_proposals.Remove(index, out var old))
        {
            replaced = new(old.ReplyTo, new ProposeFailed(_groupId, RaftFailure.Dropped, 0, $"entry {index} was overwritten by a new leader"));
        }
        _proposals[index] = new Proposal(term, replyTo, _now + _deadlineTicks, System.Diagnostics.Stopwatch.GetTimestamp());
        return replaced;
    }

    /// <summary>The entry at (index, term) was applied with <paramref name="result"/>: returns the answer owed to its proposer, if any.</summary>
    public PendingReply<TReplyTo>? Applied(ulong index, ulong term, object? result)
    {
        if (!_proposals.Remove(index, out var proposal)) return null;
        if (proposal.Term != term)
        {
            return new(proposal.ReplyTo, new ProposeFailed(_groupId, RaftFailure.Dropped, 0, $"entry {index} of term {proposal.Term} was replaced by term {term}"));
        }
        RaftMetrics.ProposalsApplied.Add(1, RaftMetrics.Group(_groupId));
        RaftMetrics.ProposalLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(proposal.StartedTimestamp).TotalMilliseconds, RaftMetrics.Group(_groupId));
        return new(proposal.ReplyTo, new ProposeSucceeded(_groupId, index, result));
    }

    /// <summary>
    /// Queues a read in the open batch (reads that arrived since the last <see cref="TakeOpenReadBatch"/>); returns true
    /// when it opened that batch, so the host must arrange a flush.
    /// </summary>
    public bool QueueRead(TReplyTo replyTo, Func<IRaftStateMachine, object?> query)
    {
        var opened = _openBatch is null;
        _openBatch ??= new ReadBatch(++_nextBatchId);
        _openBatch.Reads.Add(new Read(replyTo, query, _now + _deadlineTicks));
        _readCount++;
        return opened;
    }

    /// <summary>Reads queued and not yet asked for (the open batch).</summary>
    public int QueuedReads => _openBatch?.Reads.Count ?? 0;

    /// <summary>Closes the open batch and returns the one ReadIndex context its reads share (null: none queued).</summary>
    public byte[]? TakeOpenReadBatch()
    {
        if (_openBatch is not { } batch) return null;
        _openBatch = null;
        if (batch.Reads.Count == 0) return null;
        _askedBatches[batch.Id] = batch;
        var context = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(context, batch.Id);
        return context;
    }

    /// <summary>Forgets a batch that Raft refused or could not ask for; returns its requesters.</summary>
    public List<TReplyTo> RemoveReadBatch(byte[] context)
    {
        if (context.Length != 8 || !_askedBatches.Remove(BinaryPrimitives.ReadUInt64LittleEndian(context), out var batch)) return [];
        _readCount -= batch.Reads.Count;
        return batch.Reads.Select(r => r.ReplyTo).ToList();
    }

    /// <summary>Raft confirmed the read index for the batch of <paramref name="context"/>.</summary>
    public void ReadIndexConfirmed(byte[] context, ulong index)
    {
        if (context.Length == 8 && _askedBatches.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(context), out var batch)) batch.Index = index;
    }

    /// <summary>Removes and returns the reads whose batch's read index is applied, in arrival order.</summary>
    public List<(TReplyTo ReplyTo, Func<IRaftStateMachine, object?> Query)> ReadsReadyAt(ulong applied)
    {
        var ready = new List<(TReplyTo, Func<IRaftStateMachine, object?>)>();
        if (_askedBatches.Count == 0) return ready;
        foreach (var batch in _askedBatches.Values.Where(b => b.Index is { } i && i <= applied).OrderBy(b => b.Id).ToList())
        {
            _askedBatches.Remove(batch.Id);
            _readCount -= batch.Reads.Count;
            ready.AddRange(batch.Reads.Select(r => (r.ReplyTo, r.Query)));
        }
        return ready;
    }

    /// <summary>Advances time by one tick; returns the answers owed to the requests that timed out.</summary>
    public List<PendingReply<TReplyTo>> ExpireOneTick()
    {
        _now++;
        var expired = new List<PendingReply<TReplyTo>>();
        foreach (var (index, proposal) in _proposals.Where(p => p.Value.Deadline <= _now).ToList())
        {
            _proposals.Remove(index);
            expired.Add(new(proposal.ReplyTo, new ProposeFailed(_groupId, RaftFailure.OutcomeUnknown, 0, $"entry {index} not applied within {_deadlineTicks} ticks; outcome unknown")));
        }
        if (_readCount == 0) return expired;
        foreach (var batch in AllReadBatches())
        {
            var removed = batch.Reads.RemoveAll(read =>
            {
                if (read.Deadline > _now) return false;
                expired.Add(new(read.ReplyTo, new ProposeFailed(_groupId, RaftFailure.Timeout, 0, $"read not confirmed within {_deadlineTicks} ticks")));
                return true;
            });
            _readCount -= removed;
            // Every asked batch holds a read, so there are never more batches than reads (a late read state finds none).
            if (batch.Reads.Count == 0) _askedBatches.Remove(batch.Id);
        }
        return expired;
    }

    /// <summary>Removes every read (leadership lost) and returns their requesters.</summary>
    public List<TReplyTo> DropReads()
    {
        var requesters = AllReadBatches().SelectMany(b => b.Reads).Select(r => r.ReplyTo).ToList();
        _askedBatches.Clear();
        _openBatch = null;
        _readCount = 0;
        return requesters;
    }

    // Asked batches in id (arrival) order, then the open one.
    private IEnumerable<ReadBatch> AllReadBatches() =>
        _askedBatches.Values.OrderBy(b => b.Id).Concat(_openBatch is null ? [] : [_openBatch]).ToList();

    /// <summary>
    /// Removes everything and returns who waited: proposers (their entries are in the log, so their outcome is unknown)
    /// apart from readers (nothing was changed for them).
    /// </summary>
    public (List<TReplyTo> Proposers, List<TReplyTo> Readers) DropAll()
    {
        var proposers = _proposals.Values.Select(p => p.ReplyTo).ToList();
        _proposals.Clear();
        return (proposers, DropReads());
    }
}
