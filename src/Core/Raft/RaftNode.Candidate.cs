namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    private void BecomePreCandidate()
    {
        // Invariant: a leader never pre-campaigns.
        if (Role == StateRole.Leader) throw new InvalidOperationException("invalid transition [leader -> pre-candidate]");
        // Term and vote do not change: a pre-campaign must not disrupt anyone.
        Tracker.ResetVotes();
        Leader = 0;
        Role = StateRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (Role == StateRole.Leader) throw new InvalidOperationException("invalid transition [leader -> candidate]");
        Reset(Term + 1);
        Vote = Id;
        Role = StateRole.Candidate;
    }

    private void CampaignPre()
    {
        BecomePreCandidate();
        SolicitVotes(MessageType.PreVote, Term + 1, transfer: false);
    }

    private void CampaignElection(bool transfer)
    {
        BecomeCandidate();
        SolicitVotes(MessageType.Vote, Term, transfer);
    }

    private void SolicitVotes(MessageType type, ulong term, bool transfer)
    {
        if (Poll(Id, true) == VoteResult.Won)
        {
            // Single voter: won without asking anyone.
            if (type == MessageType.PreVote) CampaignElection(transfer); else BecomeLeader();
            return;
        }
        var lastIndex = _log.LastIndex();
        var lastTerm = _log.LastTerm();
        foreach (var id in Tracker.VoterIds())
        {
            if (id == Id) continue;
            // Vote requests leave only once our own term and vote are durable: a crash before that must not leave peers voting for a candidate that forgot its vote.
            Send(new Message
            {
                Type = type, To = id, From = Id, Term = term, Index = lastIndex, LogTerm = lastTerm,
                Context = transfer ? CampaignTransferContext : [],
            }, afterPersist: true);
        }
    }

    private VoteResult Poll(ulong from, bool granted)
    {
        Tracker.RecordVote(from, granted);
        return Tracker.TallyVotes().Result;
    }

    private StepResult StepCandidate(Message m)
    {
        var myResponse = Role == StateRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                return StepResult.Processed;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                return StepResult.Processed;
            case MessageType.Snapshot:
                BecomeFollower(m.Term, m.From);
                return HandleSnapshot(m);
            case var t when t == myResponse:
                if (!Tracker.Config.IsVoter(m.From)) return StepResult.Ignore($"vote from non-voter {m.From}");
                switch (Poll(m.From, !m.Reject))
                {
                    case VoteResult.Won:
                        if (Role == StateRole.PreCandidate)
                        {
                            CampaignElection(transfer: false);
                        }
                        else
                        {
                            BecomeLeader();
                            BroadcastAppend();
                        }
                        break;
                    case VoteResult.Lost:
                        BecomeFollower(Term, 0);
                        break;
                }
                return StepResult.Processed;
            case MessageType.TimeoutNow:
                return StepResult.Ignore("TimeoutNow while campaigning");
            default:
                return StepResult.Ignore($"{m.Type} from {m.From} has no meaning for a {Role}");
        }
    }
}
