using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// A deterministic simulation of N physical nodes hosting G Raft groups, each replica a <see cref="RaftPeer{TReplyTo}"/>
/// (the group actor's logic) over a simulated journal: one <see cref="Random"/> seeded by the options drives every
/// choice, there is no clock and no thread, so a seed replays identically. A fault phase (drops, delays, duplicates,
/// reordering, partitions, crashes that lose unsaved writes, restarts from the journal, membership changes, destroys,
/// transfers, reads, proposals, quiet spells that let groups hibernate) is followed by a liveness phase (everything
/// healed). Raft's invariants and the client-visible ones (answers, reads, tombstones) are checked after every step.
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
    private readonly RuntimeSettings _runtime;
    private readonly Dictionary<ulong, ClientRequest> _requests = [];
    private readonly List<ClientRequest> _unanswered = [];
    private readonly List<TransferReport> _transferReports = [];
    private readonly Dictionary<(ulong Group, ulong Replica, int ToNode), SnapshotStream> _streams = [];
    private readonly List<(long Due, int Node)> _wakeUps = [];
    // Read flushes asked for (ScheduleReadFlush) and not yet run, with the incarnation that asked.
    private readonly List<(SimulatedReplica Replica, int Incarnation)> _readFlushes = [];
    private long _step;
    private ulong _traceHash = Hashing.Seed;
    private ulong _nextRequest = 1;
    private long _nextStream = 1;
    // What the run exercised, for the sweep's summary.
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    private Simulation(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _nodeCount = 3 + _random.Next(3);
        var groupCount = 1 + _random.Next(3);
        _rates = FaultRates.Draw(_random);
        _runtime = RuntimeSettings.Draw(_random);
        _network = new SimulatedNetwork(_random)
        {
            DropRate = _rates.Drop, DuplicateRate = _rates.Duplicate, MaxDelay = _rates.MaxDelay,
        };
        for (var g = 1; g <= groupCount; g++)
        {
            var voterCount = 3 + _random.Next(_nodeCount - 2);
            var voters = Enumerable.Range(1, voterCount).Select(i => (ulong)i).ToArray();
            var group = new SimulatedGroup((ulong)g, voters);
            _groups.Add(group);
            foreach (var id in voters) AddReplica(group, id, (int)id);
        }
        Log($"setup: {_nodeCount} nodes, {groupCount} groups ({string.Join(", ", _groups.Select(g => $"g{g.Id}: voters {string.Join(' ', g.BootstrapVoters)}"))}), {_rates}; {_runtime}");
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
            return new SimulationResult(_options.Seed, null, _step, _traceHash) { Counts = _counts };
        }
        catch (InvariantViolationException e)
        {
            return Fail($"step {_step}: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or KeyNotFoundException or InvalidCastException)
        {
            var frame = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            return Fail($"step {_step}: runtime threw {e.GetType().Name}: {e.Message} ({frame})");
        }
    }

    private SimulationResult Fail(string violation)
    {
        Log($"VIOLATION {violation}");
        return new SimulationResult(_options.Seed, violation, _step, _traceHash) { Counts = _counts };
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
        // The coordinator ticks the groups that are awake.
        foreach (var replica in AllLive().Where(r => !r.Asleep))
        {
            if (!replica.Peer!.IsHibernating) replica.AwakeTicks++;
            Execute(replica, replica.Peer.Tick());
        }
        Deliver();
        FlushReads();
        var persistChance = faultPhase ? _rates.PersistChance : 1.0;
        foreach (var group in _groups)
        {
            foreach (var replica in group.Replicas.Values.ToList()) CompleteWrites(group, replica, persistChance);
        }
        foreach (var group in _groups)
        {
            InvariantChecker.CheckState(group);
            CollectRemovedReplicas(group);
        }
        CheckRequestDeadlines();
        HashState();
    }

    private void Count(string what) => _counts[what] = _counts.GetValueOrDefault(what) + 1;

    private static string Outcome(object answer) => answer switch
    {
        ProposeSucceeded => "succeeded",
        ReadSucceeded => "succeeded",
        ProposeFailed failed => failed.Failure.ToString().ToLowerInvariant(),
        GroupDestroyed destroyed => destroyed.Destroyed ? "destroyed" : "refused",
        _ => "other",
    };

    private IEnumerable<SimulatedReplica> AllLive() => _groups.SelectMany(g => g.Live).ToList();

    private SimulatedGroup GroupOf(SimulatedReplica replica) => _groups[(int)replica.GroupId - 1];

    private SimulatedReplica AddReplica(SimulatedGroup group, ulong id, int node)
    {
        // Every replica starts from the group's bootstrap voters (one per node, id = node); a later one is no voter in it
        // and waits for the leader's log or snapshot.
        var initialPeers = group.BootstrapVoters.ToDictionary(v => v, v => v);
        var spec = new CreateGroup(group.Id, id, initialPeers, () => throw new InvalidOperationException("the simulator makes its own state machines"));
        var replica = new SimulatedReplica(group.Id, id, node, spec, _step);
        group.Replicas[id] = replica;
        if (!_crashedNodes.Contains(node)) Start(replica);
        return replica;
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
                hash = Hashing.Mix(hash, replica.Machine!.Chain);
                hash = Hashing.Mix(hash, replica.Asleep ? 1UL : 0UL);
            }
        }
        _traceHash = Hashing.Mix(hash, (ulong)_network.InFlightCount);
    }
}
