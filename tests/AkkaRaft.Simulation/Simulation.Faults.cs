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
        foreach (var node in _crashedNodes.Order().ToList())
        {
            if (_random.NextDouble() < _rates.Restart) Restart(node);
        }
        CompactSome(_rates.Compaction);
    }

    private void CompactSome(double rate)
    {
        foreach (var group in _groups)
        {
            foreach (var replica in group.Live.ToList())
            {
                if (_random.NextDouble() < rate) Compact(replica);
            }
        }
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
    }

    private void Crash(int node)
    {
        _crashedNodes.Add(node);
        foreach (var replica in _groups.SelectMany(g => g.Replicas.Values).Where(r => r.Node == node && r.Alive))
        {
            replica.Raft = null;
            replica.Pending = null; // not yet durable: lost
        }
        Log($"crash n{node}");
    }

    private void Restart(int node)
    {
        _crashedNodes.Remove(node);
        foreach (var replica in _groups.SelectMany(g => g.Replicas.Values).Where(r => r.Node == node && !r.Destroyed))
        {
            // The application stores its membership with its applied state (etcd apps do the same): record it in storage
            // so the restarted node starts from the membership as of the applied index.
            var snapshot = replica.Storage.Snapshot();
            if (replica.AppliedIndex > snapshot.Metadata.Index && !snapshot.Metadata.ConfState.SameAs(replica.AppliedConf))
            {
                replica.Storage.CreateSnapshot(replica.AppliedIndex, replica.AppliedConf, replica.StateBytes());
            }
            Start(replica);
            Log($"restart {replica}: {replica.Raft} hard={replica.Storage.HardState} applied={replica.AppliedIndex}");
        }
    }

    private void Compact(SimulatedReplica replica)
    {
        var storage = replica.Storage;
        if (replica.AppliedIndex <= storage.Snapshot().Metadata.Index) return;
        storage.CreateSnapshot(replica.AppliedIndex, replica.AppliedConf, replica.StateBytes());
        var compactTo = Math.Max(storage.FirstIndex(), replica.AppliedIndex - (ulong)Math.Min((long)replica.AppliedIndex, _random.Next(4)));
        storage.Compact(compactTo);
        if (Tracing) Log($"{replica} snapshot at {replica.AppliedIndex} ({replica.AppliedConf}), compact to {compactTo}");
    }

    private void ClientTraffic(SimulatedGroup group)
    {
        var leader = group.Leader();
        if (leader is not null)
        {
            if (_random.NextDouble() < _rates.Proposal)
            {
                var result = leader.Propose(group.NewPayload());
                if (Tracing) Log($"g{group.Id} propose to {leader.Id}: {result}");
            }
            if (_random.NextDouble() < _rates.ConfChange) ChangeMembership(group, leader);
            if (_random.NextDouble() < _rates.Transfer)
            {
                var voters = leader.ConfState.Voters;
                var to = voters[_random.Next(voters.Count)];
                var result = leader.TransferLeader(to);
                Log($"g{group.Id} transfer leadership {leader.Id} -> {to}: {result}");
            }
        }
        if (_random.NextDouble() < _rates.Read)
        {
            var live = group.Live.ToList();
            if (live.Count == 0) return;
            var replica = live[_random.Next(live.Count)];
            var key = _nextReadContext++;
            group.ReadFloor[key] = group.MaxCommitted;
            var result = replica.Raft!.ReadIndex(BitConverter.GetBytes(key));
            if (!result.Accepted) group.ReadFloor.Remove(key);
            if (Tracing) Log($"{replica} read index {key} (floor {group.MaxCommitted}): {result}");
        }
    }

    private void ChangeMembership(SimulatedGroup group, RaftNode leader)
    {
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
                case 0 when group.Replicas.Values.Count(r => !r.Destroyed) < 7:
                    added = AddReplica(group, group.NextReplicaId++, ChooseHost(group));
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
        var result = leader.ProposeConfChange(change);
        Log($"g{group.Id} conf change {change} ({change.Transition}) on leader {leader.Id} with {cs}: {result}");
        if (!result.Accepted && added is not null)
        {
            group.Replicas.Remove(added.Id); // never part of any configuration
        }
    }

    private ulong Pick(IReadOnlyList<ulong> ids) => ids[_random.Next(ids.Count)];

    private int ChooseHost(SimulatedGroup group)
    {
        var free = AllNodes.Where(n => group.Replicas.Values.All(r => r.Destroyed || r.Node != n)).ToList();
        return free.Count > 0 ? free[_random.Next(free.Count)] : 1 + _random.Next(_nodeCount);
    }

    /// <summary>
    /// Garbage-collects replicas removed by a committed change, judged by an up-to-date leader (applied everything it
    /// knows committed, and knows every commit observed so far).
    /// </summary>
    private void CollectRemovedReplicas(SimulatedGroup group)
    {
        var leader = group.Leader();
        if (leader is null || leader.Applied != leader.Committed || leader.Committed < group.MaxCommitted) return;
        var cs = leader.ConfState;
        foreach (var replica in group.Replicas.Values.Where(r => !r.Destroyed))
        {
            if (Membership.Contains(cs, replica.Id))
            {
                replica.EverMember = true;
            }
            else if (replica.EverMember)
            {
                replica.Destroyed = true;
                replica.Raft = null;
                replica.Pending = null;
                Log($"{replica} removed from {cs}: destroyed");
            }
        }
    }
}
