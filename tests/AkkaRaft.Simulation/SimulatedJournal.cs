using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// One replica's journal and snapshot store, as Akka.Persistence gives them to the group actor: events are numbered
/// when handed over, complete in order after a random delay, and a crash loses every write and snapshot save in flight.
/// </summary>
internal sealed class SimulatedJournal
{
    /// <summary>Durable events, oldest first.</summary>
    public List<(long SequenceNr, object Event)> Events { get; } = [];
    /// <summary>Durable snapshots, oldest first.</summary>
    public List<(long SequenceNr, RaftGroupSnapshot Snapshot)> Snapshots { get; } = [];
    /// <summary>Writes handed over and not yet durable, in order.</summary>
    public List<(long SequenceNr, PersistEvent Write)> InFlight { get; } = [];
    /// <summary>Snapshot saves not yet durable, in order.</summary>
    public List<(long SequenceNr, RaftGroupSnapshot Snapshot)> SnapshotsInFlight { get; } = [];
    /// <summary>Number of the last event handed over.</summary>
    public long LastSequenceNr { get; set; }
    /// <summary>Number of the last durable event (kept when events are deleted, as journals do).</summary>
    public long HighestDurable { get; set; }
    /// <summary>The hard state of the latest durable write.</summary>
    public HardState DurableHardState { get; set; } = new(0, 0, 0);

    public bool HasDurableTombstone => Events.Any(e => e.Event is GroupTombstone);

    public bool HasTombstoneInFlight => InFlight.Any(w => w.Write.Event is GroupTombstone);

    /// <summary>Everything not durable is lost; numbering goes on from the last durable event.</summary>
    public void Crash()
    {
        InFlight.Clear();
        SnapshotsInFlight.Clear();
        LastSequenceNr = HighestDurable;
    }
}
