using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>The simulator as the nodes' transport: messages over the seeded network, snapshots streamed with verdicts, failure detection.</summary>
public sealed partial class Simulation
{
    private void Send(SimulatedGroup group, SimulatedReplica from, int toNode, Message message)
    {
        if (!group.Replicas.TryGetValue(message.To, out var to) || to.Gone) return;
        if (message.Type == MessageType.Snapshot) Count("snapshot.messages");
        if (message.Type == MessageType.Snapshot && _random.NextDouble() < _rates.Streamed)
        {
            Stream(group, from, toNode, message);
            return;
        }
        _network.Send(_step, from.Node, toNode, group.Id, message);
    }

    /// <summary>A snapshot streamed by the node: a newer one to the same node supersedes it, a full queue rejects it, a lost one is abandoned.</summary>
    private void Stream(SimulatedGroup group, SimulatedReplica from, int toNode, Message message)
    {
        var key = (group.Id, from.Id, toNode);
        if (_streams.Remove(key, out var previous) && !previous.Superseded)
        {
            previous.Superseded = true;
            Report(previous, SnapshotTransferState.Superseded, 1);
        }
        var stream = new SnapshotStream(_nextStream++, from, toNode);
        if (_random.NextDouble() < _rates.StreamRejected)
        {
            Report(stream, SnapshotTransferState.Rejected, 1);
            return;
        }
        _streams[key] = stream;
        Report(stream, _random.Next(2) == 0 ? SnapshotTransferState.Queued : SnapshotTransferState.Sending, 1);
        // The stream notices a loss by its acknowledgement timeouts.
        if (!_network.Send(_step, from.Node, toNode, group.Id, message, stream)) Abandon(stream);
    }

    private void Report(SnapshotStream stream, SnapshotTransferState state, int delay) =>
        _transferReports.Add(new TransferReport(_step + delay, stream, state));

    private void Abandon(SnapshotStream stream)
    {
        if (stream.Superseded) return;
        stream.Superseded = true;
        Report(stream, SnapshotTransferState.Abandoned, 2 + _random.Next(5));
    }

    private void Deliver()
    {
        foreach (var inFlight in _network.TakeDue(_step))
        {
            var group = _groups[(int)inFlight.GroupId - 1];
            var message = inFlight.Message;
            if (inFlight.Stream is { Superseded: true }) continue;
            if (!group.Replicas.TryGetValue(message.To, out var target) || !target.Alive || target.Node != inFlight.ToNode
                || _network.IsBlocked(inFlight.FromNode, inFlight.ToNode))
            {
                if (inFlight.Stream is { } lost) Abandon(lost);
                continue;
            }
            var effects = target.Peer!.Step((ulong)inFlight.FromNode, message);
            if (Tracing) Log($"g{group.Id} deliver {message} to {target}");
            Execute(target, effects);
            if (inFlight.Stream is { } stream)
            {
                stream.Superseded = true;
                Report(stream, SnapshotTransferState.Completed, 1);
            }
        }
        foreach (var report in _transferReports.Where(r => r.Due <= _step).ToList())
        {
            _transferReports.Remove(report);
            var from = report.Stream.From;
            if (from.Peer is null || from.Incarnation != report.Stream.Incarnation || !from.Alive) continue;
            if (Tracing) Log($"{from} snapshot stream {report.Stream.Id} to n{report.Stream.ToNode}: {report.State}");
            Count($"stream.{report.State.ToString().ToLowerInvariant()}");
            Execute(from, from.Peer.SnapshotTransferUpdate((ulong)report.Stream.ToNode, report.State));
        }
        foreach (var (due, node) in _wakeUps.Where(w => w.Due <= _step).ToList())
        {
            _wakeUps.Remove((due, node));
            if (_crashedNodes.Contains(node)) continue;
            // The coordinator wakes its sleeping groups when a node becomes unreachable or leaves.
            foreach (var replica in AllLive().Where(r => r.Node == node && r.Asleep))
            {
                Count("hibernation.woken-by-node");
                Execute(replica, replica.Peer!.Wake());
            }
        }
    }
}
