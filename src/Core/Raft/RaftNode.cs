namespace AkkaRaft.Core.Raft;

/// <summary>
/// One replica of one Raft group as a pure state machine (the etcd-io/raft model): no I/O, no clock, no threads.
/// Drive it with <see cref="Tick"/>, <see cref="Step"/> and the client calls; collect work with
/// <see cref="Ready"/>, perform it, then <see cref="Advance"/>.
/// </summary>
internal sealed partial class RaftNode
{
    private static readonly byte[] CampaignTransferContext = "CampaignTransfer"u8.ToArray();

    private readonly RaftConfig _config;
    private readonly Random _random;
    private readonly RaftLog _log;
    private readonly List<Message> _messages = [];
    private readonly List<Message> _persistedMessages = [];

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    /// <summary>Builds a replica from durable storage; throws <see cref="RaftConfigException"/> on bad settings.</summary>
    public RaftNode(RaftConfig config, IRaftStorage storage)
    {
        config.Validate();
        _config = config;
        _random = new Random(config.RandomSeed);
        Id = config.Id;
        _log = new RaftLog(storage, config.MaxApplyBytes);
        Tracker = new ProgressTracker(config.MaxInflightMessages, config.MaxInflightBytes);
        _pendingReads = new PendingReads(config.MaxPendingReads);

        var (hardState, confState) = storage.InitialState();
        ApplyConfState(confState);
        if (!hardState.IsEmpty)
        {
            // Invariant: a durable commit index lies inside the durable log; otherwise the storage is corrupt.
            if (hardState.Commit < _log.Committed || hardState.Commit > _log.LastIndex())
            {
                throw new InvalidOperationException(
                    $"replica {Id}: stored commit {hardState.Commit} is out of range [{_log.Committed}, {_log.LastIndex()}]");
            }
            _log.CommitTo(hardState.Commit);
            Term = hardState.Term;
            Vote = hardState.Vote;
        }
        if (config.Applied > 0) _log.AppliedTo(config.Applied);
        BecomeFollower(Term, 0);
        if (_config.FirstElectionTimeoutTicks > 0 && Term == 0 && _log.LastIndex() == 0) _randomizedElectionTimeout = _config.FirstElectionTimeoutTicks;
        _previousHardState = CurrentHardState;
        _previousSoftState = CurrentSoftState;
    }

    /// <summary>This replica's id.</summary>
    public ulong Id { get; }
    /// <summary>Current term.</summary>
    public ulong Term { get; private set; }
    /// <summary>Whom this replica voted for in <see cref="Term"/> (0 = nobody).</summary>
    public ulong Vote { get; private set; }
    /// <summary>Known leader (0 = unknown).</summary>
    public ulong Leader { get; private set; }
    /// <summary>Current role.</summary>
    public StateRole Role { get; private set; }
    /// <summary>Membership and per-peer progress (meaningful on the leader).</summary>
    public ProgressTracker Tracker { get; private set; }
    /// <summary>Replica being handed leadership, or 0.</summary>
    public ulong LeadTransferee { get; private set; }
    /// <summary>Highest committed index known here.</summary>
    public ulong Committed => _log.Committed;
    /// <summary>Highest index handed out for applying and acknowledged by Advance.</summary>
    public ulong Applied => _log.Applied;
    /// <summary>Last index of the log (durable or not).</summary>
    public ulong LastIndex => _log.LastIndex();
    /// <summary>First index still in the log.</summary>
    public ulong FirstIndex => _log.FirstIndex();
    /// <summary>Term of the entry at <paramref name="index"/>; 0 past the end, null when compacted.</summary>
    public ulong? TermAt(ulong index) => _log.Term(index);
    /// <summary>Current membership.</summary>
    public ConfState ConfState => Tracker.Config.ToConfState();
    /// <summary>True while this replica is a learner in its own view of the membership.</summary>
    public bool IsLearner => Tracker.Config.Learners.Contains(Id);
    /// <summary>Current hard state.</summary>
    public HardState CurrentHardState => new(Term, Vote, _log.Committed);
    /// <summary>Current soft state.</summary>
    public SoftState CurrentSoftState => new(Leader, Role);
    /// <summary>The settings this replica runs with.</summary>
    public RaftConfig Config => _config;

    /// <summary>Entries in [low, high) of the log, for inspection and tests.</summary>
    public IReadOnlyList<Entry> EntriesBetween(ulong low, ulong high) => _log.Slice(low, high, ulong.MaxValue);

