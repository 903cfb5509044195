using System.Runtime.CompilerServices;
using Akka.Actor;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Actors.Regions;

/// <summary>One node of the key-value store: its Raft node, placement service, store and router.</summary>
internal sealed class KvNode
{
    private readonly ActorSystem _system;

    internal KvNode(ActorSystem system, RaftNodeHandle raft, IActorRef placement, IActorRef store, KvClient client, RegionSettings settings)
    {
        _system = system;
        Raft = raft;
        Placement = placement;
        Store = store;
        Client = client;
        Settings = settings;
    }

    /// <summary>This node's id (also its store id).</summary>
    public ulong NodeId => Raft.NodeId;

    /// <summary>The node's cluster address (host and port).</summary>
    public Address Address { get; init; } = Address.AllSystems;

    /// <summary>The node's Raft runtime (groups, status).</summary>
    public RaftNodeHandle Raft { get; }

    /// <summary>The node's <see cref="PlacementService"/> actor.</summary>
    public IActorRef Placement { get; }

    /// <summary>The node's <see cref="Regions.Store"/> actor.</summary>
    public IActorRef Store { get; }

    /// <summary>The node's <see cref="Regions.Scheduler"/> actor (move operators, repair, balance; active on the placement leader).</summary>
    public IActorRef Scheduler { get; init; } = ActorRefs.Nobody;

    /// <summary>The node's router.</summary>
    public KvClient Client { get; }

    /// <summary>The validated region settings in force.</summary>
    public RegionSettings Settings { get; }

    /// <summary>Another router on this node (its own region cache and inbox), e.g. with another <paramref name="clock"/>.</summary>
    public KvClient NewClient(TimeProvider? clock = null) => new(_system, Store, Placement, Settings, clock);
}

/// <summary>Embedding entry point of the range-partitioned, linearizable key-value store.</summary>
internal static class AkkaRaftKv
{
    private static readonly ConditionalWeakTable<ActorSystem, KvNode> Nodes = [];
    private static readonly object Gate = new();

    /// <summary>
    /// Starts node <paramref name="nodeId"/> of the KV store in <paramref name="system"/> (a clustered ActorSystem with
    /// persistence configured) and returns a client for it. <paramref name="initialNodeIds"/> are the nodes (same list on
    /// every node) that host placement and the initial regions; the layout comes from <c>akka-raft.region</c> and is
    /// validated before anything starts. Returns at once: requests wait (within the router deadline) until a quorum of the
    /// initial nodes is up. Calling it again for the same system returns the same client.
    /// </summary>
    /// <exception cref="Settings.RaftSettingsException">A setting is invalid, e.g. an overlapping, gapped or unsorted initial layout.</exception>
    public static Task<IKvClient> StartAsync(ActorSystem system, ulong nodeId, IReadOnlyList<ulong> initialNodeIds, TimeProvider? clock = null) =>
        Task.FromResult<IKvClient>(StartNode(system, nodeId, initialNodeIds, clock).Client);

    /// <summary>
    /// Like <see cref="StartAsync"/>, returning the node's actors and router (for hosts, admin and tests). <paramref name="clock"/>
    /// is the node's clock: the router's deadlines, and the time the store stamps writes with (default: the system's).
    /// </summary>
    public static KvNode StartNode(ActorSystem system, ulong nodeId, IReadOnlyList<ulong> initialNodeIds, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(initialNodeIds);
        if (initialNodeIds.Count == 0 || initialNodeIds.Contains(0UL) || initialNodeIds.Distinct().Count() != initialNodeIds.Count)
            throw new ArgumentException($"initial node ids must be distinct and non-zero, got [{string.Join(", ", initialNodeIds)}]", nameof(initialNodeIds));
        var settings = RegionSettings.Create(system.Settings.Config);
        lock (Gate)
        {
            if (Nodes.TryGetValue(system, out var running))
            {
                if (running.NodeId != nodeId) throw new InvalidOperationException($"this actor system already runs KV node {running.NodeId}");
                return running;
            }
            var raft = AkkaRaftExtension.Get(system).StartNode(nodeId);
            var placement = ((ExtendedActorSystem)system).SystemActorOf(PlacementService.Props(nodeId, initialNodeIds, raft.Coordinator, settings), PlacementService.Name);
            var losses = new StoreLossTokens();
            var store = ((ExtendedActorSystem)system).SystemActorOf(Store.Props(nodeId, raft.Coordinator, placement, settings, clock, losses), Regions.Store.Name);
            var scheduler = ((ExtendedActorSystem)system).SystemActorOf(
                Scheduler.Props(nodeId, initialNodeIds, raft.Coordinator, store, placement, settings), Scheduler.Name);
            var node = new KvNode(system, raft, placement, store, new KvClient(system, store, placement, settings, clock, losses), settings)
            {
                Scheduler = scheduler,
                Address = ((ExtendedActorSystem)system).Provider.DefaultAddress,
            };
            Nodes.Add(system, node);
            return node;
        }
    }
}
