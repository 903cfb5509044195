using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport;
using Akka.TestKit;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Actors.Tests.Cluster;

/// <summary>
/// N actor systems on 127.0.0.1 (Akka.Remote on port 0) forming one Akka cluster, each with its own
/// SQLite data directory, with the throttler and failure-injector transport adapters applied so tests
/// can cut and restore links between nodes.
/// </summary>
public sealed class LoopbackNodes : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    // Akka.Remote.Transport.Blackhole: the throttle mode that drops everything (named apart from our Blackhole method).
    private static readonly ThrottleMode DropEverything = Akka.Remote.Transport.Blackhole.Instance;

    private readonly List<ActorSystem> _systems;
    private readonly Config? _overrides;

    private LoopbackNodes(string rootDir, List<ActorSystem> systems, Config? overrides)
    {
        RootDir = rootDir;
        _systems = systems;
        _overrides = overrides;
    }

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
    public static async Task<LoopbackNodes> StartAsync(int count, Config? overrides = null, TimeSpan? timeout = null, string? rootDir = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        rootDir ??= Path.Combine(Path.GetTempPath(), "akkaraft-tests", "cluster-" + Guid.NewGuid().ToString("N"));
        var systems = new List<ActorSystem>(count);
        var nodes = new LoopbackNodes(rootDir, systems, overrides);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var name = NodeName(i);
                var dataDir = nodes.DataDirOf(i);
                SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, name));
                systems.Add(ActorSystem.Create("akkaraft", NodeConfig(dataDir, name, overrides)));
            }

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

    /// <summary>Name of node <paramref name="index"/> (also its database file name).</summary>
    public static string NodeName(int index) => $"node{index}";

    /// <summary>Data directory of node <paramref name="index"/>.</summary>
    public string DataDirOf(int index) => Path.Combine(RootDir, NodeName(index));

    /// <summary>Cluster (and remoting) address of node <paramref name="index"/>.</summary>
    public Address AddressOf(int index) => Akka.Cluster.Cluster.Get(_systems[index]).SelfAddress;

    /// <summary>Drops every message between nodes <paramref name="a"/> and <paramref name="b"/>, both directions, on both sides.</summary>
    public async Task Blackhole(int a, int b)
    {
        await Throttle(a, b, DropEverything);
        await Throttle(b, a, DropEverything);
    }

    /// <summary>Restores normal delivery between nodes <paramref name="a"/> and <paramref name="b"/>.</summary>
    public async Task PassThrough(int a, int b)
    {
        await Throttle(a, b, Unthrottled.Instance);
        await Throttle(b, a, Unthrottled.Instance);
    }

    /// <summary>Blackholes every link between a node of <paramref name="side"/> and a node outside it.</summary>
    public async Task Partition(params int[] side)
    {
        foreach (var a in side)
            foreach (var b in Enumerable.Range(0, Count).Except(side))
                await Blackhole(a, b);
    }

    /// <summary>Restores every link between every pair of nodes.</summary>
    public async Task HealAll()
    {
        for (var a = 0; a < Count; a++)
            for (var b = a + 1; b < Count; b++)
                await PassThrough(a, b);
    }

    /// <summary>
    /// Restarts node <paramref name="index"/> alone, like a crash and a reboot: terminates its actor system, downs its old
    /// incarnation from a survivor (no auto-downing here), then starts a new system on the same data directory (a new port)
    /// and waits until it is Up. Links the tests cut to the old incarnation are not carried over.
    /// </summary>
    public async Task RestartAsync(int index, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var oldAddress = AddressOf(index);
        var survivor = _systems[index == 0 ? 1 : 0];
        await _systems[index].Terminate().WaitAsync(limit);
        SqliteConnection.ClearAllPools();
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = survivor.ActorOf(Props.Create(() => new RemovalWatcher(oldAddress, removed)));
        Akka.Cluster.Cluster.Get(survivor).Down(oldAddress);
        await removed.Task.WaitAsync(limit);
        survivor.Stop(watcher);

        var name = NodeName(index);
        var dataDir = DataDirOf(index);
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, name));
        var system = ActorSystem.Create("akkaraft", NodeConfig(dataDir, name, _overrides));
        _systems[index] = system;
        var up = WhenUp(system);
        Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(survivor).SelfAddress);
        await up.WaitAsync(limit);
    }

    /// <summary>
    /// Stops node <paramref name="index"/> for good, like a crash: its actor system terminates without leaving the cluster
    /// (the others see its connections close). It is not restarted; dispose skips nothing.
    /// </summary>
    public async Task CrashAsync(int index, TimeSpan? timeout = null)
    {
        await _systems[index].Terminate().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        SqliteConnection.ClearAllPools();
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

    private static Config NodeConfig(string dataDir, string name, Config? overrides)
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
            .WithFallback(SqlitePersistenceConfig.For(dataDir, name))
            .WithFallback(RaftReferenceConfig.Value)
            // Lets tests create TestProbes inside node systems.
            .WithFallback(TestKitBase.DefaultConfig);
    }
}
