using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace AkkaRaft.Actors.Discovery;

/// <summary>A hello one node's service sends the same-named service of another node: who it is (its sender is where it lives).</summary>
internal interface IPeerHello
{
    /// <summary>The sending node's id.</summary>
    ulong NodeId { get; }
}

/// <summary>What a message did to a <see cref="PeerDirectory"/>, for owners that react (the coordinator wakes hibernating groups).</summary>
internal enum PeerChange : byte
{
    /// <summary>Nothing the owner needs to know.</summary>
    None,
    /// <summary>A node's service was introduced (new, or at a new address).</summary>
    Introduced,
    /// <summary>The cluster reports a member unreachable.</summary>
    Unreachable,
    /// <summary>The cluster reports a member reachable again.</summary>
    Reachable,
    /// <summary>A member left the cluster.</summary>
    Removed,
    /// <summary>The transport closed its association with a node (Akka.Remote disassociated): a crash shows here first.</summary>
    Disassociated,
}

/// <summary>
/// Where one service (coordinator, store, placement, scheduler) of every other node lives, and which nodes the cluster
/// reports unreachable: the owner actor's one way to find its peers. It subscribes the owner to cluster membership,
/// says hello to the same-named service (<c>/system/{name}</c>) of every member that comes up, registers the hellos it
/// gets and answers each new one once (so both sides know each other even if only one saw the other's MemberUp). A
/// member the failure detector gave up on, or that was removed, is skipped by <see cref="FindReachable"/> until it is
/// reachable or up again, and so is a node whose association the transport closed, for <see cref="LostFor"/> unless it is
/// heard from again. Every new association (Akka.Remote) gets a hello too: a restarted node is introduced before the
/// cluster lets it in.
/// Plain class owned by one actor and used on its thread only.
/// </summary>
/// <remarks>
/// The owner routes to it every message it <see cref="Handles"/> — cluster events and its service's hello type — with
/// <c>Receive&lt;object&gt;(peers.Handles, m =&gt; peers.Handle(m, Sender))</c>, and calls <see cref="Start"/> and
/// <see cref="Stop"/> from PreStart and PostStop. Outside a cluster (plain actor systems in tests) nothing is
/// subscribed and peers are introduced by <see cref="Register"/>.
/// </remarks>
internal sealed class PeerDirectory
{
    /// <summary>
    /// How long a node the transport lost counts as unreachable unless it is heard from again: it covers the restart of a
    /// killed node (Akka.Remote gates the address for 5 s too), and a false alarm cannot outlast it.
    /// </summary>
    public static readonly TimeSpan LostFor = TimeSpan.FromSeconds(5);

    private readonly ulong _selfNode;
    private readonly string _serviceName;
    private readonly Func<ulong, IPeerHello> _hello;
    private readonly Type _helloType;
    private readonly IActorContext _owner;
    private readonly ILoggingAdapter? _log;
    private readonly Dictionary<ulong, IActorRef> _services = [];
    private readonly Dictionary<Address, ulong> _nodeOfAddress = [];
    private readonly HashSet<Address> _unreachable = [];
    // Addresses whose association closed, with when: unreachable for LostFor unless heard from. Bounded by the members.
    private readonly Dictionary<Address, long> _lostAt = [];
    private readonly TimeProvider _clock;

    /// <summary>
    /// Creates the directory of <paramref name="owner"/> (node <paramref name="selfNode"/>'s service named
    /// <paramref name="serviceName"/> under /system); <paramref name="hello"/> makes this node's hello; introductions are
    /// logged to <paramref name="log"/> when given; <paramref name="clock"/> times lost associations (default: the system's).
    /// </summary>
    public PeerDirectory(IActorContext owner, ulong selfNode, string serviceName, Func<ulong, IPeerHello> hello, ILoggingAdapter? log = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(hello);
        _owner = owner;
        _selfNode = selfNode;
        _serviceName = serviceName;
        _hello = hello;
        _helloType = hello(selfNode).GetType();
        _log = log;
        _clock = clock ?? TimeProvider.System;
    }

