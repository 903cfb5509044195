using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

public sealed partial class Simulation
{
    private IEnumerable<int> AllNodes => Enumerable.Range(1, _nodeCount);

    private void InjectFaults()
    {
        if (_random.NextDouble() < _rates.Partition) Partition();
        if (_network.HasPartition && _random.NextDouble() < _rates.Heal)
        {
            _network.Heal();
            Log("heal all partitions");
        }
        // Keep a majority of physical nodes up, so groups can make progress between faults.
        if (_random.NextDouble() < _rates.Crash && _crashedNodes.Count < (_nodeCount - 1) / 2)
        {
            var up = AllNodes.Where(n => !_crashedNodes.Contains(n)).ToList();
            Crash(up[_random.Next(up.Count)]);
        }
        // A group asleep everywhere loses its leader's node: the others must wake up and elect.
        if (_random.NextDouble() < _rates.Crash * 5 && _crashedNodes.Count < (_nodeCount - 1) / 2
            && _groups.FirstOrDefault(AsleepEverywhere)?.Leader() is { } sleepingLeader)
        {
            Log($"g{sleepingLeader.GroupId} is asleep everywhere: crash its leader's node");
            Count("crash.sleeping-leader");
            Crash(sleepingLeader.Node);
        }
        foreach (var node in _crashedNodes.Order().ToList())
        {
            if (_random.NextDouble() < _rates.Restart) Restart(node);
        }
        foreach (var group in _groups)
        {
            if (_random.NextDouble() < _rates.Quiet)
            {
                group.Quiet = !group.Quiet;
                Log($"g{group.Id} {(group.Quiet ? "goes quiet" : "gets traffic again")}");
            }
        }
        if (_options.LeaderSuspicions && _random.NextDouble() < 0.02) SuspectForNothing();
    }

    /// <summary>A transport glitch: one live replica is told its leader's node was lost although it may be fine.</summary>
    private void SuspectForNothing()
    {
        var live = AllLive().ToList();
        if (live.Count == 0) return;
        var replica = live[_random.Next(live.Count)];
        var group = GroupOf(replica);
        var leader = replica.Raft!.Leader;
        if (leader == 0 || !group.Replicas.TryGetValue(leader, out var host)) return;
        Log($"{replica} is told n{host.Node} (leader {leader}'s node) was lost, for nothing");
        Count("suspicion.false");
        Execute(replica, replica.Peer!.NodeLost((ulong)host.Node));
    }

    /// <summary>The transport of every node notices <paramref name="node"/> is gone: every replica is told, followers of a leader there suspect it.</summary>
    private void SuspectLeadersOn(int node)
    {
        foreach (var replica in AllLive().Where(r => r.Node != node))
        {
            var group = GroupOf(replica);
            if (group.Replicas.TryGetValue(replica.Raft!.Leader, out var leader) && leader.Node == node) Count("suspicion.crash");
            var effects = replica.Peer!.NodeLost((ulong)node);
            if (Tracing && replica.Raft is { } raft) Log($"{replica} is told n{node} crashed: {raft}");
            Execute(replica, effects);
        }
    }

    /// <summary>Every member of the leader's configuration sleeps (replicas outside it, never added or removed, do not count).</summary>
    private static bool AsleepEverywhere(SimulatedGroup group)
    {
        var cs = group.Leader()?.Raft?.ConfState;
        return cs is not null && group.Live.Where(r => Membership.Contains(cs, r.Id)).All(r => r.Asleep);
    }

    private void Partition()
    {
        if (_random.Next(2) == 0)
        {
            var side = AllNodes.Where(_ => _random.Next(2) == 0).ToList();
            if (side.Count == 0 || side.Count == _nodeCount) return;
            _network.Partition(side, AllNodes);
            Log($"partition {{{string.Join(' ', side)}}} from the rest");
        }
        else
        {
            var from = 1 + _random.Next(_nodeCount);
            var to = 1 + _random.Next(_nodeCount);
            if (from == to) return;
            _network.BlockOneWay(from, to);
            Log($"cut one way n{from} -> n{to}");
        }
        NodesNoticeUnreachable(except: 0);
    }

