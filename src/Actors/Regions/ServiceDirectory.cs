using Akka.Actor;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// Where the same-named service (store or placement) of every other node lives, learnt from hello messages, and which
/// nodes the cluster currently reports unreachable. Plain class owned by one actor.
/// </summary>
internal sealed class ServiceDirectory
{
    private readonly Dictionary<ulong, IActorRef> _services = [];
    private readonly Dictionary<Address, ulong> _nodeOfAddress = [];
    private readonly HashSet<Address> _unreachable = [];

    /// <summary>Records node <paramref name="nodeId"/>'s service; true when it is new or moved.</summary>
    public bool Register(ulong nodeId, IActorRef service)
    {
        _nodeOfAddress[service.Path.Address] = nodeId;
        if (_services.TryGetValue(nodeId, out var known) && known.Equals(service)) return false;
        _services[nodeId] = service;
        return true;
    }

    /// <summary>Every service introduced so far, by node id.</summary>
    public IEnumerable<(ulong NodeId, IActorRef Service)> All() => _services.Select(s => (s.Key, s.Value));

    /// <summary>The service of <paramref name="nodeId"/>, or null when not introduced yet.</summary>
    public IActorRef? Find(ulong nodeId) => _services.GetValueOrDefault(nodeId);

    /// <summary>Marks a cluster member unreachable (or reachable again).</summary>
    public void SetReachable(Address address, bool reachable)
    {
        if (reachable) _unreachable.Remove(address);
        else _unreachable.Add(address);
    }

    /// <summary>True when the cluster reports node <paramref name="nodeId"/>'s service unreachable.</summary>
    public bool IsUnreachable(ulong nodeId) => _services.TryGetValue(nodeId, out var service) && _unreachable.Contains(service.Path.Address);

    /// <summary>Node ids the cluster reports unreachable.</summary>
    public IEnumerable<ulong> UnreachableNodes() =>
        _unreachable.Select(a => _nodeOfAddress.TryGetValue(a, out var node) ? node : 0).Where(node => node != 0);
}