    private bool IsClustered => _owner.System is ExtendedActorSystem { Provider: IClusterActorRefProvider };

    /// <summary>Subscribes the owner to associations, membership and reachability (call from PreStart); the current members get a hello.</summary>
    public void Start()
    {
        _owner.System.EventStream.Subscribe(_owner.Self, typeof(AssociatedEvent));
        _owner.System.EventStream.Subscribe(_owner.Self, typeof(DisassociatedEvent));
        if (!IsClustered) return;
        Cluster.Get(_owner.System).Subscribe(_owner.Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberExited), typeof(ClusterEvent.MemberRemoved),
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
    }

    /// <summary>Unsubscribes the owner (call from PostStop).</summary>
    public void Stop()
    {
        _owner.System.EventStream.Unsubscribe(_owner.Self, typeof(AssociatedEvent));
        _owner.System.EventStream.Unsubscribe(_owner.Self, typeof(DisassociatedEvent));
        if (IsClustered) Cluster.Get(_owner.System).Unsubscribe(_owner.Self);
    }

    /// <summary>True for the messages <see cref="Handle"/> takes: cluster membership events, association events and this service's hellos.</summary>
    public bool Handles(object message) =>
        message is ClusterEvent.CurrentClusterState or ClusterEvent.MemberUp or ClusterEvent.MemberExited or ClusterEvent.MemberRemoved or ClusterEvent.UnreachableMember or ClusterEvent.ReachableMember
            or AssociatedEvent or DisassociatedEvent
        || message.GetType() == _helloType;

