using Akka.Actor;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

// ---- Client-facing messages (local to a node) ----

/// <summary>Why a proposal or read did not succeed.</summary>
public enum RaftFailure : byte
{
    /// <summary>This replica does not lead; retry at <see cref="ProposeFailed.LeaderHint"/>'s node.</summary>
    NotLeader,
    /// <summary>No group with that id on this node.</summary>
    GroupNotFound,
    /// <summary>Too many requests are waiting; back off and retry.</summary>
    Busy,
    /// <summary>The request is larger than allowed.</summary>
    TooLarge,
    /// <summary>Definitely not applied (the entry was overwritten by a new leader, or a read was abandoned): safe to retry.</summary>
    Dropped,
    /// <summary>A read was not served within the deadline; it changed nothing, so it is safe to retry.</summary>
    Timeout,
    /// <summary>Refused by Raft before entering the log, for another reason (see detail): not applied.</summary>
    Refused,
    /// <summary>
    /// The proposal entered the log but its fate is unknown (no result within the deadline, or the replica was destroyed or
    /// its journal failed after accepting it): it may still be applied, so it must not be retried blindly.
    /// </summary>
    OutcomeUnknown,
}

/// <summary>Proposes a command to a group; answered with <see cref="ProposeSucceeded"/> or <see cref="ProposeFailed"/>.</summary>
internal sealed record Propose(ulong GroupId, byte[] Data) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>Proposes a membership change to a group; <paramref name="PeerNodes"/> says where added peers live.</summary>
internal sealed record ProposeMembership(ulong GroupId, ConfChange Change, IReadOnlyDictionary<ulong, ulong> PeerNodes) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>Answer of a group to a proposal or read: <see cref="ProposeSucceeded"/>, <see cref="ReadSucceeded"/> or <see cref="ProposeFailed"/>.</summary>
public abstract record RaftReply(ulong GroupId);

/// <summary>The command was committed and applied at <paramref name="Index"/>; <paramref name="Result"/> is the state machine's answer.</summary>
internal sealed record ProposeSucceeded(ulong GroupId, ulong Index, object? Result) : RaftReply(GroupId);

/// <summary>The command was not applied, or (for <see cref="RaftFailure.OutcomeUnknown"/>) may or may not have been.</summary>
internal sealed record ProposeFailed(ulong GroupId, RaftFailure Failure, ulong LeaderHint, string Detail) : RaftReply(GroupId);

/// <summary>Linearizable read: <paramref name="Query"/> runs against the state machine once the read index is applied.</summary>
internal sealed record ReadRequest(ulong GroupId, Func<IRaftStateMachine, object?> Query) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>
/// Local read of the replica's applied state, answered at once with <see cref="ReadSucceeded"/> (or a
/// <see cref="ProposeFailed"/>): no ReadIndex, so not linearizable, and it never wakes a hibernating group. For periodic
/// bookkeeping (store heartbeats, metrics) that must not keep idle groups awake.
/// </summary>
internal sealed record PeekState(ulong GroupId, Func<IRaftStateMachine, object?> Query) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>Answer to a <see cref="ReadRequest"/> or <see cref="PeekState"/>.</summary>
internal sealed record ReadSucceeded(ulong GroupId, object? Value) : RaftReply(GroupId);

/// <summary>Asks the leader of a group to hand leadership to <paramref name="TransfereePeer"/>.</summary>
internal sealed record TransferLeadership(ulong GroupId, ulong TransfereePeer) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>Creates (or recovers) this node's replica of a group. Voters of a new group are <paramref name="InitialPeers"/>.</summary>
internal sealed record CreateGroup(
    ulong GroupId,
    ulong PeerId,
    IReadOnlyDictionary<ulong, ulong> InitialPeers,
    Func<IRaftStateMachine> StateMachineFactory) : INoSerializationVerificationNeeded
{
    /// <summary>
    /// For a group born from existing state (a split): its log starts after <see cref="GroupBootstrap.Index"/>. With an empty
    /// journal, a state machine already at that index is persisted as the group's first event (a snapshot with
    /// <see cref="InitialPeers"/> as voters); one at any other index leaves the replica uninitialized: no voters, it cannot
    /// campaign and waits for the leader's snapshot. Null: a plain group whose log starts at 0.
    /// </summary>
    public GroupBootstrap? Bootstrap { get; init; }

    /// <summary>
    /// Called on this replica with the result of every applied command; a <see cref="CreateGroup"/> it returns is created on
    /// this node (e.g. the right half of a split). The replica takes no snapshot until that group answers
    /// <see cref="GroupCreated"/> (its initial state is durable), so a restart re-applies the command if it must.
    /// </summary>
    public Func<object?, CreateGroup?>? SpawnOnApply { get; init; }

    /// <summary>Campaign as soon as the replica runs (set for the replica of a split's right half whose parent led).</summary>
    public bool CampaignOnStart { get; init; }
}

/// <summary>Raft index and term at which a group created from existing state begins (its initial snapshot).</summary>
internal sealed record GroupBootstrap(ulong Index, ulong Term);

