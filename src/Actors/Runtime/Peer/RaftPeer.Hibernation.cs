using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

internal sealed partial class RaftPeer<TReplyTo>
{
    private bool _hibernating;
    private int _idleTicks;
    private (ulong, ulong, ulong, StateRole) _activityMark;

    // Client requests are activity: a group being read from or written to stays awake.
    private void WakeForRequest(string reason)
    {
        _idleTicks = 0;
        WakeUp(reason);
    }

    // Raft traffic wakes a sleeping replica but is not activity: heartbeats alone must not keep a group awake.
    private void WakeUp(string reason)
    {
        if (!_hibernating) return;
        _hibernating = false;
        Debug(() => $"[group {_spec.GroupId}] woken by {reason}");
        // Asleep there were no ticks and so no CheckQuorum: a lease read waits until a quorum answers again.
        _node?.SuspendLease();
        _effects.Add(new ReportHibernation(Asleep: false));
    }

    private void Hibernate()
    {
        if (_hibernating) return;
        _hibernating = true;
        _effects.Add(new ReportHibernation(Asleep: true));
    }

    // Activity is a change of log, commit, term or role; heartbeats alone are idleness.
    private void TrackActivity()
    {
        var mark = (Node.LastIndex, Node.Committed, Node.Term, Node.Role);
        if (mark != _activityMark)
        {
            _activityMark = mark;
            _idleTicks = 0;
            return;
        }
        _idleTicks++;
    }

    /// <summary>
    /// The leader of a settled group puts it to sleep (returns true): it sends every follower a heartbeat marked "hibernate"
    /// (followers of that leader stop ticking on receipt) and stops ticking itself. Any proposal, read or real
    /// Raft message wakes a replica; a node becoming unreachable wakes every group of the observing node.
    /// </summary>
    private bool MaybeHibernate()
    {
        if (_options.HibernateAfterTicks <= 0 || _idleTicks < _options.HibernateAfterTicks) return false;
        if (!CanHibernate()) return false;
        var signals = new List<(ulong, GroupMessage)>();
        foreach (var (peer, progress) in Node.Tracker.Progress)
        {
            if (peer == _spec.PeerId || !_peerNodes.TryGetValue(peer, out var node)) continue;
            signals.Add((node, new GroupMessage(_spec.GroupId, new Message
            {
                Type = MessageType.Heartbeat, From = _spec.PeerId, To = peer, Term = Node.Term,
                Commit = Math.Min(progress.Match, Node.Committed), Context = HibernateMarker,
            })));
        }
        if (signals.Count > 0) _effects.Add(new SendRaftMessages(signals));
        Hibernate();
        Debug(() => $"[group {_spec.GroupId}] hibernating after {_idleTicks} idle ticks");
        return true;
    }

    // Only the leader of a settled group initiates sleep: every follower has everything and nothing waits.
    private bool CanHibernate()
    {
        if (Node.Role != StateRole.Leader || _pending.Count > 0) return false;
        if (Node.Committed != Node.LastIndex || Node.Applied != Node.Committed) return false;
        return Node.Tracker.Progress.Values.All(p => p.Match == Node.LastIndex);
    }
}