    /// <summary>Advances logical time by one tick.</summary>
    public void Tick()
    {
        if (Role == StateRole.Leader) TickHeartbeat(); else TickElection();
    }

    /// <summary>Starts an election now (as if the election timeout elapsed).</summary>
    public void Campaign() => Hup(transfer: false);

    /// <summary>Processes a message from a peer. Unexpected input is ignored with a reason, never corrupts state.</summary>
    public StepResult Step(Message m)
    {
        if (m.To != Id) return StepResult.Ignore($"addressed to {m.To}, this is {Id}");
        if (m.From == 0 || m.From == Id) return StepResult.Ignore($"invalid sender {m.From}");
        if (m.Type == MessageType.Append && WhyMalformedAppend(m) is { } defect)
        {
            // Checked before the term: a malformed append must not move this replica's term or leader either.
            return StepResult.Ignore($"malformed append from {m.From}: {defect}");
        }

        if (m.Term > Term)
        {
            if (m.IsVoteRequest)
            {
                var force = m.Context.AsSpan().SequenceEqual(CampaignTransferContext);
                var inLease = _config.CheckQuorum && Leader != 0 && _electionElapsed < _config.ElectionTicks;
                if (!force && inLease)
                {
                    // §4.2.3: a replica that heard from a leader recently ignores vote requests, so removed or partitioned peers cannot disrupt.
                    return StepResult.Ignore($"vote request from {m.From} at term {m.Term} while leader {Leader} holds a lease");
                }
            }
            switch (m.Type)
            {
                case MessageType.PreVote:
                    break; // never change term on a pre-vote request
                case MessageType.PreVoteResponse when !m.Reject:
                    break; // granted pre-votes carry the future term; the term changes only if the pre-campaign wins
                default:
                    var fromLeader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot;
                    BecomeFollower(m.Term, fromLeader ? m.From : 0);
                    break;
            }
        }
        else if (m.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && m.Type is MessageType.Heartbeat or MessageType.Append)
            {
                // Tell a stale leader about the newer term so it steps down; otherwise it could loop forever under PreVote/CheckQuorum.
                Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term }, afterPersist: false);
            }
            else if (m.Type == MessageType.PreVote)
            {
                Send(new Message { Type = MessageType.PreVoteResponse, To = m.From, From = Id, Term = Term, Reject = true }, afterPersist: false);
            }
            return StepResult.Ignore($"{m.Type} from {m.From} at stale term {m.Term} (current {Term})");
        }

        if (m.IsVoteRequest) return HandleVoteRequest(m);

        return Role switch
        {
            StateRole.Leader => StepLeader(m),
            StateRole.Candidate or StateRole.PreCandidate => StepCandidate(m),
            _ => StepFollower(m),
        };
    }

    /// <summary>Why an append cannot come from a correct leader: entries not contiguous after (Index, LogTerm), or of a later term than the message.</summary>
    private static string? WhyMalformedAppend(Message m)
    {
        if (RaftLog.WhyNotFollowing(m.Index, m.LogTerm, m.Entries) is { } defect) return defect;
        if (m.Entries.Count > 0 && m.Entries[^1].Term > m.Term) return $"entry {m.Entries[^1].Index} has term {m.Entries[^1].Term}, above the message's term {m.Term}";
        if (m.LogTerm > m.Term) return $"previous entry's term {m.LogTerm} is above the message's term {m.Term}";
        return null;
    }

    private StepResult HandleVoteRequest(Message m)
    {
        var responseType = m.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
        var canVote = Vote == m.From
            || (Vote == 0 && Leader == 0)
            || (m.Type == MessageType.PreVote && m.Term > Term);
        if (RanksAboveSimultaneousPreCandidate(m))
        {
            Send(new Message { Type = responseType, To = m.From, From = Id, Term = Term, Reject = true }, afterPersist: true);
            // It is campaigning, so it no longer honours a leader's lease: ask again in case it ignored our request earlier.
            Send(new Message { Type = MessageType.PreVote, To = m.From, From = Id, Term = Term + 1, Index = _log.LastIndex(), LogTerm = _log.LastTerm() }, afterPersist: true);
            return StepResult.Processed;
        }
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // A granted pre-vote answers with the candidate's future term so it is not dropped as stale.
            Send(new Message { Type = responseType, To = m.From, From = Id, Term = m.Term }, afterPersist: true);
            if (m.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
            return StepResult.Processed;
        }
        Send(new Message { Type = responseType, To = m.From, From = Id, Term = Term, Reject = true }, afterPersist: true);
        return StepResult.Processed;
    }

    /// <summary>
    /// Two replicas pre-campaigning at once for the same term (survivors of a lost leader, told at the same moment) would
    /// grant each other, both stand and split the vote, costing a whole election timeout. So a pre-candidate grants
    /// another only if that one's log is ahead of its own, or as far with a higher id: of simultaneous pre-candidates only
    /// the first in that order wins its peers. Pre-votes carry no safety; only who stands changes.
    /// </summary>
    private bool RanksAboveSimultaneousPreCandidate(Message m)
    {
        if (m.Type != MessageType.PreVote || Role != StateRole.PreCandidate || m.Term != Term + 1) return false;
        var aheadOfMe = m.LogTerm > _log.LastTerm() || (m.LogTerm == _log.LastTerm() && m.Index > _log.LastIndex());
        return !aheadOfMe && m.From < Id;
    }

    private void Send(Message m, bool afterPersist)
    {
        // Invariant: a replica never sends to itself; self-acknowledgement goes through Advance.
        if (m.To == Id) throw new InvalidOperationException($"replica {Id} tried to send {m.Type} to itself");
        (afterPersist ? _persistedMessages : _messages).Add(m);
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = 0;
        }
        Leader = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        LeadTransferee = 0;
        Tracker.ResetVotes();
        var last = _log.LastIndex();
        foreach (var (id, progress) in Tracker.Progress)
        {
            var fresh = new Progress(last + 1, Tracker.MaxInflight, Tracker.MaxInflightBytes, progress.IsLearner);
            if (id == Id) fresh.Match = StableLastIndex();
            Tracker.Progress[id] = fresh;
        }
        _pendingConfIndex = 0;
        _uncommittedBytes = 0;
        _pendingReads.Clear();
        _readIndexWaitingForCommit.Clear();
        // A new term or role starts without a lease: a leader earns it with its first confirmed heartbeat round.
        _leaseConfirmed = false;
        _timeoutNowSentThisTerm = false;
    }

    /// <summary>Last index known durable and matching the current log.</summary>
    private ulong StableLastIndex()
    {
        if (_log.Unstable.Snapshot is not null) return 0;
        return Math.Min(_log.Storage.LastIndex(), _log.Unstable.Offset - 1);
    }

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);

    private bool PastElectionTimeout => _electionElapsed >= _randomizedElectionTimeout;

    /// <summary>Can this replica become leader: a voter, with no snapshot waiting to be persisted.</summary>
    private bool Promotable => Tracker.Progress.ContainsKey(Id) && Tracker.Config.IsVoter(Id) && _log.Unstable.Snapshot is null;

    private void BecomeFollower(ulong term, ulong leader)
    {
        Reset(term);
        Leader = leader;
        Role = StateRole.Follower;
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (Promotable && PastElectionTimeout)
        {
            _electionElapsed = 0;
            Hup(transfer: false);
        }
    }

    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                if (!Tracker.QuorumActive(Id))
                {
                    BecomeFollower(Term, 0);
                    return;
                }
                foreach (var (id, progress) in Tracker.Progress)
                {
                    if (id != Id) progress.EndActivityRound();
                }
            }
            // A transfer that did not finish within an election timeout is abandoned.
            if (Role == StateRole.Leader && LeadTransferee != 0) LeadTransferee = 0;
        }
        if (Role != StateRole.Leader) return;
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(_pendingReads.LastContext());
        }
    }

    private void Hup(bool transfer)
    {
        if (Role == StateRole.Leader) return;
        if (!Promotable) return;
        if (HasUnappliedConfChange()) return; // campaigning could use a membership that is about to change
        if (_config.PreVote && !transfer) CampaignPre(); else CampaignElection(transfer);
    }

    private bool HasUnappliedConfChange()
    {
        if (_log.Committed <= _log.Applied) return false;
        var low = Math.Max(_log.Applied + 1, _log.FirstIndex());
        return _log.Slice(low, _log.Committed + 1, ulong.MaxValue).Any(e => e.Type == EntryType.ConfChange);
    }

    /// <inheritdoc />
    public override string ToString() => $"replica {Id} {Role} term={Term} vote={Vote} leader={Leader} {_log}";
}
