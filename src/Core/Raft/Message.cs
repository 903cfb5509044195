namespace AkkaRaft.Core.Raft;

/// <summary>Raft message kinds that travel between replicas.</summary>
internal enum MessageType : byte
{
    /// <summary>Leader → follower: log entries (possibly none) after (LogTerm, Index), with commit.</summary>
    Append = 1,
    /// <summary>Follower → leader: accepted up to Index, or rejected with a hint.</summary>
    AppendResponse = 2,
    /// <summary>Candidate → peer: vote for me in Term; my last log is (LogTerm, Index).</summary>
    Vote = 3,
    /// <summary>Peer → candidate: vote granted or rejected.</summary>
    VoteResponse = 4,
    /// <summary>Pre-candidate → peer: would you vote for me in Term (not yet entered)?</summary>
    PreVote = 5,
    /// <summary>Peer → pre-candidate: pre-vote answer.</summary>
    PreVoteResponse = 6,
    /// <summary>Leader → follower: liveness and commit (capped to the follower's match).</summary>
    Heartbeat = 7,
    /// <summary>Follower → leader: heartbeat acknowledged (carries read context).</summary>
    HeartbeatResponse = 8,
    /// <summary>Leader → follower: the whole state as of a snapshot.</summary>
    Snapshot = 9,
    /// <summary>Leader → transferee: start an election now, skipping PreVote and leases.</summary>
    TimeoutNow = 10,
    /// <summary>Follower → leader: asks for a read index for Context.</summary>
    ReadIndex = 11,
    /// <summary>Leader → follower: read index for Context.</summary>
    ReadIndexResponse = 12,
}

/// <summary>A Raft message between two replicas of one group. Immutable.</summary>
internal sealed record Message
{
    /// <summary>Kind of message.</summary>
    public required MessageType Type { get; init; }
    /// <summary>Destination replica id.</summary>
    public required ulong To { get; init; }
    /// <summary>Sender replica id.</summary>
    public required ulong From { get; init; }
    /// <summary>Sender's term (for PreVote, the term it would campaign in).</summary>
    public ulong Term { get; init; }
    /// <summary>Term of the entry at <see cref="Index"/> (appends, votes).</summary>
    public ulong LogTerm { get; init; }
    /// <summary>Log index the message is about.</summary>
    public ulong Index { get; init; }
    /// <summary>Entries carried by an append.</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];
    /// <summary>Leader's commit index.</summary>
    public ulong Commit { get; init; }
    /// <summary>Snapshot carried by <see cref="MessageType.Snapshot"/>.</summary>
    public Snapshot? Snapshot { get; init; }
    /// <summary>True when a request is refused.</summary>
    public bool Reject { get; init; }
    /// <summary>On a rejected append: the follower's best guess of where the logs may match.</summary>
    public ulong RejectHint { get; init; }
    /// <summary>Opaque context (read requests, campaign transfer marker).</summary>
    public byte[] Context { get; init; } = [];

    /// <summary>Approximate size in bytes, for batching limits.</summary>
    public ulong Size
    {
        get
        {
            ulong size = 64 + (ulong)Context.Length;
            foreach (var e in Entries) size += e.Size;
            if (Snapshot is not null) size += (ulong)Snapshot.Data.Length + 64;
            return size;
        }
    }

    /// <summary>True for the kinds that ask a peer to respond to a campaign.</summary>
    public bool IsVoteRequest => Type is MessageType.Vote or MessageType.PreVote;

    /// <summary>True for answers to a campaign.</summary>
    public bool IsVoteResponse => Type is MessageType.VoteResponse or MessageType.PreVoteResponse;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Type} {From}->{To} term={Term} logTerm={LogTerm} index={Index} commit={Commit} entries={Entries.Count}" +
        (Reject ? $" reject hint={RejectHint}" : "") + (Snapshot is null ? "" : $" snap@{Snapshot.Metadata.Index}");
}
