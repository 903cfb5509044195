using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

internal sealed partial class RaftPeer<TReplyTo>
{
    // Set once this replica has been destroyed (its region moved away): it never runs again.
    private bool _tombstoned;
    // The tombstone being written: from then on the replica does no Raft work.
    private TombstoneWrite? _tombstone;

    /// <summary>Recovery: the latest saved snapshot (journaled at <paramref name="sequenceNr"/>) comes first, if there is one.</summary>
    public IReadOnlyList<PeerEffect> RecoverSnapshot(RaftGroupSnapshot snapshot, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _storage.ApplySnapshot(snapshot.Snapshot);
        _storage.Append(snapshot.Tail);
        _storage.SetHardState(snapshot.HardState);
        _durableCommit = snapshot.HardState.Commit;
        _stateMachine.Restore(snapshot.Snapshot.Data, snapshot.Snapshot.Metadata.Index);
        MergePeers(snapshot.PeerNodes);
        _snapshotIndexInJournal = snapshot.Snapshot.Metadata.Index;
        Debug(() => $"[group {_spec.GroupId}] recovering from snapshot {sequenceNr} at index {_snapshotIndexInJournal}");
        return Finish();
    }

    /// <summary>Recovery: one journaled write, in journal order.</summary>
    public IReadOnlyList<PeerEffect> RecoverWrite(RaftLogWritten written)
    {
        ArgumentNullException.ThrowIfNull(written);
        ApplyToStorage(written.HardState, written.Entries, written.Snapshot);
        if (written.HardState is { } hardState) _durableCommit = Math.Max(_durableCommit, hardState.Commit);
        // A journaled snapshot (installed from a leader, or a split group's initial state) is the state machine's too.
        if (written.Snapshot is { } installed && installed.Metadata.Index > _stateMachine.AppliedIndex)
            _stateMachine.Restore(installed.Data, installed.Metadata.Index);
        MergePeers(written.PeerNodes);
        return Finish();
    }

    /// <summary>Recovery: the journal holds a tombstone; the replica will not start.</summary>
    public IReadOnlyList<PeerEffect> RecoverTombstone()
    {
        _tombstoned = true;
        return Finish();
    }

