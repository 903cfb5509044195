using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport;
using Akka.TestKit;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.TestKit;

/// <summary>
/// N actor systems in one process on 127.0.0.1 (Akka.Remote on port 0) forming one Akka cluster, each with its own journal
/// (SQLite in its own data directory, or in memory), with Akka.Remote's throttler and failure-injector transport adapters
/// applied so tests can cut and restore links between any nodes. Node index i runs Raft node id i + 1
/// (<see cref="RaftNode"/>); <see cref="CreateGroupAsync{TMachine, TCommand, TResult}"/> creates a group on the nodes and
/// <see cref="RestartAsync"/> brings a crashed node back on its data with its groups.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    // Akka.Remote.Transport.Blackhole: the throttle mode that drops everything (named apart from our Blackhole method).
    private static readonly ThrottleMode DropEverything = Akka.Remote.Transport.Blackhole.Instance;

    private readonly List<ActorSystem> _systems;
    private readonly Config? _overrides;
    private readonly HashSet<int> _crashed = [];
    private readonly List<Func<int, CancellationToken, Task>> _groupRecreators = [];
    private readonly object _gate = new();

    private LoopbackCluster(string rootDir, List<ActorSystem> systems, Config? overrides, RaftTestPersistence persistence)
    {
        RootDir = rootDir;
        _systems = systems;
        _overrides = overrides;
        Persistence = persistence;
    }

    /// <summary>Where the nodes keep their journals.</summary>
    public RaftTestPersistence Persistence { get; }

    /// <summary>Folder holding every node's data directory; deleted on dispose unless <see cref="KeepDataOnDispose"/>.</summary>
    public string RootDir { get; }

    /// <summary>When true, dispose stops the nodes but keeps <see cref="RootDir"/>, so a new instance can restart them on the same data.</summary>
    public bool KeepDataOnDispose { get; set; }

    /// <summary>The nodes' actor systems, index 0 being the seed.</summary>
    public IReadOnlyList<ActorSystem> Systems => _systems;

    /// <summary>Number of nodes.</summary>
    public int Count => _systems.Count;

    /// <summary>Actor system of node <paramref name="index"/>.</summary>
    public ActorSystem this[int index] => _systems[index];

    /// <summary>Starts <paramref name="count"/> nodes, joins them to node 0 and waits until each node sees itself Up.</summary>
    /// <param name="count">Number of nodes (at least 1).</param>
    /// <param name="overrides">Extra HOCON applied on top of every node's config.</param>
    /// <param name="timeout">How long to wait for every node to be Up (default 30 s).</param>
    /// <param name="rootDir">Data of a previous instance (disposed with <see cref="KeepDataOnDispose"/>) to restart on; default a new temporary folder.</param>
    /// <param name="persistence">SQLite files (default; restartable) or in-memory journals.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or above <see cref="MaxNodes"/>.</exception>
    public static async Task<LoopbackCluster> StartAsync(int count, Config? overrides = null, TimeSpan? timeout = null, string? rootDir = null,
        RaftTestPersistence persistence = RaftTestPersistence.Sqlite)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxNodes);
        if (!Enum.IsDefined(persistence)) throw new ArgumentOutOfRangeException(nameof(persistence), persistence, "unknown persistence");
        rootDir ??= Path.Combine(Path.GetTempPath(), "akkaraft-tests", "cluster-" + Guid.NewGuid().ToString("N"));
        var systems = new List<ActorSystem>(count);
        var nodes = new LoopbackCluster(rootDir, systems, overrides, persistence);
        try
        {
            for (var i = 0; i < count; i++)
                systems.Add(nodes.CreateSystem(i));

            var ups = systems.Select(WhenUp).ToList();
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            foreach (var system in systems)
                Akka.Cluster.Cluster.Get(system).Join(seed);

            await Task.WhenAll(ups).WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    /// <summary>Most nodes one cluster starts: each is a whole ActorSystem with its own threads.</summary>
    public const int MaxNodes = 9;

    /// <summary>Name of node <paramref name="index"/> (also its database file name).</summary>
    public static string NodeName(int index) => $"node{index}";

    /// <summary>Data directory of node <paramref name="index"/>.</summary>
    public string DataDirOf(int index) => Path.Combine(RootDir, NodeName(index));

    /// <summary>Cluster (and remoting) address of node <paramref name="index"/>.</summary>
    public Address AddressOf(int index) => Akka.Cluster.Cluster.Get(_systems[index]).SelfAddress;

    /// <summary>Drops every message between nodes <paramref name="a"/> and <paramref name="b"/>, both directions, on both sides.</summary>
    public async Task Blackhole(int a, int b)
    {
        CheckIndex(a);
        CheckIndex(b);
        if (a == b) throw new ArgumentException($"a node cannot be cut from itself (node {a})", nameof(b));
        await Throttle(a, b, DropEverything);
        await Throttle(b, a, DropEverything);
    }

    /// <summary>Restores normal delivery between nodes <paramref name="a"/> and <paramref name="b"/>.</summary>
    public async Task PassThrough(int a, int b)
    {
        CheckIndex(a);
        CheckIndex(b);
        await Throttle(a, b, Unthrottled.Instance);
        await Throttle(b, a, Unthrottled.Instance);
    }

    /// <summary>
    /// Blackholes every link between a running node of <paramref name="side"/> and a running node outside it; call it again
    /// with another side to cut the cluster into more parts.
    /// </summary>
    public async Task Partition(params int[] side)
    {
        ArgumentNullException.ThrowIfNull(side);
        foreach (var index in side) CheckIndex(index);
        foreach (var a in side.Where(IsRunning))
            foreach (var b in Enumerable.Range(0, Count).Except(side).Where(IsRunning))
                await Blackhole(a, b);
    }

    /// <summary>Restores every link between every pair of running nodes.</summary>
    public async Task HealAll()
    {
        for (var a = 0; a < Count; a++)
            for (var b = a + 1; b < Count; b++)
                if (IsRunning(a) && IsRunning(b)) await PassThrough(a, b);
    }

    /// <summary>
    /// Restarts node <paramref name="index"/> alone, like a crash and a reboot: terminates its actor system (if
    /// <see cref="CrashAsync"/> did not already), downs its old incarnation from a running node (no auto-downing here), then
    /// starts a new system on the same data directory (a new port), waits until it is Up and re-creates on it every group
    /// made with <see cref="CreateGroupAsync{TMachine, TCommand, TResult}"/> that it hosted (each replays its journal).
    /// Links the tests cut to the old incarnation are not carried over.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cluster keeps its journals in memory (nothing to restart on), or no other node runs.</exception>
    public async Task RestartAsync(int index, TimeSpan? timeout = null)
    {
        CheckIndex(index);
        if (Persistence == RaftTestPersistence.InMemory)
            throw new InvalidOperationException($"node {index} cannot restart on its data: this cluster keeps journals in memory (start it with {nameof(RaftTestPersistence)}.{nameof(RaftTestPersistence.Sqlite)})");
        var survivorIndex = Enumerable.Range(0, Count).Where(i => i != index && IsRunning(i)).DefaultIfEmpty(-1).First();
        if (survivorIndex < 0) throw new InvalidOperationException($"node {index} cannot rejoin: no other node is running");
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var oldAddress = AddressOf(index);
        var survivor = _systems[survivorIndex];
        await _systems[index].Terminate().WaitAsync(limit);
        SqliteConnection.ClearAllPools();
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = survivor.ActorOf(Props.Create(() => new RemovalWatcher(oldAddress, removed)));
        Akka.Cluster.Cluster.Get(survivor).Down(oldAddress);
        await removed.Task.WaitAsync(limit);
        survivor.Stop(watcher);

        var system = CreateSystem(index);
        _systems[index] = system;
        var up = WhenUp(system);
        Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(survivor).SelfAddress);
        await up.WaitAsync(limit);
        lock (_gate) _crashed.Remove(index);
        List<Func<int, CancellationToken, Task>> recreators;
        lock (_gate) recreators = [.. _groupRecreators];
        using var deadline = new CancellationTokenSource(limit);
        foreach (var recreate in recreators) await recreate(index, deadline.Token);
    }

    /// <summary>
    /// Stops node <paramref name="index"/> like a crash: its actor system terminates without leaving the cluster (the others
    /// see its connections close). <see cref="RestartAsync"/> brings it back on its data (SQLite only).
    /// </summary>
    public async Task CrashAsync(int index, TimeSpan? timeout = null)
    {
        CheckIndex(index);
        lock (_gate) _crashed.Add(index);
        await _systems[index].Terminate().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        SqliteConnection.ClearAllPools();
    }

    /// <summary>False once <see cref="CrashAsync"/> stopped node <paramref name="index"/>, until <see cref="RestartAsync"/>.</summary>
    public bool IsRunning(int index)
    {
        CheckIndex(index);
        lock (_gate) return !_crashed.Contains(index) && !_systems[index].WhenTerminated.IsCompleted;
    }

    /// <summary>Cuts node <paramref name="index"/> off from every other node (both directions); <see cref="HealAll"/> restores it.</summary>
    public Task Isolate(int index)
    {
        CheckIndex(index);
        return Partition(index);
    }

    /// <summary>Raft node id of node <paramref name="index"/>: index + 1.</summary>
    public static ulong NodeIdOf(int index) => (ulong)index + 1;

    /// <summary>Node index of Raft node id <paramref name="nodeId"/>.</summary>
    public static int IndexOf(ulong nodeId) => nodeId is 0 or > MaxNodes ? throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, "not a node id of a test cluster") : (int)nodeId - 1;

    /// <summary>The Raft node of node <paramref name="index"/> (id index + 1), started on first use in its current actor system.</summary>
    public RaftNodeHandle RaftNode(int index)
    {
        CheckIndex(index);
        return AkkaRaftExtension.Get(_systems[index]).StartNode(NodeIdOf(index));
    }

    /// <summary>
    /// Creates group <paramref name="groupId"/> with a replica on each node of <paramref name="nodes"/> (default: all; peer id
    /// = node id) running the state machine <paramref name="stateMachine"/> makes, and waits until every replica runs. The
    /// group is remembered: <see cref="RestartAsync"/> re-creates its replica on a restarted node.
    /// </summary>
    /// <exception cref="ArgumentException">A node index is out of range or repeated.</exception>
    public async Task<RaftTestGroup<TMachine, TCommand, TResult>> CreateGroupAsync<TMachine, TCommand, TResult>(
        ulong groupId, Func<TMachine> stateMachine, IRaftCodec<TCommand> codec, IReadOnlyCollection<int>? nodes = null, CancellationToken cancellationToken = default)
        where TMachine : IRaftStateMachine<TCommand, TResult>
    {
        ArgumentNullException.ThrowIfNull(stateMachine);
        ArgumentNullException.ThrowIfNull(codec);
        var members = (nodes ?? Enumerable.Range(0, Count).ToList()).ToList();
        if (members.Count == 0 || members.Distinct().Count() != members.Count || members.Any(i => i < 0 || i >= Count))
            throw new ArgumentException($"nodes must be distinct indexes in [0, {Count}), got [{string.Join(", ", members)}]", nameof(nodes));
        var group = new RaftTestGroup<TMachine, TCommand, TResult>(this, groupId, members, stateMachine, codec);
        await Task.WhenAll(members.Where(IsRunning).Select(i => group.CreateReplicaAsync(i, cancellationToken)));
        lock (_gate)
        {
            _groupRecreators.Add((index, ct) => members.Contains(index) ? group.CreateReplicaAsync(index, ct) : Task.CompletedTask);
        }
        return group;
    }

    /// <summary>Completes its task once the cluster removed the member at its address.</summary>
    private sealed class RemovalWatcher : ReceiveActor
    {
        public RemovalWatcher(Address address, TaskCompletionSource removed)
        {
            Receive<ClusterEvent.CurrentClusterState>(state =>
            {
                if (state.Members.All(m => m.Address != address)) removed.TrySetResult();
            });
            Receive<ClusterEvent.MemberRemoved>(e =>
            {
                if (e.Member.Address == address) removed.TrySetResult();
            });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>Makes node <paramref name="from"/> drop messages to/from <paramref name="to"/> with the given probabilities (gremlin adapter).</summary>
    public Task InjectDrops(int from, int to, double outboundDropProbability, double inboundDropProbability) =>
        Command(from, new FailureInjectorTransportAdapter.One(AddressOf(to),
            new FailureInjectorTransportAdapter.Drop(outboundDropProbability, inboundDropProbability)));

    /// <summary>Terminates every node and deletes the data directories (unless <see cref="KeepDataOnDispose"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_systems.Select(s => s.Terminate()));
        // Pooled SQLite handles would keep the files open.
        SqliteConnection.ClearAllPools();
        if (KeepDataOnDispose) return;
        try
        {
            if (Directory.Exists(RootDir))
                Directory.Delete(RootDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the folder is under the temp directory.
        }
    }

    private void CheckIndex(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"this cluster has nodes 0 to {Count - 1}");
    }

    private ActorSystem CreateSystem(int index)
    {
        var name = NodeName(index);
        var dataDir = DataDirOf(index);
        if (Persistence == RaftTestPersistence.Sqlite)
            SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, name));
        return ActorSystem.Create("akkaraft", NodeConfig(dataDir, name, _overrides, Persistence));
    }

    private Task Throttle(int on, int towards, ThrottleMode mode) =>
        Command(on, new SetThrottle(AddressOf(towards), ThrottleTransportAdapter.Direction.Both, mode));

    // Management commands travel down the adapter chain (gremlin -> trttl -> tcp) until one handles them.
    private async Task Command(int on, object command)
    {
        // RARP is internal in Akka.NET 1.5; the provider interface exposes the same transport.
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)_systems[on]).Provider).Transport;
        var handled = await transport.ManagementCommand(command).WaitAsync(CommandTimeout);
        if (!handled)
            throw new InvalidOperationException($"Node {on} did not apply transport command {command}.");
    }

    private static Task WhenUp(ActorSystem system)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task;
    }

    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka-raft.journal-plugin-id = "akka.persistence.journal.inmem"
        akka-raft.snapshot-plugin-id = "akka.persistence.snapshot-store.inmem"
        """);

    private static Config NodeConfig(string dataDir, string name, Config? overrides, RaftTestPersistence persistence)
    {
        // AKKARAFT_TEST_LOGLEVEL=INFO (or DEBUG) shows what the nodes did when a test fails.
        var logLevel = Environment.GetEnvironmentVariable("AKKARAFT_TEST_LOGLEVEL") ?? "WARNING";
        var node = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{logLevel}}
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = "127.0.0.1"
                port = 0
                # trttl = throttler (Blackhole/PassThrough), gremlin = failure injector (drops).
                applied-adapters = [trttl, gremlin]
              }
              cluster {
                # Faster membership convergence for tests.
                gossip-interval = 200ms
                leader-actions-interval = 200ms
                periodic-tasks-initial-delay = 100ms
                # Partitions must not down anyone: Raft, not the cluster, decides about groups.
                downing-provider-class = ""
                run-coordinated-shutdown-when-down = off
              }
              # Dispose is a hard stop, like a crash; no graceful leave through a partition.
              coordinated-shutdown.run-by-actor-system-terminate = off
              coordinated-shutdown.run-by-clr-shutdown-hook = off
            }
            akka-raft.data-dir = "{{dataDir.Replace("\\", "\\\\", StringComparison.Ordinal)}}"
            """);
        var config = overrides is null ? node : overrides.WithFallback(node);
        return config
            .WithFallback(persistence == RaftTestPersistence.Sqlite ? SqlitePersistenceConfig.For(dataDir, name) : InMemoryPersistence)
            .WithFallback(RaftReferenceConfig.Value)
            // Lets tests create TestProbes inside node systems.
            .WithFallback(TestKitBase.DefaultConfig);
    }
}
