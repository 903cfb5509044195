namespace AkkaRaft.Core.Raft;

/// <summary>
/// One group of replicas wired together in memory and driven synchronously: each Ready is persisted to a
/// <see cref="MemoryStorage"/>, messages are delivered in order, committed entries are reported. Used by the demo
/// and by the core benchmark as the ceiling without I/O.
/// </summary>
internal sealed class LocalGroup
{
    private readonly SortedDictionary<ulong, RaftNode> _replicas = [];
    private readonly Dictionary<ulong, MemoryStorage> _storages = [];
    private readonly Queue<Message> _network = new();

    /// <summary>Creates <paramref name="size"/> voters with ids 1..size.</summary>
    public LocalGroup(int size, Func<ulong, RaftConfig>? configure = null)
    {
        var ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        foreach (var id in ids)
        {
            _storages[id] = MemoryStorage.WithVoters(ids);
            _replicas[id] = new RaftNode(configure?.Invoke(id) ?? new RaftConfig { Id = id, RandomSeed = (int)id }, _storages[id]);
        }
    }

    /// <summary>Called for every committed entry applied on any replica: (replica, entry).</summary>
    public event Action<ulong, Entry>? Applied;

    /// <summary>Replicas by id.</summary>
    public IReadOnlyDictionary<ulong, RaftNode> Replicas => _replicas;

    /// <summary>Durable write operations performed (one per Ready that must sync).</summary>
    public long DurableWrites { get; private set; }

    /// <summary>The leader with the highest term, if any.</summary>
    public RaftNode? Leader => _replicas.Values.Where(r => r.Role == StateRole.Leader).MaxBy(r => r.Term);

    /// <summary>Ticks every replica once and runs until quiet.</summary>
    public void Tick()
    {
        foreach (var replica in _replicas.Values) replica.Tick();
        RunUntilQuiet();
    }

    /// <summary>Ticks until a leader exists (at most <paramref name="maxTicks"/>); returns the ticks used or -1.</summary>
    public int TickUntilLeader(int maxTicks = 1000)
    {
        for (var tick = 1; tick <= maxTicks; tick++)
        {
            Tick();
            if (Leader is not null) return tick;
        }
        return -1;
    }

    /// <summary>Handles every Ready and delivers every message until nothing moves.</summary>
    public void RunUntilQuiet()
    {
        do
        {
            foreach (var (id, replica) in _replicas)
            {
                while (replica.HasReady) Handle(id, replica, replica.Ready());
            }
            while (_network.Count > 0)
            {
                var m = _network.Dequeue();
                if (_replicas.TryGetValue(m.To, out var target)) target.Step(m);
            }
        } while (_replicas.Values.Any(r => r.HasReady));
    }

    private void Handle(ulong id, RaftNode replica, Ready ready)
    {
        var storage = _storages[id];
        if (ready.Snapshot is { } snapshot) storage.ApplySnapshot(snapshot);
        storage.Append(ready.Entries);
        if (ready.HardState is { } hardState) storage.SetHardState(hardState);
        if (ready.MustSync) DurableWrites++;
        foreach (var m in ready.AllMessages) _network.Enqueue(m);
        foreach (var entry in ready.CommittedEntries) Applied?.Invoke(id, entry);
        replica.Advance(ready);
    }
}