    /// <summary>
    /// Failure detection: after a while every running node's coordinator wakes its sleeping groups. It is slower than
    /// any message (Akka's detector takes seconds), so what a crashed node sent before has arrived by then.
    /// </summary>
    private void NodesNoticeUnreachable(int except)
    {
        foreach (var node in AllNodes.Where(n => n != except && !_crashedNodes.Contains(n)))
        {
            _wakeUps.Add((_step + 1 + _network.MaxDelay + _random.Next(5), node));
        }
    }

    private void Crash(int node)
    {
        _crashedNodes.Add(node);
        foreach (var replica in _groups.SelectMany(g => g.Replicas.Values).Where(r => r.Node == node && r.Peer is not null))
        {
            // The peer and its state machine are memory; writes and snapshot saves in flight are lost.
            replica.Peer = null;
            replica.Machine = null;
            replica.Asleep = false;
            replica.Journal.Crash();
        }
        Log($"crash n{node}");
        if (_options.LeaderSuspicions) SuspectLeadersOn(node);
        NodesNoticeUnreachable(except: node);
    }

    private void Restart(int node)
    {
        _crashedNodes.Remove(node);
        foreach (var replica in _groups.SelectMany(g => g.Replicas.Values).Where(r => r.Node == node))
        {
            // A destroyed replica is started too: it must find its tombstone and stay down.
            Start(replica);
            Log($"restart {replica}: {replica.Raft?.ToString() ?? "not running"} hard={replica.Journal.DurableHardState} journal={replica.Journal.Events.Count} events");
        }
        // The node's previous incarnation leaves the cluster.
        NodesNoticeUnreachable(except: node);
    }

    private void ClientTraffic(SimulatedGroup group)
    {
        if (group.Quiet) return;
        var leader = group.Leader();
        if (leader is not null)
        {
            if (_random.NextDouble() < _rates.Proposal) Propose(group, leader, group.NewPayload(), RequestKind.Propose);
            if (_random.NextDouble() < _rates.ConfChange) ChangeMembership(group, leader);
            if (_random.NextDouble() < _rates.Transfer)
            {
                var voters = leader.Raft!.ConfState.Voters;
                var to = voters[_random.Next(voters.Count)];
                var request = NewRequest(RequestKind.Transfer, leader);
                Execute(leader, leader.Peer!.TransferLeadership(to, request.Id));
                Log($"g{group.Id} transfer leadership {leader.Id} -> {to}: {request.Answer}");
            }
        }
        if (_random.NextDouble() < _rates.Read)
        {
            var live = group.Live.ToList();
            if (live.Count == 0) return;
            // Mostly at the leader (which serves reads), sometimes anywhere (refused there); one to three at once, sharing one
            // read index (the count comes from the request counter: no extra draw from the seed's Random).
            var replica = leader is not null && _random.Next(4) != 0 ? leader : live[_random.Next(live.Count)];
            for (var reads = 1 + (int)(_nextRequest % 3); reads > 0; reads--)
            {
                var request = NewRequest(RequestKind.Read, replica, readFloor: InvariantChecker.ReadFloor(group));
                if (Tracing) Log($"{replica} {request} (floor {request.ReadFloor})");
                Execute(replica, replica.Peer!.Read(sm => ((SimulatedStateMachine)sm).Read(), request.Id));
            }
        }
    }

    private ClientRequest Propose(SimulatedGroup group, SimulatedReplica leader, byte[] payload, RequestKind kind)
    {
        var request = NewRequest(kind, leader, payloadHash: Hashing.Of(payload));
        Execute(leader, leader.Peer!.Propose(payload, request.Id));
        if (Tracing) Log($"g{group.Id} propose to {leader.Id}: {request}{(request.Answer is null ? "" : $" => {request.Answer}")}");
        return request;
    }

