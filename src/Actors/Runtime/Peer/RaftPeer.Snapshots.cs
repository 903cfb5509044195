using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

internal sealed partial class RaftPeer<TReplyTo>
{
    private ulong _snapshotIndexInJournal;
    private long _ticks;
    private readonly Dictionary<ulong, long> _snapshotSentAtTick = [];
    // Peers whose snapshot the node is streaming: the stream, not the tick timeout, decides whether it was lost.
    private readonly HashSet<ulong> _snapshotStreaming = [];

    /// <summary>The journal was deleted up to <paramref name="toSequenceNr"/>: after a destroy, the snapshots go too.</summary>
    public IReadOnlyList<PeerEffect> JournalDeleted(long toSequenceNr)
    {
        if (_tombstoned) _effects.Add(new DeleteSavedSnapshots(long.MaxValue));
        return Handled();
    }

    /// <summary>A snapshot was saved at <paramref name="sequenceNr"/>: the journal up to it and older snapshots are redundant.</summary>
    public IReadOnlyList<PeerEffect> SnapshotSaved(long sequenceNr)
    {
        // Everything up to the snapshot's sequence number is now redundant.
        _effects.Add(new DeleteJournal(sequenceNr));
        _effects.Add(new DeleteSavedSnapshots(sequenceNr - 1));
        return Handled();
    }

    /// <summary>
    /// Where a streamed snapshot of this group to <paramref name="toNode"/> stands. While it is queued or sending the group
    /// does not time it out; completed lets Raft probe on from it (etcd's SnapshotFinish); abandoned or rejected lets Raft
    /// send it again. A large snapshot may take longer than any fixed timeout, and restarting it each time means it never arrives.
    /// </summary>
    public IReadOnlyList<PeerEffect> SnapshotTransferUpdate(ulong toNode, SnapshotTransferState state)
    {
        if (!IsDestroyed) OnSnapshotTransferUpdate(toNode, state);
        return Handled();
    }

    private void OnSnapshotTransferUpdate(ulong toNode, SnapshotTransferState state)
    {
        // The peer with a snapshot in flight to that node: a node hosts one replica of a group, but may have hosted others
        // (removed since, still in the map) before.
        var peer = _snapshotSentAtTick.Keys.FirstOrDefault(p => p != _spec.PeerId && _peerNodes.TryGetValue(p, out var node) && node == toNode);
        if (peer == 0) return;
        switch (state)
        {
            case SnapshotTransferState.Queued or SnapshotTransferState.Sending:
                _snapshotStreaming.Add(peer);
                break;
            case SnapshotTransferState.Completed:
                // Every chunk arrived: Raft probes on from the snapshot. The follower may still be behind the log's start
                // then, when the log grew past the snapshot meanwhile: it gets the next one at once.
                _snapshotStreaming.Remove(peer);
                _snapshotSentAtTick.Remove(peer);
                Node.ReportSnapshot(peer, succeeded: true);
                break;
            case SnapshotTransferState.Abandoned or SnapshotTransferState.Rejected:
                Log(PeerLogLevel.Warning, $"[group {_spec.GroupId}] snapshot stream to peer {peer} {state}: sending it again");
                _snapshotStreaming.Remove(peer);
                _snapshotSentAtTick.Remove(peer);
                Node.ReportSnapshot(peer, succeeded: false);
                break;
            // Superseded: a newer snapshot to the same peer is streaming and reports for itself.
        }
    }

    /// <summary>
    /// A snapshot sent inline that got no answer for a long time was lost (a dropped batch, a restart): let Raft send it
    /// again. A streamed one is judged by its stream instead (<see cref="SnapshotTransferUpdate"/>).
    /// </summary>
    private void RetryLostSnapshots()
    {
        if (_snapshotSentAtTick.Count == 0) return;
        var timeoutTicks = _options.SnapshotTimeoutTicks;
        foreach (var (peer, sentAt) in _snapshotSentAtTick.ToList())
        {
            var stillWaiting = Node.Role == StateRole.Leader && Node.Tracker.Progress.TryGetValue(peer, out var progress) && progress.State == ProgressState.Snapshot;
            if (!stillWaiting)
            {
                _snapshotSentAtTick.Remove(peer);
                _snapshotStreaming.Remove(peer);
            }
            else if (_snapshotStreaming.Contains(peer))
            {
                _snapshotSentAtTick[peer] = _ticks;
            }
            else if (_ticks - sentAt > timeoutTicks)
            {
                Log(PeerLogLevel.Warning, $"[group {_spec.GroupId}] snapshot to peer {peer} unanswered for {timeoutTicks} ticks: sending it again");
                Node.ReportSnapshot(peer, succeeded: false);
                _snapshotSentAtTick.Remove(peer);
            }
        }
    }

