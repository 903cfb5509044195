using Akka.Actor;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// Entry point for embedding AkkaRaft in any ActorSystem: <c>AkkaRaftExtension.Get(system).StartNode(nodeId)</c>
/// starts the node's coordinator; then create groups and propose through the returned <see cref="RaftNodeHandle"/>.
/// </summary>
public sealed class AkkaRaftExtension : IExtension
{
    private readonly ExtendedActorSystem _system;
    private readonly object _gate = new();
    private RaftNodeHandle? _node;

    /// <summary>Created by Akka (use <see cref="Get"/>).</summary>
    public AkkaRaftExtension(ExtendedActorSystem system)
    {
        _system = system;
        Settings = RaftSettings.Create(system.Settings.Config);
    }

    /// <summary>The extension of <paramref name="system"/>.</summary>
    public static AkkaRaftExtension Get(ActorSystem system) => system.WithExtension<AkkaRaftExtension, AkkaRaftExtensionProvider>();

    /// <summary>Settings read once from the system's config (reference.conf as fallback).</summary>
    public RaftSettings Settings { get; }

    /// <summary>The running node, or null before <see cref="StartNode"/>.</summary>
    public RaftNodeHandle? Node => _node;

    /// <summary>Starts this system's Raft node (once); a second call with another id throws.</summary>
    public RaftNodeHandle StartNode(ulong nodeId)
    {
        if (nodeId == 0) throw new ArgumentOutOfRangeException(nameof(nodeId), "node id must not be 0");
        lock (_gate)
        {
            if (_node is not null)
            {
                if (_node.NodeId != nodeId) throw new InvalidOperationException($"this actor system already runs node {_node.NodeId}");
                return _node;
            }
            var coordinator = _system.SystemActorOf(NodeCoordinator.Props(nodeId, Settings), NodeCoordinator.Name);
            _node = new RaftNodeHandle(nodeId, coordinator, Settings);
            return _node;
        }
    }
}

/// <summary>Akka extension id for <see cref="AkkaRaftExtension"/>.</summary>
public sealed class AkkaRaftExtensionProvider : ExtensionIdProvider<AkkaRaftExtension>
{
    /// <inheritdoc />
    public override AkkaRaftExtension CreateExtension(ExtendedActorSystem system) => new(system);
}

/// <summary>A running node: create groups, propose, read. Every call answers or fails within its timeout.</summary>
public sealed class RaftNodeHandle
{
    private readonly RaftSettings _settings;

    internal RaftNodeHandle(ulong nodeId, IActorRef coordinator, RaftSettings settings)
    {
        NodeId = nodeId;
        Coordinator = coordinator;
        _settings = settings;
    }

    /// <summary>This node's id.</summary>
    public ulong NodeId { get; }

    /// <summary>The node coordinator actor (send it the protocol messages directly from actors).</summary>
    public IActorRef Coordinator { get; }

    // Long enough for an election plus a journal write on a slow disk.
    private TimeSpan DefaultTimeout => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, (_settings.TickInterval * (_settings.ElectionTicks * 6)).Ticks));

    // Creating a group may initialize the journal's tables first.
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates (or recovers) this node's replica of a group.</summary>
    public Task<GroupCreated> CreateGroupAsync(ulong groupId, ulong peerId, IReadOnlyDictionary<ulong, ulong> initialPeers, Func<IRaftStateMachine> stateMachine, TimeSpan? timeout = null) =>
        Coordinator.Ask<GroupCreated>(new CreateGroup(groupId, peerId, initialPeers, stateMachine), timeout ?? CreateTimeout);

    /// <summary>Proposes a command: <see cref="ProposeSucceeded"/> or <see cref="ProposeFailed"/>.</summary>
    public Task<RaftReply> ProposeAsync(ulong groupId, byte[] data, TimeSpan? timeout = null) =>
        Coordinator.Ask<RaftReply>(new Propose(groupId, data), timeout ?? DefaultTimeout);

    /// <summary>Linearizable read: <see cref="ReadSucceeded"/> or <see cref="ProposeFailed"/>.</summary>
    public Task<RaftReply> ReadAsync(ulong groupId, Func<IRaftStateMachine, object?> query, TimeSpan? timeout = null) =>
        Coordinator.Ask<RaftReply>(new ReadRequest(groupId, query), timeout ?? DefaultTimeout);

    /// <summary>Status of this node's replica of a group: <see cref="GroupStatus"/> or <see cref="ProposeFailed"/>.</summary>
    public async Task<object> StatusAsync(ulong groupId, TimeSpan? timeout = null) =>
        await Coordinator.Ask<object>(new GetGroupStatus(groupId), timeout ?? DefaultTimeout).ConfigureAwait(false);
}
