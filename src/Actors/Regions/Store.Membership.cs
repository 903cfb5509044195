using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// Region membership on a store (the executing side of move operators): empty replicas added for a learner, conf changes
/// proposed through the local replica after an exact epoch check, progress for the operator, leader hand-over, and the
/// removal of a replica whose region left this store (journal deleted, tombstone kept). Applied changes are reported to
/// placement until recorded.
/// </summary>
internal sealed partial class Store
{
    // Region id → the highest peer id destroyed on this store: a stale layout never recreates it.
    private readonly Dictionary<ulong, ulong> _tombstones = [];
    // Regions whose replica on this store is being destroyed (one DestroyGroup at a time).
    private readonly HashSet<ulong> _destroying = [];

    private void ReceiveMembershipMessages()
    {
        Receive<IStoreAddressed>(m => m.TargetStore != _storeId, ForwardToStore);
        Receive<AddRegionReplica>(OnAddReplica);
        // Forced: the operator sends it only once the leader left the joint configuration without this replica.
        Receive<DestroyRegionReplica>(m => DestroyLocal(m.RegionId, m.PeerId, Sender, "asked by a move operator", force: true, m.After?.ToRegion()));
        Receive<RemovalChecked>(OnRemovalChecked);
        Receive<ChangeRegionPeers>(OnChangePeers);
        Receive<GetRegionProgress>(OnGetProgress);
        Receive<TransferRegionLeader>(OnTransferLeader);
        Receive<RegionMembershipApplied>(OnMembershipApplied);
        Receive<ReplicaDestroyed>(OnReplicaDestroyed);
    }

