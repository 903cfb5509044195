using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>One durable write of a group: what a Ready asked to persist. Entries replace any conflicting suffix on replay.</summary>
internal sealed record RaftLogWritten(HardState? HardState, IReadOnlyList<Entry> Entries, Snapshot? Snapshot, IReadOnlyDictionary<ulong, ulong> PeerNodes);

/// <summary>
/// A group's Akka snapshot: the Raft snapshot (state machine data at its index), the log tail after it, the hard state
/// and where peers live. Everything journaled before it may be deleted.
/// </summary>
internal sealed record RaftGroupSnapshot(Snapshot Snapshot, IReadOnlyList<Entry> Tail, HardState HardState, IReadOnlyDictionary<ulong, ulong> PeerNodes);

/// <summary>Journaled when a replica is destroyed (its region moved away): recovery of that replica stops here.</summary>
internal sealed record GroupTombstone(ulong PeerId);