    /// <summary>
    /// Recovery is over: the replica starts (a group born from existing state first makes that state durable, when
    /// <paramref name="journalEmpty"/>), or reports that it is tombstoned.
    /// </summary>
    public IReadOnlyList<PeerEffect> RecoveryCompleted(bool journalEmpty)
    {
        if (_tombstoned)
        {
            Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] replica {_spec.PeerId} was destroyed earlier (tombstone): not starting");
            _effects.Add(new ReportStarted(Tombstoned: true));
        }
        else if (_spec.Bootstrap is { } bootstrap && journalEmpty && _stateMachine.AppliedIndex == bootstrap.Index)
        {
            PersistBootstrapThenStart(bootstrap);
        }
        else
        {
            StartNode();
        }
        return Finish();
    }

    /// <summary>
    /// The region moved away from this replica: a tombstone is journaled (so a late create or message cannot bring it
    /// back), then everything before it and every snapshot are deleted. Refused while the replica is still a voter unless
    /// <paramref name="force"/>. From the moment it is accepted the replica does no more Raft work and writes nothing else.
    /// </summary>
    public IReadOnlyList<PeerEffect> Destroy(bool force, TReplyTo requester)
    {
        if (_tombstoned)
        {
            Reply(requester, new GroupDestroyed(_spec.GroupId, _spec.PeerId, Destroyed: true, "destroyed"));
        }
        else if (_tombstone is not null)
        {
            _tombstone.Requesters.Add(requester);
        }
        else if (_node is not null && _node.ConfState.Voters.Contains(_spec.PeerId) && !force)
        {
            Reply(requester, new GroupDestroyed(_spec.GroupId, _spec.PeerId, Destroyed: false, $"replica {_spec.PeerId} is still a voter of {_node.ConfState}"));
        }
        else
        {
            FailAllPending("replica destroyed");
            _tombstone = new TombstoneWrite(NextWriteId(), [requester]);
            Write(_tombstone, new GroupTombstone(_spec.PeerId), inputsWait: true);
        }
        return Finish();
    }

    private void OnTombstoneDurable(TombstoneWrite tombstone, long sequenceNr)
    {
        // Snapshots go only once the journal before the tombstone is gone (JournalDeleted): a crash in between must not leave
        // journal events whose prefix was in a deleted snapshot, which recovery could not replay.
        _effects.Add(new DeleteJournal(sequenceNr - 1));
        _tombstoned = true;
        Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] replica {_spec.PeerId} destroyed: journal and snapshots deleted, tombstone kept");
        foreach (var requester in tombstone.Requesters)
        {
            Reply(requester, new GroupDestroyed(_spec.GroupId, _spec.PeerId, Destroyed: true, "destroyed"));
        }
        _effects.Add(new ReportStarted(Tombstoned: true));
    }

    /// <summary>
    /// First start of a group born from existing state: its initial state (snapshot at the bootstrap index, voters =
    /// initial peers) is made durable before the node runs; inputs wait meanwhile.
    /// </summary>
    private void PersistBootstrapThenStart(GroupBootstrap bootstrap)
    {
        var voters = ConfState.OfVoters([.. _spec.InitialPeers.Keys.Order()]);
        var snapshot = new Snapshot(new SnapshotMetadata(bootstrap.Index, bootstrap.Term, voters), _stateMachine.TakeSnapshot());
        var hardState = new HardState(bootstrap.Term, 0, bootstrap.Index);
        var written = new RaftLogWritten(hardState, [], snapshot, new Dictionary<ulong, ulong>(_peerNodes));
        Write(new BootstrapWrite(NextWriteId(), bootstrap, voters, written), written, inputsWait: true);
    }

    /// <summary>
    /// A group that never had a term staggers its first election (initial-election-spread-ticks): the replica the group id
    /// picks among the initial voters stands at a tick the group id picks within the spread, the others only after the
    /// whole spread and an election timeout more. 0 (random as usual) for a group with a past, a split's right half, a
    /// single voter, or no spread.
    /// </summary>
    private int FirstElectionTimeout()
    {
        var spread = _options.InitialElectionSpreadTicks;
        if (spread <= 0 || _spec.Bootstrap is not null || _spec.CampaignOnStart) return 0;
        if (_storage.InitialState().HardState.Term != 0 || _storage.LastIndex() != 0) return 0;
        var voters = _spec.InitialPeers.Keys.Order().ToArray();
        // A single voter has no one to contend with.
        if (voters.Length < 2) return 0;
        var electionTicks = _options.Raft.ElectionTicks;
        var first = voters[(int)(_spec.GroupId % (ulong)voters.Length)];
        if (first == _spec.PeerId) return electionTicks + (int)(_spec.GroupId % (ulong)spread);
        return 2 * electionTicks + spread + (int)((uint)_options.Raft.RandomSeed % (uint)electionTicks);
    }

    private void StartNode()
    {
        _node = new RaftNode(_options.Raft with { Applied = _stateMachine.AppliedIndex, FirstElectionTimeoutTicks = FirstElectionTimeout() }, _storage);
        _appliedIndex = _stateMachine.AppliedIndex;
        _lastRole = _node.Role;
        Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] replica {_spec.PeerId} started: term {_node.Term}, commit {_node.Committed}, " +
            $"applied {_stateMachine.AppliedIndex}, last index {_node.LastIndex}, members {_node.ConfState}");
        _effects.Add(new ReportStarted(Tombstoned: false));
        if (_spec.CampaignOnStart && _node.Role != StateRole.Leader && _node.ConfState.Voters.Contains(_spec.PeerId)) _node.Campaign();
        Pump();
    }
}
