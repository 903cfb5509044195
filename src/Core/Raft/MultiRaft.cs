namespace AkkaRaft.Core.Raft;

/// <summary>A Raft message addressed to one group.</summary>
internal sealed record GroupMessage(ulong GroupId, Message Message);

/// <summary>Outbound messages for one destination node, in send order (votes and heartbeats first).</summary>
internal sealed record NodeBatch(ulong ToNode, IReadOnlyList<GroupMessage> Messages)
{
    /// <summary>Approximate size in bytes.</summary>
    public ulong Size => Messages.Aggregate(16UL, (sum, m) => sum + m.Message.Size + 8);

    /// <summary>Splits into batches of at most <paramref name="maxBytes"/> each (a single oversized message travels alone).</summary>
    public IReadOnlyList<NodeBatch> SplitBySize(ulong maxBytes)
    {
        var result = new List<NodeBatch>();
        var current = new List<GroupMessage>();
        ulong size = 16;
        foreach (var m in Messages)
        {
            var messageSize = m.Message.Size + 8;
            if (current.Count > 0 && size + messageSize > maxBytes)
            {
                result.Add(new NodeBatch(ToNode, current));
                current = [];
                size = 16;
            }
            current.Add(m);
            size += messageSize;
        }
        if (current.Count > 0) result.Add(new NodeBatch(ToNode, current));
        return result;
    }

    /// <summary>Groups messages by destination node; control messages (votes, heartbeats, responses) go ahead of bulk appends and snapshots.</summary>
    public static IReadOnlyList<NodeBatch> ByNode(IEnumerable<GroupMessage> messages, Func<ulong, ulong, ulong?> nodeOfPeer, List<GroupMessage>? unroutable = null)
    {
        var byNode = new SortedDictionary<ulong, List<GroupMessage>>();
        foreach (var gm in messages)
        {
            var node = nodeOfPeer(gm.GroupId, gm.Message.To);
            if (node is null)
            {
                unroutable?.Add(gm);
                continue;
            }
            if (!byNode.TryGetValue(node.Value, out var list)) byNode[node.Value] = list = [];
            list.Add(gm);
        }
        return byNode.Select(kv => new NodeBatch(kv.Key, ControlFirst(kv.Value))).ToList();
    }

    /// <summary>Control messages (votes, heartbeats, responses) ahead of bulk appends and snapshots, otherwise in order.</summary>
    public static List<GroupMessage> ControlFirst(IEnumerable<GroupMessage> messages) =>
        // Stable sort keeps per-group order within a priority class (Raft tolerates reordering, but in-order is cheaper).
        [.. messages.OrderBy(m => IsBulk(m.Message.Type) ? 1 : 0)];

    /// <summary>Appends with entries and snapshots are bulk; everything else is control traffic.</summary>
    public static bool IsBulk(MessageType type) => type is MessageType.Append or MessageType.Snapshot;
}

/// <summary>Why a message could not be delivered to a group.</summary>
internal enum GroupStepError : byte
{
    /// <summary>Delivered.</summary>
    None,
    /// <summary>No group with that id lives on this node.</summary>
    UnknownGroup,
}

/// <summary>The Ready of one group inside a <see cref="MultiReady"/>.</summary>
internal sealed record GroupReady(ulong GroupId, Ready Ready);

/// <summary>
/// Work for all groups of a node: persist every group's state in one durable write, send <see cref="SendNow"/>
/// any time and <see cref="SendAfterDurable"/> after that write, apply, then <see cref="MultiRaft.Advance"/>.
/// </summary>
internal sealed record MultiReady(ulong Number, IReadOnlyList<GroupReady> Groups, IReadOnlyList<NodeBatch> SendNow, IReadOnlyList<NodeBatch> SendAfterDurable, IReadOnlyList<GroupMessage> Unroutable);

