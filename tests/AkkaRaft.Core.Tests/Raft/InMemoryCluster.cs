using AkkaRaft.Core.Raft;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>
/// A synchronous in-memory group for tests: every Ready is persisted to <see cref="MemoryStorage"/>, its messages are
/// queued, committed entries are recorded as applied. Messages move only when the test says so.
/// </summary>
internal sealed class InMemoryCluster
{
    private readonly Dictionary<ulong, RaftNode> _nodes = [];
    private readonly Queue<Message> _inFlight = new();
    private readonly HashSet<(ulong From, ulong To)> _cut = [];

    private readonly Func<ulong, RaftConfig> _configure;

    /// <param name="size">Replicas 1..size.</param>
    /// <param name="configure">Settings per replica (default <see cref="DefaultConfig"/>).</param>
    /// <param name="storage">Initial durable state per replica (default: empty log, all replicas voters).</param>
    public InMemoryCluster(int size, Func<ulong, RaftConfig>? configure = null, Func<ulong, MemoryStorage>? storage = null)
    {
        _configure = configure ?? DefaultConfig;
        var ids = Enumerable.Range(1, size).Select(i => (ulong)i).ToArray();
        foreach (var id in ids)
        {
            var s = storage?.Invoke(id) ?? MemoryStorage.WithVoters(ids);
            Storages[id] = s;
            Applied[id] = [];
            _nodes[id] = new RaftNode(_configure(id), s);
        }
    }

    /// <summary>Messages for which this returns true are dropped in flight.</summary>
    public Func<Message, bool>? Drop { get; set; }

    /// <summary>Replaces a message in flight (return the message unchanged to keep it).</summary>
    public Func<Message, Message>? Rewrite { get; set; }

    /// <summary>Every message delivered to a replica, in order.</summary>
    public List<Message> Delivered { get; } = [];

    public static RaftConfig DefaultConfig(ulong id) => new() { Id = id, ElectionTicks = 10, HeartbeatTicks = 1, RandomSeed = (int)id };

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];
    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = [];
    public IEnumerable<ulong> Ids => _nodes.Keys;

    public RaftNode this[ulong id] => _nodes[id];

    /// <summary>Adds a replica that starts with an empty log and the given membership (for conf change tests).</summary>
    public RaftNode AddNode(ulong id, params ulong[] voters) => AddNode(id, MemoryStorage.WithVoters(voters));

    /// <summary>Adds a replica over the given storage.</summary>
    public RaftNode AddNode(ulong id, MemoryStorage storage)
    {
        Storages[id] = storage;
        Applied[id] = [];
        return _nodes[id] = new RaftNode(_configure(id), storage);
    }

    /// <summary>
    /// Crashes a replica (losing whatever was not persisted) and restarts it from its storage. The state machine comes
    /// back from the snapshot, so committed entries after it (membership changes included) are applied again.
    /// </summary>
    public RaftNode Restart(ulong id)
    {
        var snapshotIndex = Storages[id].Snapshot().Metadata.Index;
        Applied[id].RemoveAll(e => e.Index > snapshotIndex);
        return _nodes[id] = new RaftNode(_configure(id) with { Applied = snapshotIndex }, Storages[id]);
    }

    public void Cut(ulong a, ulong b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    public void Isolate(ulong id)
    {
        foreach (var other in Ids) if (other != id) Cut(id, other);
    }

    public void Heal() => _cut.Clear();

    /// <summary>Processes every Ready (persist, queue messages, apply, advance) until none is left.</summary>
    public void ProcessReadies()
    {
        bool any;
        do
        {
            any = false;
            foreach (var (id, node) in _nodes)
            {
                while (node.HasReady)
                {
                    any = true;
                    var ready = node.Ready();
                    var storage = Storages[id];
                    if (ready.Snapshot is { } snapshot) storage.ApplySnapshot(snapshot);
                    storage.Append(ready.Entries);
                    if (ready.HardState is { } hs) storage.SetHardState(hs);
                    foreach (var m in ready.AllMessages) _inFlight.Enqueue(m);
                    Applied[id].AddRange(ready.CommittedEntries);
                    if (ready.ReadStates.Count > 0)
                    {
                        if (!ReadStates.TryGetValue(id, out var list)) ReadStates[id] = list = [];
                        list.AddRange(ready.ReadStates);
                    }
                    node.Advance(ready);
                }
            }
        } while (any);
    }

    /// <summary>Delivers queued messages (and the ones they cause) until the network is quiet.</summary>
    public int Deliver(int maxMessages = 100_000)
    {
        var delivered = 0;
        ProcessReadies();
        while (_inFlight.Count > 0 && delivered < maxMessages)
        {
            var m = _inFlight.Dequeue();
            delivered++;
            if (_cut.Contains((m.From, m.To)) || !_nodes.TryGetValue(m.To, out var node) || (Drop?.Invoke(m) ?? false)) continue;
            if (Rewrite is not null) m = Rewrite(m);
            Delivered.Add(m);
            node.Step(m);
            ProcessReadies();
        }
        return delivered;
    }

    /// <summary>Drops everything queued.</summary>
    public void DropInFlight() => _inFlight.Clear();

    /// <summary>Makes <paramref name="id"/> campaign and lets the election run to completion.</summary>
    public void Elect(ulong id)
    {
        _nodes[id].Campaign();
        Deliver();
    }

    public void TickAll(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var node in _nodes.Values) node.Tick();
            Deliver();
        }
    }

    public ProposeResult Propose(ulong id, string data)
    {
        var result = _nodes[id].Propose(System.Text.Encoding.UTF8.GetBytes(data));
        Deliver();
        return result;
    }

    /// <summary>Data of the non-empty normal entries a replica applied, in order.</summary>
    public List<string> AppliedData(ulong id) =>
        Applied[id].Where(e => e.Type == EntryType.Normal && e.Data.Length > 0).Select(e => System.Text.Encoding.UTF8.GetString(e.Data)).ToList();

    public RaftNode? LeaderNode => _nodes.Values.SingleOrDefault(n => n.Role == StateRole.Leader && _nodes.Values.All(o => o.Term <= n.Term));
}
