using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Tests.Placement;

/// <summary>
/// One region on stores 1..4 as a move operator sees it, answering its requests the way stores and placement do: epoch
/// checks on changes, NotLeader from a follower, learners catching up one poll at a time, the joint configuration left
/// one poll after it was entered, the source's destroy refused until <see cref="SettleAfterPolls"/> polls passed. Faults
/// are injected by <see cref="Intercept"/> (answer differently or lose the answer) and by <see cref="Down"/> stores.
/// </summary>
internal sealed class FakeRegionCluster
{
    public const ulong RegionId = 7;

    /// <summary>Stores 1, 2, 3 hold voters 71, 72, 73; store 4 is empty; store <paramref name="leader"/> leads.</summary>
    public FakeRegionCluster(ulong leader = 2)
    {
        Region = new Region(RegionId, "a"u8, "m"u8, new RegionEpoch(5, 3),
            [new RegionPeer(1, 71, PeerRole.Voter), new RegionPeer(2, 72, PeerRole.Voter), new RegionPeer(3, 73, PeerRole.Voter)]);
        Leader = leader;
        foreach (var peer in Region.Peers) Hosted[peer.StoreId] = peer.PeerId;
    }

    /// <summary>The region as its leader knows it.</summary>
    public Region Region { get; set; }

    /// <summary>The store whose replica leads.</summary>
    public ulong Leader { get; set; }

    /// <summary>True while the leader's configuration is joint.</summary>
    public bool Joint { get; private set; }

    /// <summary>Store → the peer id of the replica it hosts.</summary>
    public Dictionary<ulong, ulong> Hosted { get; } = [];

    /// <summary>Stores that do not answer (their requests get no answer).</summary>
    public HashSet<ulong> Down { get; } = [];

    /// <summary>True while placement answers; false: every placement request is lost.</summary>
    public bool PlacementAnswers { get; set; } = true;

    /// <summary>Polls after the source's removal before its store agrees to destroy it.</summary>
    public int SettleAfterPolls { get; set; } = 2;

    /// <summary>Leader's last log index; a learner's match reaches it one poll after the learner was added (while its store is up).</summary>
    public ulong LastIndex { get; set; } = 40;

    /// <summary>Runs before a request is answered: returns an answer of its own, <see cref="Lost"/>, or null to answer normally.</summary>
    public Func<object, object?>? Intercept { get; set; }

    /// <summary>Every request asked, in order.</summary>
    public List<object> Requests { get; } = [];

    /// <summary>Marker: the request gets no answer.</summary>
    public static readonly object Lost = new();

    private readonly Dictionary<ulong, ulong> _match = [];
    private int _pollsSinceRemoval = -1;
    private ulong _nextId = 100;

    /// <summary>The answer to <paramref name="request"/>, or null when it is lost.</summary>
    public object? Answer(object request)
    {
        Requests.Add(request);
        if (Intercept?.Invoke(request) is { } special) return ReferenceEquals(special, Lost) ? null : special;
        if (request is IStoreAddressed addressed && Down.Contains(addressed.TargetStore)) return null;
        return request switch
        {
            PlacementLookup when !PlacementAnswers => null,
            PlacementAllocateIds when !PlacementAnswers => null,
            PlacementLookup => new PlacementLookupReply(PlacementLookupStatus.Ok, [RegionDescriptor.From(Region)], 0, _nextId, 1, ""),
            PlacementAllocateIds => new PlacementIdsReply(true, _nextId++, 1, ""),
            AddRegionReplica add => AddReplica(add),
            GetRegionProgress progress => Progress(progress),
            ChangeRegionPeers change => Change(change),
            TransferRegionLeader transfer => Transfer(transfer),
            DestroyRegionReplica destroy => Destroy(destroy),
            _ => throw new InvalidOperationException($"unexpected request {request}"),
        };
    }

    /// <summary>One poll interval passes: learners catch up, a joint configuration is left.</summary>
    public void Poll()
    {
        // Only a replica that exists takes the leader's snapshot.
        foreach (var learner in Region.Peers.Where(p => p.Role == PeerRole.Learner && !Down.Contains(p.StoreId) && Hosted.GetValueOrDefault(p.StoreId) == p.PeerId))
            _match[learner.PeerId] = LastIndex;
        if (_pollsSinceRemoval >= 0) _pollsSinceRemoval++;
        if (Joint && !Down.Contains(Leader)) LeaveJoint();
    }

    /// <summary>Applies a change as the leader would (also used by tests to race the operator).</summary>
    public Region Apply(ConfChange change, IReadOnlyDictionary<ulong, ulong> stores)
    {
        var peers = Region.Peers.ToList();
        foreach (var step in change.Changes)
        {
            var at = peers.FindIndex(p => p.PeerId == step.NodeId);
            switch (step.Type)
            {
                case ConfChangeType.AddLearnerNode:
                    peers.Add(new RegionPeer(stores[step.NodeId], step.NodeId, PeerRole.Learner));
                    break;
                case ConfChangeType.AddNode:
                    peers[at] = peers[at] with { Role = PeerRole.Voter };
                    break;
                case ConfChangeType.RemoveNode when change.Changes.Count > 1:
                    peers[at] = peers[at] with { Role = PeerRole.Demoting };
                    Joint = true;
                    break;
                case ConfChangeType.RemoveNode:
                    peers.RemoveAt(at);
                    break;
            }
        }
        Region = Region.WithPeers(peers).WithEpoch(new RegionEpoch(Region.Epoch.ConfVersion + 1, Region.Epoch.Version));
        return Region;
    }

