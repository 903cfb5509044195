using Akka.Actor;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>Why an operator stopped without finishing; <see cref="Stale"/> says the region changed under it (re-plan).</summary>
public sealed class OperatorFailedException(string message, bool stale = false) : Exception(message)
{
    /// <summary>True when a step's epoch was stale: the operator may be planned again from the current region.</summary>
    public bool Stale { get; } = stale;
}

/// <summary>A step reached by an operator (sent to the scheduler as progress).</summary>
public sealed record OperatorStep(long OperatorId, string Step, string Detail, ulong LearnerMatch = 0, ulong LeaderLastIndex = 0, long SnapshotBytesSent = 0, long SnapshotBytesTotal = 0);

/// <summary>
/// Moves one replica of a region from a source store to a target store while the region serves (TiKV's operator steps):
/// add an empty learner on the target (conf version +1) → the leader's snapshot and log bring it up → once its match index
/// is within the catch-up distance, one joint change promotes it and removes the source voter, left automatically →
/// the source replica is destroyed (journal deleted, tombstone kept). A leader on the source store hands leadership to
/// another voter first. Every membership step carries the region's epoch; a stale step fails with
/// <see cref="OperatorFailedException.Stale"/> and nothing is half-done that a re-plan cannot finish or undo: a learner
/// added by a failed or cancelled move is removed again.
/// </summary>
public sealed class MoveOperator(IActorRef store, IActorRef placement, RegionSettings settings, Action<OperatorStep> report)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private TimeSpan Ask => settings.AttemptTimeout;

    /// <summary>
    /// Asks until answered or cancelled: every message sent this way is a query or idempotent (ids are only wasted, an
    /// existing replica or tombstone answers the same), and a loaded node's slow answer must not fail a long move.
    /// </summary>
    private async Task<T> AskPatientlyAsync<T>(IActorRef target, object message, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                return await target.Ask<T>(message, Ask, cancel).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                cancel.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Runs the move; returns a one-line summary or throws <see cref="OperatorFailedException"/>.</summary>
    public async Task<string> RunAsync(long id, ulong regionId, ulong fromStore, ulong toStore, CancellationToken cancel)
    {
        var region = await LookupAsync(regionId, cancel).ConfigureAwait(false);
        var source = region.Peers.FirstOrDefault(p => p.StoreId == fromStore);
        if (source.PeerId == 0) throw new OperatorFailedException($"{region} has no replica on store {fromStore}");
        if (region.Peers.Any(p => p.StoreId == toStore)) throw new OperatorFailedException($"store {toStore} already holds a replica of {region}");
        if (region.Peers.Any(p => p.Role != PeerRole.Voter)) throw new OperatorFailedException($"{region} is changing membership already", stale: true);

        var ids = await AskPatientlyAsync<PlacementIdsReply>(placement, new PlacementAllocateIds(1), cancel).ConfigureAwait(false);
        if (!ids.Ok) throw new OperatorFailedException($"no peer id from placement: {ids.Detail}");
        var learner = ids.First;
        report(new OperatorStep(id, "add replica", $"empty replica {learner} on store {toStore}"));
        var added = await AskPatientlyAsync<RegionReplicaReply>(store, new AddRegionReplica(toStore, RegionDescriptor.From(region), learner), cancel).ConfigureAwait(false);
        if (!added.Ok) throw new OperatorFailedException($"store {toStore}: {added.Detail}");

        var learnerAdded = false;
        var promoted = false;
        try
        {
            report(new OperatorStep(id, "add learner", $"peer {learner} on store {toStore} joins as a learner"));
            region = await ChangeAsync(region, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, learner)), (learner, toStore), cancel).ConfigureAwait(false);
            learnerAdded = true;
            await CatchUpAsync(id, region, learner, toStore, cancel).ConfigureAwait(false);
            region = await MoveLeaderOffAsync(id, region, fromStore, cancel).ConfigureAwait(false);
            await EnsureTargetAnswersAsync(region, toStore, learner, cancel).ConfigureAwait(false);
            report(new OperatorStep(id, "joint change", $"promote peer {learner}, remove peer {source.PeerId}"));
            region = await ChangeAsync(region, ConfChange.Of(
                new ConfChangeSingle(ConfChangeType.AddNode, learner),
                new ConfChangeSingle(ConfChangeType.RemoveNode, source.PeerId)), (learner, toStore), cancel).ConfigureAwait(false);
            learnerAdded = false;
            promoted = true; // from here on the move only completes: the new voter's replica must stay
            region = await LeaveJointAsync(id, region, cancel).ConfigureAwait(false);
        }
        catch (Exception) when (learnerAdded)
        {
            await RollBackAsync(region, learner, toStore).ConfigureAwait(false);
            throw;
        }
        catch (Exception) when (!promoted)
        {
            await DestroyQuietlyAsync(toStore, region.Id, learner).ConfigureAwait(false);
            throw;
        }

        report(new OperatorStep(id, "remove source", $"destroy peer {source.PeerId} on store {fromStore}"));
        var destroyed = await DestroySourceAsync(region, fromStore, source.PeerId, cancel).ConfigureAwait(false);
        return $"moved {region} from store {fromStore} to store {toStore}" + (destroyed ? "" : $" (store {fromStore} drops its replica once every voter applied its removal)");
    }

    /// <summary>The region as placement records it.</summary>
    public async Task<Region> LookupAsync(ulong regionId, CancellationToken cancel = default)
    {
        var reply = await AskPatientlyAsync<PlacementLookupReply>(placement, new PlacementLookup(PlacementLookupKind.ById, [], regionId), cancel).ConfigureAwait(false);
        if (reply.Status == PlacementLookupStatus.NotFound) throw new OperatorFailedException($"region {regionId} does not exist");
        if (reply.Status != PlacementLookupStatus.Ok || reply.Regions.Length == 0)
            throw new OperatorFailedException($"placement did not answer for region {regionId}: {reply.Status} {reply.Detail}", stale: true);
        return reply.Regions[0].ToRegion();
    }

    /// <summary>The leader's progress: asks each voter's store until one leads (a few rounds while an election runs).</summary>
    private async Task<RegionProgressReply> LeaderProgressAsync(Region region, CancellationToken cancel)
    {
        for (var round = 0; round < 50; round++)
        {
            foreach (var peer in region.Peers.Where(p => p.Role != PeerRole.Learner))
            {
                RegionProgressReply progress;
                try
                {
                    progress = await store.Ask<RegionProgressReply>(new GetRegionProgress(peer.StoreId, region.Id), Ask, cancel).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    continue;
                }
                if (progress.IsLeader) return progress;
                if (progress.LeaderStore != 0 && progress.LeaderStore != peer.StoreId)
                {
                    try
                    {
                        var leader = await store.Ask<RegionProgressReply>(new GetRegionProgress(progress.LeaderStore, region.Id), Ask, cancel).ConfigureAwait(false);
                        if (leader.IsLeader) return leader;
                    }
                    catch (AskTimeoutException)
                    {
                        // try the next voter
                    }
                }
            }
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
        throw new OperatorFailedException($"no leader found for {region}");
    }

    /// <summary>Proposes a change on the leader stamped with the epoch the leader's store holds; a stale stamp fails the step.</summary>
    private async Task<Region> ChangeAsync(Region region, ConfChange change, (ulong Peer, ulong Store) added, CancellationToken cancel, bool exactConfVersion = false)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var current = leader.Region?.ToRegion() ?? region;
            if (current.Epoch.Version != region.Epoch.Version || current.Epoch.ConfVersion < region.Epoch.ConfVersion
                || (exactConfVersion && current.Epoch.ConfVersion != region.Epoch.ConfVersion))
                throw new OperatorFailedException($"{region} changed to {current} under the operator", stale: true);
            var stamped = current.Epoch;
            ChangeRegionPeersReply reply;
            try
            {
                reply = await store.Ask<ChangeRegionPeersReply>(new ChangeRegionPeers(leader.LeaderStore, region.Id, stamped.ConfVersion, stamped.Version,
                    change.Encode(), [added.Peer], [added.Store]), Ask + Ask, cancel).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                // Unknown outcome: the look at the region below tells; a repeat carries the old epoch and cannot apply twice.
                reply = new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, "no answer in time");
            }
            switch (reply.Status)
            {
                case ChangePeersStatus.Ok:
                    return reply.Region!.ToRegion();
                case ChangePeersStatus.EpochNotMatch:
                    throw new OperatorFailedException($"step {change} is stale: {reply.Detail}", stale: true);
                case ChangePeersStatus.Refused when !reply.Detail.Contains("pending", StringComparison.OrdinalIgnoreCase):
                    throw new OperatorFailedException($"step {change} refused: {reply.Detail}");
                default:
                    // Not leader any more, a change still pending, or an unknown outcome: look at the region again.
                    await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
                    var after = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
                    if (after.Region?.ToRegion() is { } now && now.Epoch.ConfVersion > stamped.ConfVersion && Applied(now, change)) return now;
                    break;
            }
        }
        throw new OperatorFailedException($"step {change} on {region} did not go through");
    }

    /// <summary>True when <paramref name="region"/> already shows the effect of <paramref name="change"/> (an earlier attempt went through).</summary>
    private static bool Applied(Region region, ConfChange change) => change.Changes.All(step => step.Type switch
    {
        ConfChangeType.AddLearnerNode => region.Peers.Any(p => p.PeerId == step.NodeId && p.Role == PeerRole.Learner),
        ConfChangeType.AddNode => region.Peers.Any(p => p.PeerId == step.NodeId && p.Role == PeerRole.Voter),
        _ => region.Peers.All(p => p.PeerId != step.NodeId || p.Role == PeerRole.Demoting),
    });

    private async Task CatchUpAsync(long id, Region region, ulong learner, ulong toStore, CancellationToken cancel)
    {
        while (true)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var match = leader.MatchOf(learner);
            var (sent, total, to) = (leader.SnapshotAcknowledged, leader.SnapshotTotal, leader.SnapshotToStore);
            var snapshot = to == toStore && total > 0 ? $", snapshot {sent}/{total} bytes" : "";
            report(new OperatorStep(id, "catch up", $"learner {learner} at {match} of {leader.LastIndex}{snapshot}", match, leader.LastIndex,
                to == toStore ? sent : 0, to == toStore ? total : 0));
            if (match > 0 && leader.LastIndex - Math.Min(match, leader.LastIndex) <= (ulong)settings.CatchUpDistance) return;
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The learner's store must answer right before its promotion: a voter on a store that just died costs quorum margin.</summary>
    private async Task EnsureTargetAnswersAsync(Region region, ulong toStore, ulong learner, CancellationToken cancel)
    {
        RegionProgressReply progress;
        try
        {
            progress = await store.Ask<RegionProgressReply>(new GetRegionProgress(toStore, region.Id), Ask, cancel).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new OperatorFailedException($"store {toStore} does not answer: learner {learner} is not promoted");
        }
        if (!progress.Hosted) throw new OperatorFailedException($"store {toStore} does not host learner {learner} any more: {progress.Detail}");
    }

    private async Task<Region> MoveLeaderOffAsync(long id, Region region, ulong fromStore, CancellationToken cancel)
    {
        while (true)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var current = leader.Region?.ToRegion() ?? region;
            if (leader.LeaderStore != fromStore) return current;
            var to = current.Peers.FirstOrDefault(p => p.Role == PeerRole.Voter && p.StoreId != fromStore).StoreId;
            report(new OperatorStep(id, "transfer leader", $"leader is on store {fromStore}: handing it to store {to}"));
            await AskPatientlyAsync<TransferRegionLeaderReply>(store, new TransferRegionLeader(fromStore, region.Id, to), cancel).ConfigureAwait(false);
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
    }

    private async Task<Region> LeaveJointAsync(long id, Region region, CancellationToken cancel)
    {
        while (true)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var current = leader.Region?.ToRegion() ?? region;
            report(new OperatorStep(id, "leave joint", $"{current}"));
            if (!leader.Joint && current.Peers.All(p => p.Role == PeerRole.Voter)) return current;
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes <paramref name="learner"/> (on <paramref name="storeId"/>) from the region and destroys its replica, when the
    /// region's leader still shows it as a learner: a learner left behind by a move that was cancelled or failed (the
    /// scheduler starts this for a learner that no running operator owns).
    /// </summary>
    public async Task<string> RemoveLearnerAsync(long id, ulong regionId, ulong learner, ulong storeId, CancellationToken cancel)
    {
        var known = await LookupAsync(regionId, cancel).ConfigureAwait(false);
        report(new OperatorStep(id, "remove learner", $"peer {learner} on store {storeId} belongs to no running operator"));
        var region = await RemoveIfLearnerAsync(known, learner, storeId, cancel).ConfigureAwait(false);
        return $"removed learner {learner} on store {storeId} from {region}";
    }

    /// <summary>
    /// Removes <paramref name="learner"/> and destroys its replica only while the leader's region (not placement's, which may
    /// lag) shows it as a learner, with the change stamped with exactly that conf version: a promotion in flight makes the
    /// removal stale instead of taking away a voter. A peer the leader does not know at all only has its replica destroyed.
    /// </summary>
    private async Task<Region> RemoveIfLearnerAsync(Region known, ulong learner, ulong storeId, CancellationToken cancel)
    {
        var leader = await LeaderProgressAsync(known, cancel).ConfigureAwait(false);
        var region = leader.Region?.ToRegion() ?? throw new OperatorFailedException($"the leader of {known} did not report its region", stale: true);
        var peer = region.Peers.FirstOrDefault(p => p.PeerId == learner);
        if (peer.PeerId == 0)
        {
            await DestroyQuietlyAsync(storeId, region.Id, learner).ConfigureAwait(false);
            return region;
        }
        if (peer.StoreId != storeId || peer.Role != PeerRole.Learner)
            throw new OperatorFailedException($"peer {learner} on store {storeId} is no learner of {region} any more: left in place", stale: true);
        region = await ChangeAsync(region, ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, learner)), (learner, storeId), cancel, exactConfVersion: true).ConfigureAwait(false);
        await DestroyQuietlyAsync(storeId, region.Id, learner).ConfigureAwait(false);
        return region;
    }

    /// <summary>Removes a learner this operator added, unless it was promoted meanwhile (then the move completes on its own).
    /// Placement is not asked: its leader moving is what cancels operators, so it may have no leader right now.</summary>
    private async Task RollBackAsync(Region region, ulong learner, ulong toStore)
    {
        try
        {
            using var undo = new CancellationTokenSource(settings.RequestTimeout);
            await RemoveIfLearnerAsync(region, learner, toStore, undo.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperatorFailedException or AskTimeoutException or OperationCanceledException)
        {
            // The scheduler removes a learner left behind (placement shows it and no running operator owns it).
        }
    }

    /// <summary>
    /// Destroys the moved-away source replica, asking again for a while: its store keeps it until every voter of
    /// <paramref name="after"/> applied the change without it (its vote may be needed until then). Past that, placement's
    /// layout has the store drop it later.
    /// </summary>
    private async Task<bool> DestroySourceAsync(Region after, ulong storeId, ulong peerId, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + settings.RequestTimeout;
        while (true)
        {
            if (await DestroyQuietlyAsync(storeId, after.Id, peerId, after).ConfigureAwait(false)) return true;
            if (DateTime.UtcNow >= deadline || cancel.IsCancellationRequested) return false;
            await Task.Delay(PollInterval, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<bool> DestroyQuietlyAsync(ulong storeId, ulong regionId, ulong peerId, Region? after = null)
    {
        try
        {
            var request = new DestroyRegionReplica(storeId, regionId, peerId) { After = after is null ? null : RegionDescriptor.From(after) };
            var reply = await store.Ask<RegionReplicaReply>(request, Ask).ConfigureAwait(false);
            return reply.Ok;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }
}