    /// <summary>Takes a message <see cref="Handles"/> accepts (<paramref name="sender"/>: its sender) and says what changed.</summary>
    public PeerChange Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case ClusterEvent.CurrentClusterState state:
                foreach (var member in state.Unreachable) SetReachable(member.Address, false);
                foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m))) MemberUp(member.Address);
                return PeerChange.None;
            case ClusterEvent.MemberUp up:
                MemberUp(up.Member.Address);
                return PeerChange.None;
            case ClusterEvent.MemberExited exited:
                // A graceful stop: it answers nothing any more, so a request for it is answered "retry elsewhere" at once.
                MemberRemoved(exited.Member.Address);
                return PeerChange.Removed;
            case ClusterEvent.MemberRemoved removed:
                MemberRemoved(removed.Member.Address);
                return PeerChange.Removed;
            case ClusterEvent.UnreachableMember unreachable:
                SetReachable(unreachable.Member.Address, false);
                return PeerChange.Unreachable;
            case ClusterEvent.ReachableMember reachable:
                SetReachable(reachable.Member.Address, true);
                return PeerChange.Reachable;
            case AssociatedEvent associated:
                // A new association may be a restarted node whose service is new: introduce ourselves without waiting for the cluster.
                SayHello(associated.RemoteAddress);
                return PeerChange.None;
            case DisassociatedEvent disassociated:
                MarkLost(disassociated.RemoteAddress);
                return PeerChange.Disassociated;
            case IPeerHello hello when message.GetType() == _helloType:
                return Hello(hello.NodeId, sender) ? PeerChange.Introduced : PeerChange.None;
            default:
                // Invariant: the owner routes here only what Handles accepted.
                throw new InvalidOperationException($"{_serviceName} directory cannot handle {message.GetType().Name}");
        }
    }

    /// <summary>A member came up at <paramref name="address"/>: reachable (a removed one at this address is replaced), and its service gets a hello.</summary>
    public void MemberUp(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // A member coming up at an address is a fresh incarnation: a verdict on an earlier one there does not hold.
        Heard(address);
        SayHello(address);
    }

    private void SayHello(Address address) =>
        _owner.ActorSelection(new RootActorPath(address) / "system" / _serviceName).Tell(_hello(_selfNode), _owner.Self);

    /// <summary>
    /// The member at <paramref name="address"/> left the cluster (or was downed): its services are not sent to any more,
    /// until a member comes up at that address again (a restarted node is a new member).
    /// </summary>
    public void MemberRemoved(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _unreachable.Add(address);
    }

    /// <summary>Registers node <paramref name="nodeId"/>'s service from its hello and answers once when it is new or moved; true then.</summary>
    public bool Hello(ulong nodeId, IActorRef service)
    {
        if (nodeId == _selfNode || !Register(nodeId, service)) return false;
        service.Tell(_hello(_selfNode), _owner.Self);
        return true;
    }

    /// <summary>Records node <paramref name="nodeId"/>'s service (learnt any other way); true when it is new or moved.</summary>
    public bool Register(ulong nodeId, IActorRef service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var address = service.Path.Address;
        _nodeOfAddress[address] = nodeId;
        // Heard from: reachable, whatever was said about this address (a new incarnation's hello clears the old one's verdict).
        Heard(address);
        if (_services.TryGetValue(nodeId, out var known) && known.Equals(service)) return false;
        _services[nodeId] = service;
        _log?.Info("[{0}] node {1} is at {2}", _serviceName, nodeId, service.Path);
        return true;
    }

    /// <summary>Marks the member at <paramref name="address"/> unreachable, or reachable again.</summary>
    public void SetReachable(Address address, bool reachable)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (reachable) _unreachable.Remove(address);
        else _unreachable.Add(address);
    }

    /// <summary>The node whose service was registered at <paramref name="address"/>, or null when none was.</summary>
    public ulong? NodeAt(Address address) => _nodeOfAddress.TryGetValue(address, out var node) ? node : null;

    /// <summary>The transport lost the node at <paramref name="address"/> (its association closed): unreachable for <see cref="LostFor"/> or until heard from.</summary>
    public void MarkLost(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _lostAt[address] = _clock.GetTimestamp();
    }

    /// <summary>
    /// A message came from <paramref name="address"/>: it is reachable now, whatever the transport lost or the cluster said.
    /// (The cluster's verdict is per address, and may be about an old incarnation: a node killed and restarted at the same
    /// address is marked unreachable seconds after its new incarnation already introduced itself.)
    /// </summary>
    public void Heard(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _lostAt.Remove(address);
        _unreachable.Remove(address);
    }

    /// <summary>The service of <paramref name="nodeId"/>, or null when not introduced yet.</summary>
    public IActorRef? Find(ulong nodeId) => _services.GetValueOrDefault(nodeId);

    /// <summary>Every service introduced so far, by node id.</summary>
    public IEnumerable<(ulong NodeId, IActorRef Service)> All() => _services.Select(s => (s.Key, s.Value));

    /// <summary>The service of <paramref name="nodeId"/> unless the cluster reports it unreachable (a send there would only time out).</summary>
    public IActorRef? FindReachable(ulong nodeId) => IsUnreachable(nodeId) ? null : Find(nodeId);

    /// <summary>True when node <paramref name="nodeId"/>'s service is unreachable: reported so by the cluster, or lost by the transport lately.</summary>
    public bool IsUnreachable(ulong nodeId)
    {
        if (!_services.TryGetValue(nodeId, out var service)) return false;
        var address = service.Path.Address;
        if (_unreachable.Contains(address)) return true;
        if (!_lostAt.TryGetValue(address, out var lostAt)) return false;
        if (_clock.GetElapsedTime(lostAt) < LostFor) return true;
        _lostAt.Remove(address);
        return false;
    }

    /// <summary>Node ids whose service was introduced from <paramref name="address"/>.</summary>
    public IEnumerable<ulong> NodesAt(Address address) =>
        _services.Where(s => s.Value.Path.Address == address).Select(s => s.Key).ToList();

    /// <summary>Node ids the cluster reports unreachable.</summary>
    public IEnumerable<ulong> UnreachableNodes() =>
        _unreachable.Select(a => _nodeOfAddress.TryGetValue(a, out var node) ? node : 0).Where(node => node != 0);
}
