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
public sealed record OperatorStep(long OperatorId, string Step, string Detail, ulong LearnerMatch = 0, ulong LeaderLastIndex = 0);

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

    /// <summary>Runs the move; returns a one-line summary or throws <see cref="OperatorFailedException"/>.</summary>
    public async Task<string> RunAsync(long id, ulong regionId, ulong fromStore, ulong toStore, CancellationToken cancel)
    {
        var region = await LookupAsync(regionId).ConfigureAwait(false);
        var source = region.Peers.FirstOrDefault(p => p.StoreId == fromStore);
        if (source.PeerId == 0) throw new OperatorFailedException($"{region} has no replica on store {fromStore}");
        if (region.Peers.Any(p => p.StoreId == toStore)) throw new OperatorFailedException($"store {toStore} already holds a replica of {region}");
        if (region.Peers.Any(p => p.Role != PeerRole.Voter)) throw new OperatorFailedException($"{region} is changing membership already", stale: true);

        var ids = await placement.Ask<PlacementIdsReply>(new PlacementAllocateIds(1), Ask, cancel).ConfigureAwait(false);
        if (!ids.Ok) throw new OperatorFailedException($"no peer id from placement: {ids.Detail}");
        var learner = ids.First;
        report(new OperatorStep(id, "add replica", $"empty replica {learner} on store {toStore}"));
        var added = await store.Ask<RegionReplicaReply>(new AddRegionReplica(toStore, RegionDescriptor.From(region), learner), Ask, cancel).ConfigureAwait(false);
        if (!added.Ok) throw new OperatorFailedException($"store {toStore}: {added.Detail}");

        var learnerAdded = false;
        var promoted = false;
        try
        {
            report(new OperatorStep(id, "add learner", $"peer {learner} on store {toStore} joins as a learner"));
            region = await ChangeAsync(region, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, learner)), (learner, toStore), cancel).ConfigureAwait(false);
            learnerAdded = true;
            await CatchUpAsync(id, region, learner, cancel).ConfigureAwait(false);
            region = await MoveLeaderOffAsync(id, region, fromStore, cancel).ConfigureAwait(false);
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
            await RollBackAsync(region.Id, learner, toStore).ConfigureAwait(false);
            throw;
        }
        catch (Exception) when (!promoted)
        {
            await DestroyQuietlyAsync(toStore, region.Id, learner).ConfigureAwait(false);
            throw;
        }

        report(new OperatorStep(id, "remove source", $"destroy peer {source.PeerId} on store {fromStore}"));
        var destroyed = await DestroyQuietlyAsync(fromStore, region.Id, source.PeerId).ConfigureAwait(false);
        return $"moved {region} from store {fromStore} to store {toStore}" + (destroyed ? "" : $" (store {fromStore} will drop its replica when it is back)");
    }

    /// <summary>The region as placement records it.</summary>
    public async Task<Region> LookupAsync(ulong regionId)
    {
        var reply = await placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.ById, [], regionId), Ask).ConfigureAwait(false);
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
                    var leader = await store.Ask<RegionProgressReply>(new GetRegionProgress(progress.LeaderStore, region.Id), Ask, cancel).ConfigureAwait(false);
                    if (leader.IsLeader) return leader;
                }
            }
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
        throw new OperatorFailedException($"no leader found for {region}");
    }

    /// <summary>Proposes a change on the leader stamped with the epoch the leader's store holds; a stale stamp fails the step.</summary>
    private async Task<Region> ChangeAsync(Region region, ConfChange change, (ulong Peer, ulong Store) added, CancellationToken cancel)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var current = leader.Region?.ToRegion() ?? region;
            if (current.Epoch.Version != region.Epoch.Version || current.Epoch.ConfVersion < region.Epoch.ConfVersion)
                throw new OperatorFailedException($"{region} changed to {current} under the operator", stale: true);
            var stamped = current.Epoch;
            var reply = await store.Ask<ChangeRegionPeersReply>(new ChangeRegionPeers(leader.LeaderStore, region.Id, stamped.ConfVersion, stamped.Version, change.Encode(), [added.Peer], [added.Store]), Ask + Ask, cancel).ConfigureAwait(false);
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

    private async Task CatchUpAsync(long id, Region region, ulong learner, CancellationToken cancel)
    {
        while (true)
        {
            var leader = await LeaderProgressAsync(region, cancel).ConfigureAwait(false);
            var match = leader.MatchOf(learner);
            report(new OperatorStep(id, "catch up", $"learner {learner} at {match} of {leader.LastIndex}", match, leader.LastIndex));
            if (match > 0 && leader.LastIndex - Math.Min(match, leader.LastIndex) <= (ulong)settings.CatchUpDistance) return;
            await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
        }
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
            await store.Ask<TransferRegionLeaderReply>(new TransferRegionLeader(fromStore, region.Id, to), Ask, cancel).ConfigureAwait(false);
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

    private async Task RollBackAsync(ulong regionId, ulong learner, ulong toStore)
    {
        try
        {
            using var undo = new CancellationTokenSource(settings.RequestTimeout);
            var region = await LookupAsync(regionId).ConfigureAwait(false);
            await ChangeAsync(region, ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, learner)), (learner, toStore), undo.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperatorFailedException or AskTimeoutException or OperationCanceledException)
        {
            // The scheduler's layout check removes a learner left behind (placement shows it without an operator).
        }
        await DestroyQuietlyAsync(toStore, regionId, learner).ConfigureAwait(false);
    }

    private async Task<bool> DestroyQuietlyAsync(ulong storeId, ulong regionId, ulong peerId)
    {
        try
        {
            var reply = await store.Ask<RegionReplicaReply>(new DestroyRegionReplica(storeId, regionId, peerId), Ask).ConfigureAwait(false);
            return reply.Ok;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }
}
