namespace AkkaRaft.Core.Raft;

/// <summary>How the leader currently replicates to a follower.</summary>
internal enum ProgressState : byte
{
    /// <summary>Unknown match: one append per heartbeat interval until the follower's position is found.</summary>
    Probe,
    /// <summary>Known match: appends are pipelined optimistically within the in-flight window.</summary>
    Replicate,
    /// <summary>Follower needs a snapshot; appends pause until it is applied or fails.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower (etcd's tracker.Progress).</summary>
internal sealed class Progress
{
    /// <summary>Creates progress for a peer with the given window.</summary>
    public Progress(ulong next, int maxInflight, ulong maxInflightBytes, bool isLearner)
    {
        Next = next;
        Inflights = new Inflights(maxInflight, maxInflightBytes);
        IsLearner = isLearner;
    }

    /// <summary>Highest index known to be replicated on the peer.</summary>
    public ulong Match { get; set; }
    /// <summary>Next index to send.</summary>
    public ulong Next { get; set; }
    /// <summary>Replication state.</summary>
    public ProgressState State { get; private set; } = ProgressState.Probe;
    /// <summary>Index of the snapshot being sent, while in <see cref="ProgressState.Snapshot"/>.</summary>
    public ulong PendingSnapshot { get; private set; }
    /// <summary>Peer was heard from since the last CheckQuorum round.</summary>
    public bool RecentActive { get; set; }
    /// <summary>Peer was heard from in the CheckQuorum round before the current one.</summary>
    public bool ActiveLastRound { get; set; }
    /// <summary>
    /// Heard from within the last one to two election timeouts: unlike <see cref="RecentActive"/>, not false just after a
    /// CheckQuorum round cleared it and before the peer's next answer.
    /// </summary>
    public bool Reachable => RecentActive || ActiveLastRound;

    /// <summary>Ends a CheckQuorum round: this round's activity becomes the last round's.</summary>
    public void EndActivityRound()
    {
        ActiveLastRound = RecentActive;
        RecentActive = false;
    }
    /// <summary>In probe state: an append was sent this heartbeat interval, wait for an answer.</summary>
    public bool ProbeSent { get; set; }
    /// <summary>Appends in flight.</summary>
    public Inflights Inflights { get; }
    /// <summary>Learners replicate but never vote.</summary>
    public bool IsLearner { get; set; }

    /// <summary>Goes back to probing from just after the match.</summary>
    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = Math.Max(Match + 1, pending + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    /// <summary>Starts pipelining after the match.</summary>
    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    /// <summary>Waits for the peer to apply a snapshot at <paramref name="snapshotIndex"/>.</summary>
    public void BecomeSnapshot(ulong snapshotIndex)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
    }

    /// <summary>The snapshot in flight was lost: probing restarts from the match.</summary>
    public void ForgetPendingSnapshot() => PendingSnapshot = 0;

    private void ResetState(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>Records that entries up to <paramref name="lastIndex"/> were sent.</summary>
    public void SentEntries(int count, ulong bytes, ulong lastIndex)
    {
        switch (State)
        {
            case ProgressState.Replicate:
                if (count > 0)
                {
                    Next = lastIndex + 1;
                    Inflights.Add(lastIndex, bytes);
                }
                break;
            case ProgressState.Probe:
                if (count > 0) ProbeSent = true;
                break;
            default:
                throw new InvalidOperationException($"sending entries in state {State}");
        }
    }

    /// <summary>Acknowledgement up to <paramref name="index"/>; false when it is stale.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>Handles a rejected append at <paramref name="rejected"/> with the peer's hint; false when the rejection is stale.</summary>
    public bool MaybeDecrTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            // Stale rejection of an append the peer has already acknowledged.
            if (rejected <= Match) return false;
            Next = Match + 1;
            return true;
        }
        // Probe: only the rejection of the last probe counts.
        if (Next - 1 != rejected) return false;
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>True when no append should be sent now.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    /// <inheritdoc />
    public override string ToString() => $"{State} match={Match} next={Next}" + (IsLearner ? " learner" : "") + (State == ProgressState.Snapshot ? $" pending={PendingSnapshot}" : "");
}