    private void ChangeMembership(SimulatedGroup group, SimulatedReplica leaderReplica)
    {
        var leader = leaderReplica.Raft!;
        var cs = leader.ConfState;
        SimulatedReplica? added = null;
        ConfChange? change = null;
        if (cs.IsJoint)
        {
            if (!cs.AutoLeave) change = ConfChange.LeaveJoint;
        }
        else
        {
            var voters = cs.Voters;
            var learners = cs.Learners;
            var otherVoters = voters.Where(v => v != leader.Id).ToList();
            switch (_random.Next(6))
            {
                case 0 when group.Replicas.Values.Count(r => !r.Gone) < 7 && FreeHost(group) is { } host:
                    added = AddReplica(group, group.NextReplicaId++, host);
                    change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, added.Id));
                    break;
                case 1 when learners.Count > 0:
                    change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddNode, Pick(learners)));
                    break;
                case 2 when voters.Count > 3:
                    change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, Pick(voters)));
                    break;
                case 3 when learners.Count > 0 && otherVoters.Count > 0:
                    var transition = (ConfChangeTransition)_random.Next(3);
                    change = new ConfChange(transition,
                        [new(ConfChangeType.AddNode, Pick(learners)), new(ConfChangeType.RemoveNode, Pick(otherVoters))], []);
                    break;
                case 4 when voters.Count > 3:
                    change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, Pick(otherVoters)));
                    break;
                case 5 when learners.Count > 0:
                    change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, Pick(learners)));
                    break;
            }
        }
        if (change is null) return;
        var peerNodes = added is null ? new Dictionary<ulong, ulong>() : new Dictionary<ulong, ulong> { [added.Id] = (ulong)added.Node };
        var request = NewRequest(RequestKind.Membership, leaderReplica);
        Execute(leaderReplica, leaderReplica.Peer!.ProposeMembership(change, peerNodes, request.Id));
        Log($"g{group.Id} conf change {change} ({change.Transition}) on leader {leader.Id} with {cs}: {request.Answer?.ToString() ?? "accepted"}");
        if (request.Answer is not null && added is not null)
        {
            group.Replicas.Remove(added.Id); // never part of any configuration
        }
    }

    private ulong Pick(IReadOnlyList<ulong> ids) => ids[_random.Next(ids.Count)];

    /// <summary>A node without a replica of the group (a node hosts at most one replica of a group), or null.</summary>
    private int? FreeHost(SimulatedGroup group)
    {
        var free = AllNodes.Where(n => group.Replicas.Values.All(r => r.Gone || r.Node != n)).ToList();
        return free.Count > 0 ? free[_random.Next(free.Count)] : null;
    }

    /// <summary>
    /// Destroys replicas removed by a committed change, judged by an up-to-date leader (applied everything it knows
    /// committed, and knows every commit observed so far), as the store does: a replica that still believes it votes
    /// refuses unless the destroy is forced; the tombstone makes it final.
    /// </summary>
    private void CollectRemovedReplicas(SimulatedGroup group)
    {
        var leader = group.Leader()?.Raft;
        if (leader is null || leader.Applied != leader.Committed || leader.Committed < group.MaxCommitted) return;
        var cs = leader.ConfState;
        foreach (var replica in group.Replicas.Values.Where(r => !r.Gone))
        {
            if (Membership.Contains(cs, replica.Id))
            {
                replica.EverMember = true;
            }
            else if (replica.EverMember && replica.Peer is { Raft: not null, IsDestroyed: false } peer && _random.Next(3) == 0)
            {
                var force = _random.Next(2) == 0;
                var request = NewRequest(RequestKind.Destroy, replica);
                Execute(replica, peer.Destroy(force, request.Id));
                Log($"{replica} removed from {cs}: destroy{(force ? " (forced)" : "")} => {request.Answer?.ToString() ?? "tombstone being written"}");
            }
        }
    }
}
