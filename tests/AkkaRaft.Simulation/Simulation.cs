using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// A deterministic simulation of N physical nodes hosting G Raft groups: one <see cref="Random"/> seeded by the
/// options drives every choice, there is no clock and no thread, so a seed replays identically. A fault phase
/// (drops, delays, duplicates, reordering, partitions, crashes, restarts, membership changes, transfers, reads,
/// compaction, proposals) is followed by a liveness phase (everything healed). Invariants are checked after every step.
/// </summary>
public sealed partial class Simulation
{
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly SimulatedNetwork _network;
    private readonly List<SimulatedGroup> _groups = [];
    private readonly int _nodeCount;
    private readonly HashSet<int> _crashedNodes = [];
    private readonly FaultRates _rates;
    private long _step;
    private ulong _traceHash = Hashing.Seed;
    private ulong _nextReadContext = 1;

    private Simulation(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _nodeCount = 3 + _random.Next(3);
        var groupCount = 1 + _random.Next(3);
        _rates = FaultRates.Draw(_random);
        _network = new SimulatedNetwork(_random)
        {
            DropRate = _rates.Drop, DuplicateRate = _rates.Duplicate, MaxDelay = _rates.MaxDelay,
        };
        for (var g = 1; g <= groupCount; g++)
        {
            var voterCount = 3 + _random.Next(_nodeCount - 2);
            var voters = Enumerable.Range(1, voterCount).Select(i => (ulong)i).ToArray();
            var group = new SimulatedGroup((ulong)g, voters);
            foreach (var id in voters) AddReplica(group, id, (int)id);
            _groups.Add(group);
        }
        Log($"setup: {_nodeCount} nodes, {groupCount} groups ({string.Join(", ", _groups.Select(g => $"g{g.Id}: voters {string.Join(' ', g.BootstrapVoters)}"))}), {_rates}");
    }

    /// <summary>Runs one seed to completion and reports the first violation, if any.</summary>
    public static SimulationResult Run(SimulationOptions options) => new Simulation(options).Run();

    private bool Tracing => _options.Trace is not null;

    private void Log(string text) => _options.Trace?.WriteLine($"[{_step,5}] {text}");