/// <summary>The replica is running (answer to <see cref="CreateGroup"/>).</summary>
public sealed record GroupCreated(ulong GroupId, ulong PeerId)
{
    /// <summary>True when the replica is not running because it was destroyed (a tombstone is in its journal).</summary>
    public bool Tombstoned { get; init; }
}

/// <summary>
/// Destroys this node's replica <paramref name="PeerId"/> of a group after its region moved away: journal and snapshots
/// are deleted and a tombstone kept. Refused (answered with Destroyed = false) while the replica is still a voter unless
/// <paramref name="Force"/>. Answered with <see cref="GroupDestroyed"/>.
/// </summary>
internal sealed record DestroyGroup(ulong GroupId, ulong PeerId, bool Force = false) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>Answer to <see cref="DestroyGroup"/>.</summary>
internal sealed record GroupDestroyed(ulong GroupId, ulong PeerId, bool Destroyed, string Detail);

/// <summary>Stops this node's replica of a group (its journal is kept).</summary>
internal sealed record RemoveGroup(ulong GroupId) : INoSerializationVerificationNeeded;

/// <summary>The replica was stopped.</summary>
internal sealed record GroupRemoved(ulong GroupId);

/// <summary>Asks for a group's status; answered with <see cref="GroupStatus"/> or <see cref="ProposeFailed"/> (GroupNotFound).</summary>
internal sealed record GetGroupStatus(ulong GroupId) : IGroupRequest, INoSerializationVerificationNeeded;

/// <summary>A snapshot of one replica's Raft state.</summary>
public sealed record GroupStatus(
    ulong GroupId, ulong PeerId, StateRole Role, ulong Term, ulong Leader, ulong Committed, ulong Applied, ulong FirstIndex, ulong LastIndex,
    bool Hibernating, ConfState Membership, IReadOnlyDictionary<ulong, ulong> PeerNodes)
{
    /// <summary>On the leader: each peer's match index (how far its log is known to agree); empty elsewhere.</summary>
    public IReadOnlyDictionary<ulong, ulong> Matched { get; init; } = new Dictionary<ulong, ulong>();
}

/// <summary>Asks the coordinator which groups it hosts; answered with <see cref="HostedGroups"/>.</summary>
internal sealed record GetHostedGroups : INoSerializationVerificationNeeded
{
    /// <summary>The instance.</summary>
    public static GetHostedGroups Instance { get; } = new();
}

/// <summary>Group ids hosted by a node, and those of them that are awake (ticked by the coordinator; the rest sleep).</summary>
internal sealed record HostedGroups(ulong NodeId, IReadOnlyList<ulong> GroupIds)
{
    /// <summary>The hosted groups the coordinator ticks: not hibernating.</summary>
    public IReadOnlyList<ulong> AwakeGroupIds { get; init; } = [];
}

// ---- Node-to-node messages (serialized by RaftWireSerializer) ----

/// <summary>All Raft messages from one node to another in one flush.</summary>
internal sealed record RaftBatch(ulong FromNode, IReadOnlyList<GroupMessage> Messages);

/// <summary>Reply to a message for a group the receiving node does not host.</summary>
internal sealed record UnknownGroupReply(ulong FromNode, ulong GroupId, ulong ToPeer);

/// <summary>Introduces a node's coordinator to another node's coordinator.</summary>
internal sealed record NodeHello(ulong NodeId) : Discovery.IPeerHello;

// ---- Internal signals ----

/// <summary>One logical tick for a group.</summary>
internal sealed record GroupTick : INoSerializationVerificationNeeded
{
    public static GroupTick Instance { get; } = new();
}

/// <summary>A Raft message delivered to a group actor, with the node it came from.</summary>
internal sealed record InboundRaftMessage(ulong FromNode, Message Message) : INoSerializationVerificationNeeded;

/// <summary>Messages a group wants sent, already resolved to destination nodes.</summary>
internal sealed record OutboundRaftMessages(IReadOnlyList<(ulong Node, GroupMessage Message)> Messages) : INoSerializationVerificationNeeded;

/// <summary>Wakes a hibernating group (a peer node became unreachable, or an operator asked).</summary>
internal sealed record WakeUp : INoSerializationVerificationNeeded
{
    public static WakeUp Instance { get; } = new();
}

/// <summary>
/// The node's transport lost node <paramref name="NodeId"/> (a closed association, the cluster marking it unreachable): a
/// replica following a leader there suspects it (<see cref="RaftNode.LeaderSuspected"/>), waking if it hibernates.
/// </summary>
internal sealed record PeerNodeLost(ulong NodeId) : INoSerializationVerificationNeeded;

/// <summary>A group stopped ticking; the coordinator skips it until it is woken.</summary>
internal sealed record GroupHibernated(ulong GroupId) : INoSerializationVerificationNeeded;

/// <summary>A group wants ticks again.</summary>
internal sealed record GroupAwake(ulong GroupId) : INoSerializationVerificationNeeded;
