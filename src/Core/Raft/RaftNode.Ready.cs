namespace AkkaRaft.Core.Raft;

internal sealed partial class RaftNode
{
    private HardState _previousHardState;
    private SoftState _previousSoftState;
    private ulong _readyNumber;
    private Ready? _outstanding;

    /// <summary>True when there is work for the runtime (and no Ready is outstanding).</summary>
    public bool HasReady
    {
        get
        {
            if (_outstanding is not null) return false;
            return CurrentSoftState != _previousSoftState
                || CurrentHardState != _previousHardState
                || _log.Unstable.Snapshot is not null
                || _log.Unstable.Entries.Count > 0
                || _messages.Count > 0
                || _persistedMessages.Count > 0
                || _readStates.Count > 0
                || (_log.Unstable.Snapshot is null && _log.HasNextCommittedEntries());
        }
    }

    /// <summary>Takes the pending work. Throws when the previous Ready was not advanced yet.</summary>
    public Ready Ready()
    {
        if (_outstanding is not null)
        {
            throw new InvalidOperationException($"replica {Id}: Ready #{_outstanding.Number} has not been advanced yet");
        }
        var soft = CurrentSoftState;
        var hard = CurrentHardState;
        var snapshot = _log.Unstable.Snapshot;
        var ready = new Ready
        {
            Number = ++_readyNumber,
            SoftState = soft != _previousSoftState ? soft : null,
            HardState = hard != _previousHardState ? hard : null,
            Entries = _log.UnstableEntries(),
            Snapshot = snapshot,
            // Entries are applied only after a pending snapshot has been restored.
            CommittedEntries = snapshot is null ? _log.NextCommittedEntries() : [],
            Messages = [.. _messages],
            PersistedMessages = [.. _persistedMessages],
            ReadStates = [.. _readStates],
        };
        _messages.Clear();
        _persistedMessages.Clear();
        _readStates.Clear();
        _outstanding = ready;
        return ready;
    }

    /// <summary>Acknowledges that <paramref name="ready"/> was persisted, its messages sent and its entries applied.</summary>
    public void Advance(Ready ready)
    {
        if (_outstanding is null || !ReferenceEquals(_outstanding, ready))
        {
            throw new InvalidOperationException($"replica {Id}: Advance of Ready #{ready.Number} but outstanding is #{_outstanding?.Number.ToString() ?? "none"}");
        }
        _outstanding = null;
        if (ready.SoftState is { } soft) _previousSoftState = soft;
        if (ready.HardState is { } hard) _previousHardState = hard;
        if (ready.Snapshot is { } snapshot)
        {
            _log.StableSnapshotTo(snapshot.Metadata.Index);
            _log.AppliedTo(snapshot.Metadata.Index);
        }
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
            AcknowledgeOwnEntries(StableLastIndex());
        }
        if (ready.CommittedEntries.Count > 0)
        {
            // A snapshot restored while this Ready was outstanding is newer than all of its entries and already carries
            // the membership they lead to; applying their changes on top of it would corrupt (or fail) the configuration.
            var supersededBySnapshot = _log.Unstable.Snapshot is { } restored && restored.Metadata.Index >= ready.CommittedEntries[^1].Index;
            foreach (var entry in ready.CommittedEntries)
            {
                if (entry.Type == EntryType.ConfChange && !supersededBySnapshot) ApplyConfChange(ConfChange.Decode(entry.Data));
            }
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
            MaybeAutoLeaveJoint();
        }
    }
}