    private void LeaveJoint()
    {
        Joint = false;
        Region = Region.WithPeers(Region.Peers.Where(p => p.Role != PeerRole.Demoting)).WithEpoch(new RegionEpoch(Region.Epoch.ConfVersion + 1, Region.Epoch.Version));
        _pollsSinceRemoval = 0;
    }

    private RegionReplicaReply AddReplica(AddRegionReplica add)
    {
        if (Hosted.TryGetValue(add.TargetStore, out var existing) && existing != add.PeerId)
            return new RegionReplicaReply(false, $"store {add.TargetStore} already hosts replica {existing}");
        Hosted[add.TargetStore] = add.PeerId;
        return new RegionReplicaReply(true, "created");
    }

    private RegionProgressReply Progress(GetRegionProgress request)
    {
        if (!Hosted.ContainsKey(request.TargetStore)) return new RegionProgressReply(false, false, 0, null, 0, 0, 0, [], [], false, "no replica");
        var isLeader = request.TargetStore == Leader;
        return new RegionProgressReply(true, isLeader, Leader, RegionDescriptor.From(Region), 3, LastIndex, LastIndex,
            isLeader ? [.. _match.Keys] : [], isLeader ? [.. _match.Values] : [], Joint, "")
        {
            Voters = [.. Region.Peers.Where(p => p.Role != PeerRole.Learner).Select(p => p.PeerId)],
        };
    }

    private ChangeRegionPeersReply Change(ChangeRegionPeers request)
    {
        if (request.TargetStore != Leader) return new ChangeRegionPeersReply(ChangePeersStatus.NotLeader, null, 0, "not leader");
        if (Region.Epoch != new RegionEpoch(request.ConfVersion, request.Version))
            return new ChangeRegionPeersReply(ChangePeersStatus.EpochNotMatch, RegionDescriptor.From(Region), 0, $"stale: {Region}");
        if (Joint) return new ChangeRegionPeersReply(ChangePeersStatus.Refused, null, 0, "a membership change is pending");
        var stores = request.PeerIds.Select((p, i) => (p, s: request.PeerStores[i])).ToDictionary(x => x.p, x => x.s);
        return new ChangeRegionPeersReply(ChangePeersStatus.Ok, RegionDescriptor.From(Apply(ConfChange.Decode(request.Change), stores)), 0, "applied");
    }

    private TransferRegionLeaderReply Transfer(TransferRegionLeader request)
    {
        if (request.TargetStore != Leader) return new TransferRegionLeaderReply(false, "not leader");
        Leader = request.ToStore;
        return new TransferRegionLeaderReply(true, "moving");
    }

    private RegionReplicaReply Destroy(DestroyRegionReplica request)
    {
        if (!Hosted.TryGetValue(request.TargetStore, out var peer) || peer != request.PeerId) return new RegionReplicaReply(true, "no replica");
        var role = Region.Peers.FirstOrDefault(p => p.PeerId == peer);
        if (role.PeerId != 0 && role.Role != PeerRole.Learner) return new RegionReplicaReply(false, "still a voter");
        if (request.After is not null && (_pollsSinceRemoval < 0 || _pollsSinceRemoval < SettleAfterPolls))
            return new RegionReplicaReply(false, "kept until the removal settles");
        Hosted.Remove(request.TargetStore);
        return new RegionReplicaReply(true, "destroyed");
    }

    /// <summary>
    /// Runs <paramref name="machine"/> against this cluster to its end; <paramref name="cancelWhen"/> is asked before each
    /// action and cancels the operator the first time it says so.
    /// </summary>
    public OperatorOutcome Drive(MoveOperatorMachine machine, Func<MoveOperatorMachine, OperatorAction, bool>? cancelWhen = null, List<OperatorStep>? steps = null)
    {
        var action = machine.Start();
        var cancelled = false;
        for (var i = 0; i < 20_000; i++)
        {
            if (steps is not null && (steps.Count == 0 || steps[^1] != machine.Progress.Step)) steps.Add(machine.Progress.Step);
            if (!cancelled && machine.Outcome is null && !machine.RollingBack && cancelWhen?.Invoke(machine, action) == true)
            {
                cancelled = true;
                action = machine.Cancel("cancelled by the test");
                continue;
            }
            switch (action)
            {
                case OperatorAction.Finish finish:
                    return finish.Outcome;
                case OperatorAction.Wait:
                    Poll();
                    action = machine.OnWaited();
                    break;
                case OperatorAction.AskPlacement ask:
                    action = Answer(ask.Request) is { } placementReply ? machine.OnReply(placementReply) : machine.OnNoAnswer();
                    break;
                case OperatorAction.AskStore ask:
                    action = Answer(ask.Request) is { } storeReply ? machine.OnReply(storeReply) : machine.OnNoAnswer();
                    break;
            }
        }
        throw new InvalidOperationException($"operator did not end: {machine.Progress}");
    }
}
