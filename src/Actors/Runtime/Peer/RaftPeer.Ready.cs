using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

internal sealed partial class RaftPeer<TReplyTo>
{
    // Writes asked for and not yet durable, oldest first; the journal completes them in this order.
    private readonly Queue<PendingWrite> _writes = new();
    private long _lastWriteId;
    // A Ready is being journaled: the next one waits for it (group commit).
    private bool _writingReady;
    // Commit index of the latest hard state in the journal (commit-only changes are not journaled on their own).
    private ulong _durableCommit;
    // Groups this replica spawned on apply that have not confirmed their initial state durable: no snapshot until they do.
    private readonly HashSet<ulong> _spawning = [];

    private abstract record PendingWrite(long Id);

    private sealed record ReadyWrite(long Id, Ready Ready, HardState? HardState) : PendingWrite(Id);

    private sealed record BootstrapWrite(long Id, GroupBootstrap Bootstrap, ConfState Voters, RaftLogWritten Event) : PendingWrite(Id);

    private sealed record TombstoneWrite(long Id, List<TReplyTo> Requesters) : PendingWrite(Id);

    /// <summary>
    /// The write <paramref name="writeId"/> is durable at journal sequence number <paramref name="sequenceNr"/>: what
    /// waited for it goes on (acknowledgements are sent, committed entries applied, the next Ready taken).
    /// </summary>
    public IReadOnlyList<PeerEffect> Persisted(long writeId, long sequenceNr)
    {
        // Invariant: the journal completes writes in the order they were asked for, each once.
        if (!_writes.TryDequeue(out var write) || write.Id != writeId)
        {
            throw new InvalidOperationException($"[group {_spec.GroupId}] write {writeId} reported durable, but the oldest write in flight is {write?.Id.ToString() ?? "none"}");
        }
        switch (write)
        {
            case ReadyWrite ready when !IsDestroyed:
                if (ready.HardState is { } hardState) _durableCommit = Math.Max(_durableCommit, hardState.Commit);
                OnDurable(ready.Ready);
                _writingReady = false;
                break;
            case ReadyWrite:
                // Destroyed meanwhile: nothing of this replica runs any more.
                break;
            case BootstrapWrite bootstrap:
                ApplyToStorage(bootstrap.Event.HardState, bootstrap.Event.Entries, bootstrap.Event.Snapshot);
                _snapshotIndexInJournal = bootstrap.Bootstrap.Index;
                _durableCommit = bootstrap.Bootstrap.Index;
                Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] bootstrapped at index {bootstrap.Bootstrap.Index} (term {bootstrap.Bootstrap.Term}) with voters {bootstrap.Voters}");
                StartNode();
                break;
            case TombstoneWrite tombstone:
                OnTombstoneDurable(tombstone, sequenceNr);
                break;
        }
        return Handled();
    }

    /// <summary>A journal write failed or was rejected: everyone waiting learns the outcome is unknown; the replica stops.</summary>
    public IReadOnlyList<PeerEffect> WriteFailed(string why)
    {
        FailAllPending(why);
        return Finish();
    }

    private long Write(PendingWrite write, object @event, bool inputsWait)
    {
        _writes.Enqueue(write);
        _effects.Add(new PersistEvent(write.Id, @event, inputsWait));
        return write.Id;
    }

    private long NextWriteId() => ++_lastWriteId;

    /// <summary>Handles Readies until one needs a durable write; the next waits for that write (group commit).</summary>
    private void Pump()
    {
        if (_node is null || IsDestroyed) return;
        while (!_writingReady && _node.HasReady)
        {
            var ready = _node.Ready();
            SendMessages(ready.Messages);
            if (NeedsWrite(ready))
            {
                _writingReady = true;
                // A commit learned earlier without a write of its own is journaled now if membership changes need it.
                var hardState = ready.HardState ?? (AppliesMembershipBeyondDurableCommit(ready) ? _storage.HardState : null);
                var written = new RaftLogWritten(hardState, ready.Entries, ready.Snapshot, new Dictionary<ulong, ulong>(_peerNodes));
                // Inputs keep flowing during the write; what they produce joins the next Ready.
                Write(new ReadyWrite(NextWriteId(), ready, hardState), written, inputsWait: false);
                return;
            }
            OnDurable(ready);
        }
    }

    // A commit-only hard state change need not be synced: commit is recoverable from a quorum. Except before applying a
    // membership change: a restart must know that change committed, or the replica comes back with the membership of its
    // last snapshot and may be elected by replicas that are no longer voters (a demoted learner's vote, a removed peer's).
    private bool NeedsWrite(Ready ready) =>
        ready.Entries.Count > 0 || ready.Snapshot is not null ||
        (ready.HardState is { } hs && (hs.Term != _storage.HardState.Term || hs.Vote != _storage.HardState.Vote)) ||
        AppliesMembershipBeyondDurableCommit(ready);

    private bool AppliesMembershipBeyondDurableCommit(Ready ready)
    {
        for (var i = ready.CommittedEntries.Count - 1; i >= 0; i--)
        {
            var entry = ready.CommittedEntries[i];
            if (entry.Index <= _durableCommit) return false;
            if (entry.Type == EntryType.ConfChange) return true;
        }
        return false;
    }

    private void OnDurable(Ready ready)
    {
        ApplyToStorage(ready.HardState, ready.Entries, ready.Snapshot);
        SendMessages(ready.PersistedMessages);
        if (ready.Snapshot is { } snapshot)
        {
            _stateMachine.Restore(snapshot.Data, snapshot.Metadata.Index);
            _appliedIndex = Math.Max(_appliedIndex, snapshot.Metadata.Index);
            Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] installed snapshot at index {snapshot.Metadata.Index} (term {snapshot.Metadata.Term})");
        }
        Apply(ready.CommittedEntries);
        if (ready.CommittedEntries.Count > 0) _appliedIndex = ready.CommittedEntries[^1].Index;
        foreach (var readState in ready.ReadStates) _pending.ReadIndexConfirmed(readState.Context, readState.Index);
        ServeReads();
        Node.Advance(ready);
        if (ready.SoftState is { } soft) OnSoftStateChanged(soft);
        MaybeCompact();
    }

    private void ApplyToStorage(HardState? hardState, IReadOnlyList<Entry> entries, Snapshot? snapshot)
    {
        if (snapshot is not null) _storage.ApplySnapshot(snapshot);
        _storage.Append(entries);
        if (hardState is { } hs) _storage.SetHardState(hs);
    }

    private void Apply(IReadOnlyList<Entry> committed)
    {
        if (committed.Count == 0) return;
        var commands = new List<CommittedCommand>();
        foreach (var entry in committed)
        {
            if (entry.Type == EntryType.Normal && entry.Data.Length > 0)
            {
                commands.Add(new CommittedCommand(entry.Index, entry.Term, entry.Data));
                continue;
            }
            // Membership changes and the leader's no-op never reach the state machine; commands before them apply first.
            FlushCommands(commands);
            if (entry.Type == EntryType.ConfChange)
            {
                var change = ConfChange.Decode(entry.Data);
                var peers = PeerNodeCodec.Decode(change.Context);
                MergePeers(peers);
                var result = entry.Index > _stateMachine.AppliedIndex ? _stateMachine.ApplyMembership(entry.Index, change, peers) : null;
                Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] membership change {change} applied at {entry.Index}: {result ?? ""}");
                _spec.SpawnOnApply?.Invoke(result);
                if (_pending.Applied(entry.Index, entry.Term, result) is { } owed) Reply(owed);
                continue;
            }
            if (_pending.Applied(entry.Index, entry.Term, null) is { } owedNoOp) Reply(owedNoOp);
        }
        FlushCommands(commands);
    }

    private void FlushCommands(List<CommittedCommand> commands)
    {
        if (commands.Count == 0) return;
        var results = _stateMachine.Apply(commands);
        for (var i = 0; i < commands.Count; i++)
        {
            if (_spec.SpawnOnApply?.Invoke(results[i]) is { } spawn)
            {
                _spawning.Add(spawn.GroupId);
                // The parent's leader campaigns first in the new group: it is the replica most likely up to date and its
                // store already routes the region's clients (TiKV lets the parent leader's peer campaign at once).
                _effects.Add(new SpawnGroup(spawn with { CampaignOnStart = Node.Role == StateRole.Leader }));
            }
            if (_pending.Applied(commands[i].Index, commands[i].Term, results[i]) is { } owed) Reply(owed);
        }
        commands.Clear();
    }

    private void ServeReads()
    {
        foreach (var (replyTo, query) in _pending.ReadsReadyAt(_appliedIndex))
        {
            object? value;
            try
            {
                value = query(_stateMachine);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.Refused, Node.Leader, $"read failed: {e.Message}"));
                continue;
            }
            Reply(replyTo, new ReadSucceeded(_spec.GroupId, value));
        }
    }

    private void OnSoftStateChanged(SoftState soft)
    {
        if (soft.Role == _lastRole) return;
        Log(PeerLogLevel.Info, $"[group {_spec.GroupId}] replica {_spec.PeerId} is now {soft.Role} (term {Node.Term}, leader {soft.Leader})");
        if (_lastRole == StateRole.Leader)
        {
            // Reads waiting on this replica can no longer be confirmed by it.
            foreach (var replyTo in _pending.DropReads())
            {
                Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.NotLeader, soft.Leader, "leadership lost"));
            }
        }
        _lastRole = soft.Role;
    }

    private void FailAllPending(string why)
    {
        var (proposers, readers) = _pending.DropAll();
        // An accepted entry may already be on followers (the leader sends before its own write), so it may still commit.
        foreach (var replyTo in proposers) Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.OutcomeUnknown, 0, $"{why}; outcome unknown"));
        foreach (var replyTo in readers) Reply(replyTo, new ProposeFailed(_spec.GroupId, RaftFailure.Dropped, 0, $"{why}; read not served"));
    }
}