    private void ForwardToStore(IStoreAddressed message)
    {
        if (_directory.FindReachable(message.TargetStore) is { } target)
        {
            target.Forward(message);
            return;
        }
        var why = $"store {message.TargetStore} is not reachable from store {_storeId}";
        Sender.Tell(message switch
        {
            ChangeRegionPeers => new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, why),
            GetRegionProgress => new RegionProgressReply(false, false, 0, null, 0, 0, 0, [], [], false, why),
            TransferRegionLeader => new TransferRegionLeaderReply(false, why),
            _ => (object)new RegionReplicaReply(false, why),
        });
    }

    // ---- Adding a replica ----

    private void OnAddReplica(AddRegionReplica add)
    {
        Region region;
        try
        {
            region = add.Region.ToRegion();
        }
        catch (ArgumentException e)
        {
            Sender.Tell(new RegionReplicaReply(false, e.Message));
            return;
        }
        if (_regions.TryGetValue(region.Id, out var hosted))
        {
            var mine = hosted.Peers.FirstOrDefault(p => p.StoreId == _storeId).PeerId;
            Sender.Tell(mine == add.PeerId
                ? new RegionReplicaReply(true, $"[region {region.Id}] replica {add.PeerId} already on store {_storeId}")
                : new RegionReplicaReply(false, $"[region {region.Id}] store {_storeId} already hosts replica {mine}"));
            return;
        }
        if (_tombstones.TryGetValue(region.Id, out var destroyed) && destroyed >= add.PeerId)
        {
            Sender.Tell(new RegionReplicaReply(false, $"[region {region.Id}] replica {add.PeerId} was destroyed on store {_storeId}: use a new peer id"));
            return;
        }
        // Known with this store as a learner-to-be, so a rolled-back move is recognised (and the replica destroyed) later.
        // The region may list the learner already (asked again after this store restarted without it).
        var withMe = region.Peers.Any(p => p.PeerId == add.PeerId)
            ? region
            : region.WithPeers(region.Peers.Append(new RegionPeer(_storeId, add.PeerId, PeerRole.Learner)));
        _regions[region.Id] = withMe;
        _coordinator.Tell(ReplicaOf(withMe, add.PeerId, () => new KvStateMachine(region), Self, _storeId));
        _log.Info("[region {0}] empty replica {1} added on store {2}: waits for the leader's snapshot", region.Id, add.PeerId, _storeId);
        Sender.Tell(new RegionReplicaReply(true, $"[region {region.Id}] replica {add.PeerId} created on store {_storeId}"));
    }

    // ---- Changing peers ----

    private void OnChangePeers(ChangeRegionPeers request)
    {
        if (!_regions.ContainsKey(request.RegionId))
        {
            Sender.Tell(new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"store {_storeId} hosts no replica of region {request.RegionId}"));
            return;
        }
        ConfChange change;
        try
        {
            change = ConfChange.Decode(request.Change);
        }
        catch (FormatException e)
        {
            Sender.Tell(new ChangeRegionPeersReply(ChangePeersStatus.Refused, null, 0, $"undecodable membership change: {e.Message}"));
            return;
        }
        if (request.PeerIds.Length != request.PeerStores.Length)
        {
            Sender.Tell(new ChangeRegionPeersReply(ChangePeersStatus.Refused, null, 0, "peer ids and stores differ in length"));
            return;
        }
        var peers = request.PeerIds.Select((peer, i) => (peer, store: request.PeerStores[i])).ToDictionary(p => p.peer, p => p.store);
        var epoch = new RegionEpoch(request.ConfVersion, request.Version);
        ChangePeersAsync(_coordinator, request.RegionId, epoch, change, peers, _settings.AttemptTimeout).PipeTo(Sender);
    }

    /// <summary>Checks the epoch on the leader's state machine (a linearizable read), then proposes the change and waits for its apply.</summary>
    private static async Task<ChangeRegionPeersReply> ChangePeersAsync(
        IActorRef coordinator, ulong regionId, RegionEpoch epoch, ConfChange change, IReadOnlyDictionary<ulong, ulong> peers, TimeSpan timeout)
    {
        try
        {
            var read = await coordinator.Ask<object>(new ReadRequest(regionId, sm => ((KvStateMachine)sm).Region), timeout).ConfigureAwait(false);
            if (read is ProposeFailed notRead) return Failed(notRead);
            if (read is not ReadSucceeded { Value: Region region }) return new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"unexpected answer {read}");
            if (region.Epoch != epoch)
                return new ChangeRegionPeersReply(ChangePeersStatus.EpochNotMatch, RegionDescriptor.From(region), 0, $"step stamped {epoch} is stale: {region}");
            var answer = await coordinator.Ask<object>(new ProposeMembership(regionId, change, peers), timeout).ConfigureAwait(false);
            return answer switch
            {
                ProposeSucceeded { Result: KvResult.MembershipChanged changed } =>
                    new ChangeRegionPeersReply(ChangePeersStatus.Ok, RegionDescriptor.From(changed.Region), 0, $"{change} applied: {changed.Region}"),
                ProposeSucceeded other => new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"{change} applied without a region result ({other.Result})"),
                ProposeFailed failed => Failed(failed),
                _ => new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"unexpected answer {answer}"),
            };
        }
        catch (AskTimeoutException)
        {
            return new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"[region {regionId}] no answer in time: the change may or may not be applied");
        }

        ChangeRegionPeersReply Failed(ProposeFailed failed) => failed.Failure switch
        {
            // The hint is a peer id; the operator looks the leader up again by progress.
            RaftFailure.NotLeader => new ChangeRegionPeersReply(ChangePeersStatus.NotLeader, null, 0, failed.Detail),
            RaftFailure.Refused => new ChangeRegionPeersReply(ChangePeersStatus.Refused, null, 0, failed.Detail),
            _ => new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, $"{failed.Failure}: {failed.Detail}"),
        };
    }

    // ---- Progress and leadership ----

    private void OnGetProgress(GetRegionProgress request)
    {
        if (!_regions.TryGetValue(request.RegionId, out var region))
        {
            Sender.Tell(new RegionProgressReply(false, false, 0, null, 0, 0, 0, [], [], false, $"store {_storeId} hosts no replica of region {request.RegionId}"));
            return;
        }
        ProgressAsync(_coordinator, _storeId, region, _replicaTimeout).PipeTo(Sender);
    }

    private static async Task<RegionProgressReply> ProgressAsync(IActorRef coordinator, ulong storeId, Region region, TimeSpan timeout)
    {
        try
        {
            if (await coordinator.Ask<object>(new GetGroupStatus(region.Id), timeout).ConfigureAwait(false) is not GroupStatus status)
                return new RegionProgressReply(true, false, 0, RegionDescriptor.From(region), 0, 0, 0, [], [], false, $"no status from the replica on store {storeId}");
            var isLeader = status.Role == StateRole.Leader;
            var leaderStore = isLeader ? storeId : status.Leader == 0 ? 0 : status.PeerNodes.GetValueOrDefault(status.Leader);
            var reply = new RegionProgressReply(true, isLeader, leaderStore, RegionDescriptor.From(region), status.Term,
                status.Committed, status.LastIndex, [.. status.Matched.Keys], [.. status.Matched.Values], status.Membership.VotersOutgoing.Count > 0, "")
            {
                Voters = [.. status.Membership.Voters.Concat(status.Membership.VotersOutgoing).Distinct().Order()],
            };
            if (!isLeader) return reply;
            var transfers = await coordinator.Ask<SnapshotTransfers>(GetSnapshotTransfers.Instance, timeout).ConfigureAwait(false);
            var newest = transfers.Active.Concat(transfers.Finished).Where(t => t.GroupId == region.Id).MaxBy(t => t.StartedAt);
            return newest is null ? reply : reply with
            {
                SnapshotAcknowledged = newest.BytesAcknowledged, SnapshotTotal = newest.TotalBytes, SnapshotToStore = newest.ToNode,
            };
        }
        catch (AskTimeoutException)
        {
            return new RegionProgressReply(true, false, 0, RegionDescriptor.From(region), 0, 0, 0, [], [], false, $"no status from the replica on store {storeId} in time");
        }
    }

    private void OnTransferLeader(TransferRegionLeader request)
    {
        var peer = _regions.TryGetValue(request.RegionId, out var region) ? region.Peers.FirstOrDefault(p => p.StoreId == request.ToStore).PeerId : 0;
        if (peer == 0)
        {
            Sender.Tell(new TransferRegionLeaderReply(false, $"store {_storeId} knows no replica of region {request.RegionId} on store {request.ToStore}"));
            return;
        }
        _coordinator.Ask<object>(new TransferLeadership(request.RegionId, peer), _replicaTimeout).ContinueWith(t => t.IsCompletedSuccessfully && t.Result is ProposeSucceeded
            ? new TransferRegionLeaderReply(true, $"[region {request.RegionId}] leadership moving to store {request.ToStore}")
            : new TransferRegionLeaderReply(false, t.IsCompletedSuccessfully && t.Result is ProposeFailed failed ? $"{failed.Failure}: {failed.Detail}" : "no answer in time"),
            TaskScheduler.Default).PipeTo(Sender);
    }

    // ---- After apply: routing, placement, removal ----

    private void OnMembershipApplied(RegionMembershipApplied applied)
    {
        var region = applied.Region;
        var mine = _regions.TryGetValue(region.Id, out var known) ? known.Peers.FirstOrDefault(p => p.StoreId == _storeId).PeerId : 0;
        _log.Info("[region {0}] membership applied on store {1}: {2} peers [{3}]", region.Id, _storeId, region, string.Join(", ", region.Peers));
        ReportToPlacement($"[region {region.Id}] membership at conf version {region.Epoch.ConfVersion}",
            new PlacementUpdate(PlacementCodec.Encode(new ReportRegionCommand(region))));
        // Removed outside a joint change (a joint one may still need this voter until it is left): this replica goes.
        if (!applied.InTransition && mine != 0 && region.Peers.All(p => p.StoreId != _storeId))
            DestroyLocal(region.Id, mine, null, $"removed from {region}", after: region);
        else if (known is null || region.Epoch.IsNewerThan(known.Epoch)) _regions[region.Id] = region;
    }

    /// <summary>A region placement knows at a newer conf version without this store, while this store still hosts it: destroy it here.</summary>
    private void DestroyIfMovedAway(Region placed)
    {
        if (!_regions.TryGetValue(placed.Id, out var local)) return;
        var mine = local.Peers.FirstOrDefault(p => p.StoreId == _storeId).PeerId;
        // Placement must know a newer membership than this store does (never act on an older or equal view).
        if (mine == 0 || placed.Peers.Any(p => p.StoreId == _storeId) || placed.Epoch.ConfVersion <= local.Epoch.ConfVersion) return;
        // Forced: a replica cut off while its removal committed never applies it and still counts itself a voter.
        DestroyLocal(placed.Id, mine, null, $"placement holds {placed} without store {_storeId}", force: true, after: placed);
    }

    /// <summary>
    /// Destroys this store's replica <paramref name="peerId"/>; the region leaves the store's map (and is tombstoned) only
    /// once the replica confirms: a replica that refuses (still a voter in its own configuration) keeps being served.
    /// </summary>
    private void DestroyLocal(ulong regionId, ulong peerId, IActorRef? requester, string why, bool force = false, Region? after = null, bool removalSettled = false)
    {
        if (_regions.TryGetValue(regionId, out var local) && local.Peers.FirstOrDefault(p => p.StoreId == _storeId).PeerId is var mine && mine != 0 && mine != peerId)
        {
            requester?.Tell(new RegionReplicaReply(false, $"[region {regionId}] store {_storeId} hosts replica {mine}, not {peerId}"));
            return;
        }
        if (!_regions.ContainsKey(regionId))
        {
            requester?.Tell(new RegionReplicaReply(true, $"[region {regionId}] no replica on store {_storeId}"));
            return;
        }
        if (!_destroying.Add(regionId))
        {
            requester?.Tell(new RegionReplicaReply(false, $"[region {regionId}] replica {peerId} on store {_storeId} is being destroyed already"));
            return;
        }
        var wasVoter = _regions[regionId].Peers.Any(p => p.PeerId == peerId && p.Role != PeerRole.Learner);
        if (wasVoter && after is not null && !removalSettled)
        {
            // Its vote may still be needed: the other voters may not know yet that the change removing it committed, and
            // until they apply it they elect in a configuration that counts this replica. Destroyed only once they all did.
            RemovalSettledAsync(Self, after, peerId, _replicaTimeout)
                .ContinueWith(t => new RemovalChecked(regionId, peerId, requester, why, force, after, t.IsCompletedSuccessfully ? t.Result : "no answer in time"),
                    TaskScheduler.Default)
                .PipeTo(Self);
            return;
        }
        _log.Info("[region {0}] destroying replica {1} on store {2}{3}: {4}", regionId, peerId, _storeId, force ? " (forced)" : "", why);
        _coordinator.Ask<object>(new DestroyGroup(regionId, peerId, force), _settings.AttemptTimeout)
            .ContinueWith(t => new ReplicaDestroyed(regionId, peerId, requester, t.IsCompletedSuccessfully && t.Result is GroupDestroyed { Destroyed: true },
                t.IsCompletedSuccessfully ? t.Result.ToString() ?? "" : "no answer in time"), TaskScheduler.Default)
            .PipeTo(Self);
    }

    /// <summary>
    /// Null when every voter of <paramref name="after"/> answers that its replica applied a configuration that is not joint
    /// and does not hold <paramref name="removedPeer"/>; otherwise what is still missing.
    /// </summary>
    private static async Task<string?> RemovalSettledAsync(IActorRef self, Region after, ulong removedPeer, TimeSpan timeout)
    {
        var voters = after.Peers.Where(p => p.Role == PeerRole.Voter && p.PeerId != removedPeer).ToList();
        var replies = await Task.WhenAll(voters.Select(async v =>
        {
            try
            {
                return (v, await self.Ask<RegionProgressReply>(new GetRegionProgress(v.StoreId, after.Id), timeout).ConfigureAwait(false));
            }
            catch (AskTimeoutException)
            {
                return (v, (RegionProgressReply?)null);
            }
        })).ConfigureAwait(false);
        var pending = replies
            .Where(r => r.Item2 is not { Hosted: true, Joint: false } reply || reply.Voters.Length == 0 || reply.Voters.Contains(removedPeer))
            .Select(r => r.v.ToString()).ToList();
        return pending.Count == 0 ? null : $"{string.Join(", ", pending)} not known to have applied the removal of peer {removedPeer}";
    }

    private void OnRemovalChecked(RemovalChecked check)
    {
        _destroying.Remove(check.RegionId);
        if (check.Pending is not null)
        {
            _log.Info("[region {0}] replica {1} on store {2} kept for now: {3}", check.RegionId, check.PeerId, _storeId, check.Pending);
            check.Requester?.Tell(new RegionReplicaReply(false, $"[region {check.RegionId}] replica {check.PeerId} kept until the removal settles: {check.Pending}"));
            return;
        }
        DestroyLocal(check.RegionId, check.PeerId, check.Requester, check.Why, check.Force, check.After, removalSettled: true);
    }

    private void OnReplicaDestroyed(ReplicaDestroyed destroyed)
    {
        _destroying.Remove(destroyed.RegionId);
        if (destroyed.Ok)
        {
            if (_regions.TryGetValue(destroyed.RegionId, out var local) && local.Peers.FirstOrDefault(p => p.StoreId == _storeId).PeerId == destroyed.PeerId)
                _regions.Remove(destroyed.RegionId);
            _tombstones[destroyed.RegionId] = Math.Max(_tombstones.GetValueOrDefault(destroyed.RegionId), destroyed.PeerId);
        }
        else _log.Warning("[region {0}] replica {1} not destroyed yet: {2}", destroyed.RegionId, destroyed.PeerId, destroyed.Detail);
        destroyed.Requester?.Tell(new RegionReplicaReply(destroyed.Ok, $"[region {destroyed.RegionId}] replica {destroyed.PeerId}: {destroyed.Detail}"));
    }

    private sealed record RemovalChecked(ulong RegionId, ulong PeerId, IActorRef? Requester, string Why, bool Force, Region After, string? Pending)
        : INoSerializationVerificationNeeded;

    private sealed record ReplicaDestroyed(ulong RegionId, ulong PeerId, IActorRef? Requester, bool Ok, string Detail) : INoSerializationVerificationNeeded;
}

/// <summary>A replica on this node applied a membership change of its region (sent by the replica to its store).</summary>
internal sealed record RegionMembershipApplied(Region Region, bool InTransition) : INoSerializationVerificationNeeded;
