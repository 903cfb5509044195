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

    /// <summary>Creates (or recovers) this node's replica of a group with an untyped state machine.</summary>
    public Task<GroupCreated> CreateGroupAsync(ulong groupId, ulong peerId, IReadOnlyDictionary<ulong, ulong> initialPeers, Func<IRaftStateMachine> stateMachine, TimeSpan? timeout = null) =>
        Coordinator.Ask<GroupCreated>(new CreateGroup(groupId, peerId, initialPeers, stateMachine), timeout ?? CreateTimeout);

    /// <summary>
    /// Creates (or recovers) this node's replica <paramref name="peerId"/> of group <paramref name="groupId"/> with a typed
    /// state machine; <paramref name="initialPeers"/> maps each voter's peer id to its node id (the same map on every node).
    /// A recovered replica gets a new machine from <paramref name="stateMachine"/> and replays its journal into it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The replica was destroyed on this node (its journal holds a tombstone).</exception>
    public async Task<RaftGroup<TMachine, TCommand, TResult>> CreateGroupAsync<TMachine, TCommand, TResult>(
        ulong groupId, ulong peerId, IReadOnlyDictionary<ulong, ulong> initialPeers, Func<TMachine> stateMachine, IRaftCodec<TCommand> codec,
        CancellationToken cancellationToken = default)
        where TMachine : IRaftStateMachine<TCommand, TResult>
    {
        ArgumentNullException.ThrowIfNull(initialPeers);
        ArgumentNullException.ThrowIfNull(stateMachine);
        ArgumentNullException.ThrowIfNull(codec);
        if (groupId == 0) throw new ArgumentOutOfRangeException(nameof(groupId), "group id 0 is the placement group's");
        if (peerId == 0) throw new ArgumentOutOfRangeException(nameof(peerId), "peer id must not be 0");
        var spec = new CreateGroup(groupId, peerId, initialPeers, () => new TypedStateMachine<TMachine, TCommand, TResult>(stateMachine(), codec));
        var created = await Coordinator.Ask<GroupCreated>(spec, CreateTimeout, cancellationToken).ConfigureAwait(false);
        if (created.Tombstoned) throw new InvalidOperationException($"replica {peerId} of group {groupId} was destroyed on node {NodeId}");
        return new RaftGroup<TMachine, TCommand, TResult>(this, groupId, peerId, codec);
    }

    /// <summary>Untyped proposal kept for existing callers (a thin Ask): <see cref="ProposeSucceeded"/> or <see cref="ProposeFailed"/>. Prefer the overload with a token.</summary>
    public Task<RaftReply> ProposeAsync(ulong groupId, byte[] data, TimeSpan? timeout = null) =>
        Coordinator.Ask<RaftReply>(new Propose(groupId, data), timeout ?? DefaultTimeout);

    /// <summary>
    /// Proposes <paramref name="data"/> to group <paramref name="groupId"/>: the state machine's result once applied, or a
    /// failure. No answer within the node's deadline is <see cref="RaftFailure.OutcomeUnknown"/>. Cancelling after the
    /// proposal reached the group does not withdraw it.
    /// </summary>
    public async Task<RaftResult<object?>> ProposeAsync(ulong groupId, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        return await AskAsync(groupId, new Propose(groupId, data), RaftFailure.OutcomeUnknown, cancellationToken).ConfigureAwait(false) switch
        {
            ProposeSucceeded success => RaftResult<object?>.Success(success.Result, success.Index),
            var other => Failed<object?>(other),
        };
    }

    /// <summary>Untyped linearizable read kept for existing callers (a thin Ask): <see cref="ReadSucceeded"/> or <see cref="ProposeFailed"/>. Prefer the overload with a token.</summary>
    public Task<RaftReply> ReadAsync(ulong groupId, Func<IRaftStateMachine, object?> query, TimeSpan? timeout = null) =>
        Coordinator.Ask<RaftReply>(new ReadRequest(groupId, query), timeout ?? DefaultTimeout);

    /// <summary>
    /// Linearizable read: <paramref name="query"/> runs on the group's actor once everything committed before the read is
    /// applied; its value, or a failure (no answer within the node's deadline is <see cref="RaftFailure.Timeout"/>).
    /// </summary>
    public async Task<RaftResult<T>> ReadAsync<T>(ulong groupId, Func<IRaftStateMachine, T> query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await AskAsync(groupId, new ReadRequest(groupId, sm => query(sm)), RaftFailure.Timeout, cancellationToken).ConfigureAwait(false) switch
        {
            ReadSucceeded success => RaftResult<T>.Success((T)success.Value!),
            var other => Failed<T>(other),
        };
    }

    /// <summary>Untyped status kept for existing callers (a thin Ask): <see cref="GroupStatus"/> or <see cref="ProposeFailed"/>. Prefer the overload with a token.</summary>
    public async Task<object> StatusAsync(ulong groupId, TimeSpan? timeout = null) =>
        await Coordinator.Ask<object>(new GetGroupStatus(groupId), timeout ?? DefaultTimeout).ConfigureAwait(false);

    /// <summary>Raft status of this node's replica of group <paramref name="groupId"/> (<see cref="RaftFailure.GroupNotFound"/> when it hosts none).</summary>
    public async Task<RaftResult<GroupStatus>> StatusAsync(ulong groupId, CancellationToken cancellationToken) =>
        await AskAsync(groupId, new GetGroupStatus(groupId), RaftFailure.Timeout, cancellationToken).ConfigureAwait(false) switch
        {
            GroupStatus status => RaftResult<GroupStatus>.Success(status),
            var other => Failed<GroupStatus>(other),
        };

    /// <summary>
    /// Asks this node's replica, if it leads group <paramref name="groupId"/>, to hand leadership to peer
    /// <paramref name="transfereePeer"/>; success (the transferee's peer id) means the transfer started, not that it finished.
    /// </summary>
    public async Task<RaftResult<ulong>> TransferLeadershipAsync(ulong groupId, ulong transfereePeer, CancellationToken cancellationToken = default) =>
        await AskAsync(groupId, new TransferLeadership(groupId, transfereePeer), RaftFailure.Timeout, cancellationToken).ConfigureAwait(false) switch
        {
            ProposeSucceeded => RaftResult<ulong>.Success(transfereePeer),
            var other => Failed<ulong>(other),
        };

    // The group answers every request within its own deadline; this one only covers a lost reply (e.g. the actor stopped).
    private async Task<object> AskAsync(ulong groupId, object request, RaftFailure onTimeout, CancellationToken cancellationToken)
    {
        try
        {
            return await Coordinator.Ask<object>(request, DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return new ProposeFailed(groupId, onTimeout, 0, $"no answer from node {NodeId} within {DefaultTimeout.TotalSeconds:0.#} s");
        }
    }

    private static RaftResult<T> Failed<T>(object reply) => reply is ProposeFailed failed
        ? RaftResult<T>.Fail(failed.Failure, failed.LeaderHint, failed.Detail)
        : throw new InvalidOperationException($"unexpected answer {reply}");
}