    private void MaybeCompact()
    {
        var applied = _stateMachine.AppliedIndex;
        if (_spawning.Count > 0) return;
        SnapshotForNewPeer();
        if (_options.SnapshotEveryEntries <= 0 || applied < _snapshotIndexInJournal + (ulong)_options.SnapshotEveryEntries) return;
        var appliedInLog = Math.Min(applied, _storage.LastIndex());
        if (appliedInLog <= _storage.Snapshot().Metadata.Index) return;
        var raftSnapshot = _storage.CreateSnapshot(appliedInLog, Node.ConfState, _stateMachine.TakeSnapshot());
        var tail = appliedInLog < _storage.LastIndex() ? _storage.Entries(appliedInLog + 1, _storage.LastIndex() + 1, ulong.MaxValue) : [];
        _effects.Add(new SaveGroupSnapshot(new RaftGroupSnapshot(raftSnapshot, tail, _storage.HardState, new Dictionary<ulong, ulong>(_peerNodes))));
        var compactTo = LogCompactionPoint(appliedInLog);
        if (compactTo > _storage.FirstIndex() - 1) _storage.Compact(compactTo);
        _snapshotIndexInJournal = appliedInLog;
        Debug(() => $"[group {_spec.GroupId}] snapshot at {appliedInLog}, log compacted");
    }

    /// <summary>
    /// Where the in-memory log may be compacted to after a snapshot at <paramref name="appliedInLog"/>: a few entries are
    /// kept so slightly lagging followers catch up from the log, and a leader keeps what a recently active follower still
    /// needs — from its match, or from the snapshot it is being sent — up to follower-catch-up-log-bytes. Without that, a
    /// follower that took longer to receive a snapshot than the log took to grow past it would need another snapshot
    /// after every one, for ever.
    /// </summary>
    private ulong LogCompactionPoint(ulong appliedInLog)
    {
        var keep = (ulong)Math.Min(_options.SnapshotEveryEntries / 4, 1000);
        var compactTo = appliedInLog > keep ? appliedInLog - keep : 0;
        if (Node.Role != StateRole.Leader) return compactTo;
        var needed = compactTo;
        foreach (var (peer, progress) in Node.Tracker.Progress)
        {
            if (peer == _spec.PeerId || !progress.Reachable) continue;
            var from = progress.State == ProgressState.Snapshot ? progress.PendingSnapshot : progress.Match;
            if (from > 0) needed = Math.Min(needed, from);
        }
        // Entries after `needed` must still be in the log (compacted at most to it) for keeping them to help.
        if (needed >= compactTo || needed + 1 < _storage.FirstIndex()) return compactTo;
        // Keep entries (needed, compactTo] only while they fit the budget; past it the follower gets a snapshot instead.
        ulong bytes = 0;
        foreach (var entry in _storage.Entries(needed + 1, compactTo + 1, ulong.MaxValue)) bytes += entry.Size;
        return bytes <= (ulong)_options.FollowerCatchUpLogBytes ? needed : compactTo;
    }

    /// <summary>
    /// A replica added to the group is brought up by a snapshot, and a snapshot only installs on a replica its configuration
    /// includes (a newcomer ignores older ones). So the leader — the only replica that sends snapshots, after a restart or a
    /// leader change too — takes one in memory as soon as a member is missing from its latest snapshot's configuration:
    /// not journaled and no log compaction, because nothing but sending needs it, and writing the whole state once more on
    /// every replica would stall their journals.
    /// </summary>
    private void SnapshotForNewPeer()
    {
        if (Node.Role != StateRole.Leader) return;
        var covered = _storage.Snapshot().Metadata.ConfState;
        var current = Node.ConfState;
        if (current.Voters.Concat(current.Learners).All(m => covered.Voters.Contains(m) || covered.Learners.Contains(m)
            || covered.VotersOutgoing.Contains(m) || covered.LearnersNext.Contains(m))) return;
        var appliedInLog = Math.Min(_stateMachine.AppliedIndex, _storage.LastIndex());
        if (appliedInLog <= _storage.Snapshot().Metadata.Index) return;
        _storage.CreateSnapshot(appliedInLog, Node.ConfState, _stateMachine.TakeSnapshot());
        Debug(() => $"[group {_spec.GroupId}] snapshot at {appliedInLog} for a joining peer (in memory)");
    }
}
