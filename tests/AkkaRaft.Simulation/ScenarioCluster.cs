using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// A small hand-driven group for regression scenarios: Readies are persisted at once, messages wait in a queue and a
/// test-supplied filter may drop them. No randomness beyond the replicas' own seeded election timeouts.
/// </summary>
internal sealed class ScenarioCluster
{
    private readonly Queue<Message> _inFlight = new();

    public ScenarioCluster(int voters, Func<ulong, RaftConfig, RaftConfig>? configure = null)
    {
        var ids = Enumerable.Range(1, voters).Select(i => (ulong)i).ToArray();
        foreach (var id in ids)
        {
            var config = new RaftConfig { Id = id, ElectionTicks = 10, HeartbeatTicks = 1, RandomSeed = (int)id };
            Nodes[id] = new RaftNode(configure?.Invoke(id, config) ?? config, Storages[id] = MemoryStorage.WithVoters(ids));
        }
    }

    public Dictionary<ulong, RaftNode> Nodes { get; } = [];
    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];
    /// <summary>Replicas whose Readies the cluster leaves alone (the test takes and persists them by hand).</summary>
    public HashSet<ulong> Paused { get; } = [];
    /// <summary>Messages for which this returns true are lost.</summary>
    public Func<Message, bool> Drop { get; set; } = _ => false;

    public RaftNode this[ulong id] => Nodes[id];

    public void Settle(int maxMessages = 10_000)
    {
        ProcessReadies();
        for (var delivered = 0; _inFlight.Count > 0 && delivered < maxMessages; delivered++)
        {
            var m = _inFlight.Dequeue();
            if (!Drop(m) && Nodes.TryGetValue(m.To, out var node)) node.Step(m);
            ProcessReadies();
        }
    }

    public void Tick(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var node in Nodes.Values) node.Tick();
            Settle();
        }
    }

    private void ProcessReadies()
    {
        foreach (var (id, node) in Nodes)
        {
            if (Paused.Contains(id)) continue;
            while (node.HasReady)
            {
                var ready = node.Ready();
                var storage = Storages[id];
                if (ready.Snapshot is { } snapshot) storage.ApplySnapshot(snapshot);
                storage.Append(ready.Entries);
                if (ready.HardState is { } hardState) storage.SetHardState(hardState);
                foreach (var m in ready.AllMessages) _inFlight.Enqueue(m);
                node.Advance(ready);
            }
        }
    }
}