/// <summary>All Raft groups hosted by one node, driven together: one tick, one Ready, batches per destination node.</summary>
internal sealed class MultiRaft
{
    private readonly SortedDictionary<ulong, RaftNode> _groups = [];
    private readonly Func<ulong, ulong, ulong?> _nodeOfPeer;
    private ulong _readyNumber;
    private MultiReady? _outstanding;

    /// <summary>Creates an empty host; <paramref name="nodeOfPeer"/> maps (group, peer id) to the node hosting that peer.</summary>
    public MultiRaft(Func<ulong, ulong, ulong?> nodeOfPeer) => _nodeOfPeer = nodeOfPeer;

    /// <summary>Hosted group ids.</summary>
    public IEnumerable<ulong> GroupIds => _groups.Keys;

    /// <summary>Number of hosted groups.</summary>
    public int Count => _groups.Count;

    /// <summary>The replica of a group, or null.</summary>
    public RaftNode? Group(ulong groupId) => _groups.GetValueOrDefault(groupId);

    /// <summary>Adds a replica; false when the group already exists here.</summary>
    public bool CreateGroup(ulong groupId, RaftConfig config, IRaftStorage storage)
    {
        if (_groups.ContainsKey(groupId)) return false;
        _groups[groupId] = new RaftNode(config, storage);
        return true;
    }

    /// <summary>Removes a replica; false when unknown.</summary>
    public bool RemoveGroup(ulong groupId)
    {
        if (_outstanding is not null && _outstanding.Groups.Any(g => g.GroupId == groupId))
        {
            throw new InvalidOperationException($"group {groupId} cannot be removed while MultiReady #{_outstanding.Number} is outstanding");
        }
        return _groups.Remove(groupId);
    }

    /// <summary>Ticks every group once.</summary>
    public void Tick()
    {
        foreach (var node in _groups.Values) node.Tick();
    }

    /// <summary>Delivers a message to its group; an unknown group is a typed error.</summary>
    public (GroupStepError Error, StepResult Result) Step(ulong groupId, Message message)
    {
        if (!_groups.TryGetValue(groupId, out var node)) return (GroupStepError.UnknownGroup, StepResult.Ignore($"group {groupId} is not hosted here"));
        return (GroupStepError.None, node.Step(message));
    }

    /// <summary>True when any group has work and no MultiReady is outstanding.</summary>
    public bool HasReady => _outstanding is null && _groups.Values.Any(n => n.HasReady);

    /// <summary>Collects the work of every group with something to do.</summary>
    public MultiReady Ready()
    {
        if (_outstanding is not null) throw new InvalidOperationException($"MultiReady #{_outstanding.Number} has not been advanced yet");
        var groups = new List<GroupReady>();
        var now = new List<GroupMessage>();
        var later = new List<GroupMessage>();
        foreach (var (id, node) in _groups)
        {
            if (!node.HasReady) continue;
            var ready = node.Ready();
            groups.Add(new GroupReady(id, ready));
            now.AddRange(ready.Messages.Select(m => new GroupMessage(id, m)));
            later.AddRange(ready.PersistedMessages.Select(m => new GroupMessage(id, m)));
        }
        var unroutable = new List<GroupMessage>();
        _outstanding = new MultiReady(++_readyNumber, groups,
            NodeBatch.ByNode(now, _nodeOfPeer, unroutable), NodeBatch.ByNode(later, _nodeOfPeer, unroutable), unroutable);
        return _outstanding;
    }

    /// <summary>Acknowledges a MultiReady: every group's part was persisted, sent and applied.</summary>
    public void Advance(MultiReady ready)
    {
        if (!ReferenceEquals(_outstanding, ready)) throw new InvalidOperationException($"Advance of MultiReady #{ready.Number} but outstanding is #{_outstanding?.Number.ToString() ?? "none"}");
        _outstanding = null;
        foreach (var group in ready.Groups)
        {
            if (_groups.TryGetValue(group.GroupId, out var node)) node.Advance(group.Ready);
        }
    }
}
