using System.Buffers.Binary;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

/// <summary>An answer the peer owes a requester.</summary>
public readonly record struct PendingReply<TReplyTo>(TReplyTo ReplyTo, RaftReply Reply);

/// <summary>
/// Proposals waiting to be applied and reads waiting for their read index, bounded in count and in time (ticks).
/// Requesters are opaque tokens; the queue answers nobody itself, it returns who is owed which answer.
/// </summary>
public sealed class PendingRequests<TReplyTo>
{
    private readonly ulong _groupId;
    private readonly int _maxProposals;
    private readonly int _maxReads;
    private readonly int _deadlineTicks;
    private readonly SortedDictionary<ulong, Proposal> _proposals = [];
    private readonly Dictionary<ulong, Read> _reads = [];
    private ulong _nextReadId;
    private long _now;

    private sealed record Proposal(ulong Term, TReplyTo ReplyTo, long Deadline, long StartedTimestamp);

    private sealed class Read(TReplyTo replyTo, Func<IRaftStateMachine, object?> query, long deadline)
    {
        public TReplyTo ReplyTo { get; } = replyTo;
        public Func<IRaftStateMachine, object?> Query { get; } = query;
        public long Deadline { get; } = deadline;
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
    public int Count => _proposals.Count + _reads.Count;

    /// <summary>False when the proposal queue is full (answer Busy).</summary>
    public bool CanAcceptProposal => _proposals.Count < _maxProposals;

    /// <summary>False when the read queue is full (answer Busy).</summary>
    public bool CanAcceptRead => _reads.Count < _maxReads;

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

    /// <summary>Registers a read; returns the context to pass to ReadIndex.</summary>
    public byte[] AddRead(TReplyTo replyTo, Func<IRaftStateMachine, object?> query)
    {
        var id = ++_nextReadId;
        _reads[id] = new Read(replyTo, query, _now + _deadlineTicks);
        var context = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(context, id);
        return context;
    }

    /// <summary>Forgets a read that Raft refused.</summary>
    public void RemoveRead(byte[] context)
    {
        if (context.Length == 8) _reads.Remove(BinaryPrimitives.ReadUInt64LittleEndian(context));
    }

    /// <summary>Raft confirmed the read index for <paramref name="context"/>.</summary>
    public void ReadIndexConfirmed(byte[] context, ulong index)
    {
        if (context.Length == 8 && _reads.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(context), out var read)) read.Index = index;
    }

    /// <summary>Removes and returns the reads whose index is applied, in arrival order.</summary>
    public List<(TReplyTo ReplyTo, Func<IRaftStateMachine, object?> Query)> ReadsReadyAt(ulong applied)
    {
        var ready = _reads.Where(r => r.Value.Index is { } i && i <= applied).OrderBy(r => r.Key).ToList();
        foreach (var (id, _) in ready) _reads.Remove(id);
        return ready.Select(r => (r.Value.ReplyTo, r.Value.Query)).ToList();
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
        foreach (var (id, read) in _reads.Where(r => r.Value.Deadline <= _now).ToList())
        {
            _reads.Remove(id);
            expired.Add(new(read.ReplyTo, new ProposeFailed(_groupId, RaftFailure.Timeout, 0, $"read not confirmed within {_deadlineTicks} ticks")));
        }
        return expired;
    }

    /// <summary>Removes every read (leadership lost) and returns their requesters.</summary>
    public List<TReplyTo> DropReads()
    {
        var requesters = _reads.OrderBy(r => r.Key).Select(r => r.Value.ReplyTo).ToList();
        _reads.Clear();
        return requesters;
    }

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