    private SimulationResult Run()
    {
        try
        {
            for (_step = 1; _step <= _options.FaultSteps; _step++) Step(faultPhase: true);
            RunLivenessPhase();
            return new SimulationResult(_options.Seed, null, _step, _traceHash);
        }
        catch (InvariantViolationException e)
        {
            return Fail($"step {_step}: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or KeyNotFoundException)
        {
            var frame = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            return Fail($"step {_step}: core threw {e.GetType().Name}: {e.Message} ({frame})");
        }
    }

    private SimulationResult Fail(string violation)
    {
        Log($"VIOLATION {violation}");
        return new SimulationResult(_options.Seed, violation, _step, _traceHash);
    }

    private void Step(bool faultPhase)
    {
        if (faultPhase)
        {
            InjectFaults();
            foreach (var group in _groups) ClientTraffic(group);
        }
        else
        {
            foreach (var group in _groups) LivenessTraffic(group);
        }
        foreach (var replica in AllLive()) replica.Raft!.Tick();
        Deliver();
        var persistChance = faultPhase ? _rates.PersistChance : 1.0;
        foreach (var group in _groups)
        {
            foreach (var replica in group.Replicas.Values.ToList()) Pump(group, replica, persistChance);
        }
        foreach (var group in _groups)
        {
            InvariantChecker.CheckState(group);
            CollectRemovedReplicas(group);
        }
        HashState();
    }

    private IEnumerable<SimulatedReplica> AllLive() => _groups.SelectMany(g => g.Live).ToList();

    private SimulatedReplica AddReplica(SimulatedGroup group, ulong id, int node)
    {
        var replica = new SimulatedReplica(group.Id, id, node, MemoryStorage.WithVoters([.. group.BootstrapVoters]),
            ConfState.OfVoters([.. group.BootstrapVoters]), _step);
        group.Replicas[id] = replica;
        if (!_crashedNodes.Contains(node)) Start(replica);
        return replica;
    }

    private void Start(SimulatedReplica replica)
    {
        var config = new RaftConfig
        {
            Id = replica.Id,
            ElectionTicks = 10,
            HeartbeatTicks = 1,
            Applied = replica.AppliedIndex,
            RandomSeed = _random.Next(),
            MaxSizePerMessage = 256,
            MaxInflightMessages = 4,
            PreVote = _options.PreVote,
        };
        replica.Raft = new RaftNode(config, replica.Storage);
        replica.Pending = null;
        replica.CommittedSeen = replica.Raft.Committed;
    }

    /// <summary>Handles the replica's Readies: take one, send its immediate messages, and persist it now or in a later step.</summary>
    private void Pump(SimulatedGroup group, SimulatedReplica replica, double persistChance)
    {
        for (var rounds = 0; replica.Alive; rounds++)
        {
            if (rounds > 1000) throw new InvariantViolationException($"[group {group.Id}] {replica} produces Readies without end");
            if (replica.Pending is not null)
            {
                if (_random.NextDouble() >= persistChance) return;
                Persist(group, replica);
            }
            if (!replica.Raft!.HasReady) return;
            var ready = replica.Raft.Ready();
            replica.Pending = ready;
            if (Tracing && (ready.SoftState is not null || ready.Snapshot is not null))
            {
                Log($"{replica} ready #{ready.Number}: {replica.Raft}{(ready.Snapshot is null ? "" : $" snapshot@{ready.Snapshot.Metadata.Index}")}");
            }
            InvariantChecker.CheckEntriesWritten(group, replica, ready.Entries);
            foreach (var state in ready.ReadStates) InvariantChecker.CheckReadState(group, replica, state);
            foreach (var message in ready.Messages) Send(group, replica, message);
        }
    }

    /// <summary>Makes the pending Ready durable, sends what had to wait for that, applies, advances.</summary>
    private void Persist(SimulatedGroup group, SimulatedReplica replica)
    {
        var ready = replica.Pending!;
        var storage = replica.Storage;
        if (ready.Snapshot is { } snapshot)
        {
            InvariantChecker.CheckSnapshotRestore(group, replica, snapshot);
            storage.ApplySnapshot(snapshot);
            var (index, chain) = SimulatedReplica.DecodeState(snapshot.Data);
            replica.AppliedIndex = index;
            replica.AppliedChain = chain;
            replica.AppliedConf = snapshot.Metadata.ConfState;
        }
        storage.Append(ready.Entries);
        if (ready.HardState is { } hardState)
        {
            InvariantChecker.CheckDurableHardState(group, replica, storage.HardState, hardState);
            storage.SetHardState(hardState);
        }
        foreach (var message in ready.PersistedMessages) Send(group, replica, message);
        foreach (var entry in ready.CommittedEntries) Apply(group, replica, entry);
        replica.Pending = null;
        replica.Raft!.Advance(ready);
    }

    private void Apply(SimulatedGroup group, SimulatedReplica replica, Entry entry)
    {
        InvariantChecker.CheckApply(group, replica, entry);
        if (entry.Type == EntryType.ConfChange)
        {
            var change = ConfChange.Decode(entry.Data);
            replica.AppliedConf = Membership.Apply(replica.AppliedConf, change);
            if (Tracing) Log($"{replica} applies conf change {change} at {entry.Index}: {replica.AppliedConf}");
        }
        else if (Liveness.IsProbe(entry.Data))
        {
            replica.AppliedLivenessProbe = true;
        }
    }

    private void Send(SimulatedGroup group, SimulatedReplica from, Message message)
    {
        if (!group.Replicas.TryGetValue(message.To, out var to) || to.Destroyed) return;
        if (!_network.Send(_step, from.Node, to.Node, group.Id, message))
        {
            // The transport notices a failed snapshot transfer and tells Raft (etcd's ReportSnapshot).
            if (message.Type == MessageType.Snapshot) from.Raft?.ReportSnapshot(message.To, succeeded: false);
        }
    }

    private void Deliver()
    {
        foreach (var inFlight in _network.TakeDue(_step))
        {
            var group = _groups[(int)inFlight.GroupId - 1];
            var message = inFlight.Message;
            group.Replicas.TryGetValue(message.From, out var sender);
            if (!group.Replicas.TryGetValue(message.To, out var target) || !target.Alive || _network.IsBlocked(inFlight.FromNode, inFlight.ToNode))
            {
                // The link or the peer is down: the transport reports it (etcd's ReportUnreachable / ReportSnapshot).
                if (sender?.Alive == true)
                {
                    if (message.Type == MessageType.Snapshot) sender.Raft!.ReportSnapshot(message.To, succeeded: false);
                    sender.Raft!.ReportUnreachable(message.To);
                }
                continue;
            }
            var result = target.Raft!.Step(message);
            if (Tracing) Log($"g{group.Id} deliver {message} => {result}");
            if (message.Type == MessageType.Snapshot && sender?.Alive == true) sender.Raft!.ReportSnapshot(message.To, succeeded: true);
        }
    }

    private void HashState()
    {
        var hash = Hashing.Mix(_traceHash, (ulong)_step);
        foreach (var group in _groups)
        {
            foreach (var replica in group.Replicas.Values)
            {
                hash = Hashing.Mix(hash, replica.Id);
                if (!replica.Alive) continue;
                var node = replica.Raft!;
                hash = Hashing.Mix(hash, node.Term);
                hash = Hashing.Mix(hash, (ulong)node.Role);
                hash = Hashing.Mix(hash, node.Committed);
                hash = Hashing.Mix(hash, node.LastIndex);
                hash = Hashing.Mix(hash, replica.AppliedChain);
            }
        }
        _traceHash = Hashing.Mix(hash, (ulong)_network.InFlightCount);
    }
}
