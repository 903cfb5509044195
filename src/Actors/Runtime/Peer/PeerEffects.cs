using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

/// <summary>Something a <see cref="RaftPeer{TReplyTo}"/> asks its host to do; hosts carry effects out in the order given.</summary>
internal abstract record PeerEffect;

/// <summary>
/// Make <paramref name="Event"/> (a <see cref="RaftLogWritten"/> or <see cref="GroupTombstone"/>) durable, after every
/// write asked for earlier, then tell the peer <see cref="RaftPeer{TReplyTo}.Persisted"/> with <paramref name="WriteId"/>.
/// With <paramref name="InputsWait"/>, hold every other input until then (the replica's identity is being written).
/// </summary>
internal sealed record PersistEvent(long WriteId, object Event, bool InputsWait) : PeerEffect;

/// <summary>Send these Raft messages, each to the node hosting its target peer.</summary>
internal sealed record SendRaftMessages(IReadOnlyList<(ulong Node, GroupMessage Message)> Messages) : PeerEffect;

/// <summary>Answer <paramref name="Requester"/> with <paramref name="Answer"/> (a <see cref="RaftReply"/> or <see cref="GroupDestroyed"/>).</summary>
internal sealed record ReplyTo<TReplyTo>(TReplyTo Requester, object Answer) : PeerEffect;

/// <summary>Save this snapshot; it covers every write made durable so far. Tell the peer <see cref="RaftPeer{TReplyTo}.SnapshotSaved"/>.</summary>
internal sealed record SaveGroupSnapshot(RaftGroupSnapshot Snapshot) : PeerEffect;

/// <summary>Delete journaled events up to and including <paramref name="ToSequenceNr"/>.</summary>
internal sealed record DeleteJournal(long ToSequenceNr) : PeerEffect;

/// <summary>Delete saved snapshots up to and including <paramref name="ToSequenceNr"/> (<see cref="long.MaxValue"/>: all of them).</summary>
internal sealed record DeleteSavedSnapshots(long ToSequenceNr) : PeerEffect;

/// <summary>Create this group on the local node; tell the peer <see cref="RaftPeer{TReplyTo}.SpawnedGroupStarted"/> once it runs.</summary>
internal sealed record SpawnGroup(CreateGroup Spec) : PeerEffect;

/// <summary>Tell the node the replica runs (<paramref name="Tombstoned"/> false) or never will again (true: destroyed).</summary>
internal sealed record ReportStarted(bool Tombstoned) : PeerEffect;

/// <summary>Tell the node the group sleeps (no more ticks, <paramref name="Asleep"/> true) or wants ticks again (false).</summary>
internal sealed record ReportHibernation(bool Asleep) : PeerEffect;

/// <summary>
/// Call <see cref="RaftPeer{TReplyTo}.FlushReads"/> once the inputs already waiting have been handled (an actor tells
/// itself): reads arriving meanwhile join the same batch and share one ReadIndex request.
/// </summary>
internal sealed record ScheduleReadFlush : PeerEffect;

/// <summary>Severity of a <see cref="LogLine"/>.</summary>
internal enum PeerLogLevel : byte
{
    /// <summary>Detail for debugging one group.</summary>
    Debug,
    /// <summary>A change of role, membership or snapshot.</summary>
    Info,
    /// <summary>Something was lost or refused and is being repaired.</summary>
    Warning,
    /// <summary>The replica cannot go on.</summary>
    Error,
}

/// <summary>A log line of the group; <paramref name="Text"/> starts with <c>[group N]</c>.</summary>
internal sealed record LogLine(PeerLogLevel Level, string Text) : PeerEffect;
