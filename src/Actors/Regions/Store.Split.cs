using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// Region split (TiKV style): a periodic size check on the regions this store leads, manual <see cref="SplitRegion"/>,
/// the split procedure (leader's view and split key → ids from placement → <see cref="SplitCommand"/> through the region's
/// Raft group, stamped with its epoch), the right half's replica created on every store where the split applies, and the
/// split reported to placement until it is recorded.
/// </summary>
/// <remarks>
/// The right region's replicas all start from the same state: a snapshot at <see cref="KvStateMachine.SplitInitialIndex"/>
/// holding the split-off data, voters = the new peers (see <see cref="CreateGroup.Bootstrap"/>). A replica of a split-born
/// region created from placement's layout before its store applied the split (or after a restart with an empty journal)
/// starts uninitialized and is brought up by the leader's snapshot, never by voting with empty data.
/// </remarks>
internal sealed partial class Store
{
    private const string SplitCheckTimer = "split-check";
    private readonly HashSet<ulong> _splitting = [];

    private void ReceiveSplitMessages()
    {
        Receive<SplitCheckTick>(_ => CheckSizes());
        Receive<SplitCandidate>(OnSplitCandidate);
        Receive<SplitRegion>(OnSplitRegion);
        Receive<SplitFinished>(OnSplitFinished);
        Receive<RegionSplitApplied>(OnSplitApplied);
    }

    private void StartSplitChecks() =>
        Timers.StartPeriodicTimer(SplitCheckTimer, SplitCheckTick.Instance, _settings.SplitCheckInterval);

    /// <summary>
    /// The CreateGroup of this store's replica of <paramref name="region"/>. Every region's log starts after
    /// <see cref="KvStateMachine.SplitInitialIndex"/>: a state machine already there (the initial layout's empty regions, a
    /// split's right half) is the group's initial state; one at index 0 leaves the replica uninitialized until the leader's
    /// snapshot arrives. Applied splits spawn their right halves; applied membership changes are reported to the store.
    /// </summary>
    private static CreateGroup ReplicaOf(Region region, ulong peerId, Func<IRaftStateMachine> stateMachine, IActorRef store, ulong storeId) =>
        new(region.Id, peerId, region.Peers.Where(p => p.Role != PeerRole.Learner).ToDictionary(p => p.PeerId, p => p.StoreId), stateMachine)
        {
            Bootstrap = new GroupBootstrap(KvStateMachine.SplitInitialIndex, KvStateMachine.SplitInitialTerm),
            SpawnOnApply = result => OnReplicaApplied(result, store, storeId),
        };

    /// <summary>Runs on a replica when a command is applied: for a split, the right half's replica on this store.</summary>
    private static CreateGroup? OnReplicaApplied(object? result, IActorRef store, ulong storeId)
    {
        if (result is KvResult.MembershipChanged changed)
        {
            store.Tell(new RegionMembershipApplied(changed.Region, changed.InTransition));
            return null;
        }
        if (result is not KvResult.SplitResult split) return null;
        store.Tell(new RegionSplitApplied(split.Left, split.Right));
        var mine = split.Right.Peers.FirstOrDefault(p => p.StoreId == storeId);
        // Invariant: the right half has a peer on every store of the left one, this one included.
        if (mine.PeerId == 0) throw new InvalidOperationException($"[region {split.Right.Id}] split-off {split.Right} has no peer on store {storeId}");
        var (half, right) = (split.RightHalf, split.Right);
        return ReplicaOf(split.Right, mine.PeerId, () => SplitOffOrEmpty(half, right), store, storeId);
    }

    /// <summary>
    /// The state machine for one incarnation of a split-born replica (its supervisor recreates it after a failure): the
    /// split-off half while nothing has been applied to it, since its initial state may not be durable yet; otherwise an
    /// empty machine, because a replica that applied anything had journaled its initial state first and recovers from
    /// there. Never an object a previous incarnation mutated: its applied index would run ahead of the journal's commit.
    /// </summary>
    private static KvStateMachine SplitOffOrEmpty(KvStateMachine half, Region region) =>
        half.AppliedIndex == KvStateMachine.SplitInitialIndex ? half : new KvStateMachine(region);

    // ---- Size check ----

    private void CheckSizes()
    {
        var threshold = _settings.SplitSizeBytes;
        var coordinator = _coordinator;
        var timeout = _replicaTimeout;
        foreach (var region in _regions.Values.Where(r => !_splitting.Contains(r.Id)))
        {
            var id = region.Id;
            SizeCheckAsync(coordinator, id, threshold, timeout)
                .ContinueWith(t => new SplitCandidate(id, t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default)
                .PipeTo(Self);
        }
    }

    /// <summary>On an awake leader only (a status look first, so followers and sleeping groups are left alone): the split key when over the threshold.</summary>
    private static async Task<byte[]?> SizeCheckAsync(IActorRef coordinator, ulong regionId, long threshold, TimeSpan timeout)
    {
        if (await coordinator.Ask<object>(new GetGroupStatus(regionId), timeout).ConfigureAwait(false) is not GroupStatus { Role: StateRole.Leader, Hibernating: false })
            return null;
        // Read in place, not by ReadIndex: a periodic check must not count as traffic that keeps an idle group awake (the split
        // itself reads again, linearizably).
        var read = await coordinator.Ask<object>(new PeekState(regionId, sm =>
        {
            var machine = (KvStateMachine)sm;
            return machine.ApproximateSizeBytes > threshold ? machine.ChooseSplitKey() : null;
        }), timeout).ConfigureAwait(false);
        return read is ReadSucceeded { Value: byte[] key } ? key : null;
    }

    private void OnSplitCandidate(SplitCandidate candidate)
    {
        if (candidate.SplitKey is null || _splitting.Contains(candidate.RegionId) || !_regions.ContainsKey(candidate.RegionId)) return;
        _log.Info("[region {0}] over the split size ({1} bytes): splitting at {2}", candidate.RegionId, _settings.SplitSizeBytes, KeyText.Quote(candidate.SplitKey));
        StartSplit(new SplitRegion(candidate.RegionId, candidate.SplitKey), requester: null);
    }

    // ---- Split procedure ----

    private void OnSplitRegion(SplitRegion request)
    {
        if (!_regions.TryGetValue(request.RegionId, out var region))
        {
            Sender.Tell(new SplitRegionReply(SplitRegionStatus.UnknownRegion, [], $"store {_storeId} hosts no replica of region {request.RegionId}"));
            return;
        }
        if (request.Key is { } key && KeyProblem(region, key) is { } problem)
        {
            Sender.Tell(new SplitRegionReply(SplitRegionStatus.InvalidKey, [RegionDescriptor.From(region)], problem));
            return;
        }
        if (_splitting.Contains(request.RegionId))
        {
            Sender.Tell(new SplitRegionReply(SplitRegionStatus.Retry, [], $"[region {request.RegionId}] a split is already in progress on store {_storeId}"));
            return;
        }
        StartSplit(request, Sender);
    }

    private void StartSplit(SplitRegion request, IActorRef? requester)
    {
        _splitting.Add(request.RegionId);
        var coordinator = _coordinator;
        var placement = _placement;
        var timeout = _settings.AttemptTimeout;
        RunSplitAsync(coordinator, placement, request.RegionId, request.Key, timeout)
            .ContinueWith(t => new SplitFinished(request, requester, t.IsCompletedSuccessfully
                ? t.Result
                : (new SplitRegionReply(SplitRegionStatus.Retry, [], $"[region {request.RegionId}] split failed: {t.Exception?.GetBaseException().Message}"), 0UL)), TaskScheduler.Default)
            .PipeTo(Self);
    }

    /// <summary>Null when <paramref name="key"/> can split <paramref name="region"/>; otherwise why not.</summary>
    private static string? KeyProblem(Region region, byte[] key)
    {
        if (ByteKeyComparer.Instance.Equals(key, region.StartKey))
            return $"split key {KeyText.Quote(key)} is the start of {region}: the left half would be empty";
        if (!region.Contains(key)) return $"split key {KeyText.Quote(key)} is outside {region}";
        return null;
    }

    /// <summary>The whole split; the second value is the leader's store when this store's replica does not lead (0 otherwise).</summary>
    private static async Task<(SplitRegionReply Reply, ulong LeaderStore)> RunSplitAsync(IActorRef coordinator, IActorRef placement, ulong regionId, byte[]? key, TimeSpan timeout)
    {
        try
        {
            var read = await coordinator.Ask<object>(new ReadRequest(regionId, sm =>
            {
                var machine = (KvStateMachine)sm;
                return new SplitView(machine.Region, key ?? machine.ChooseSplitKey());
            }), timeout).ConfigureAwait(false);
            if (read is ProposeFailed failed)
            {
                return (Retry(regionId, $"{failed.Failure}: {failed.Detail}"), failed.Failure == RaftFailure.NotLeader ? failed.LeaderHint : 0);
            }
            if (read is not ReadSucceeded { Value: SplitView view }) return (Retry(regionId, $"unexpected answer {read}"), 0);
            var region = view.Region;
            if (view.SplitKey is not { } splitKey)
                return (new SplitRegionReply(SplitRegionStatus.NothingToSplit, [RegionDescriptor.From(region)], $"{region} holds fewer than two keys"), 0);
            if (KeyProblem(region, splitKey) is { } problem)
                return (new SplitRegionReply(SplitRegionStatus.InvalidKey, [RegionDescriptor.From(region)], problem), 0);

            var ids = await placement.Ask<PlacementIdsReply>(new PlacementAllocateIds(1 + region.Peers.Length), timeout).ConfigureAwait(false);
            if (!ids.Ok) return (Retry(regionId, $"no ids from placement: {ids.Detail}"), 0);
            var command = new SplitCommand(regionId, region.Epoch, long.MinValue, splitKey, ids.First,
                [.. Enumerable.Range(1, region.Peers.Length).Select(i => ids.First + (ulong)i)]);
            var answer = await coordinator.Ask<object>(new Propose(regionId, KvCommandCodec.Encode(command)), timeout).ConfigureAwait(false);
            return answer switch
            {
                ProposeSucceeded { Result: KvResult.SplitResult split } =>
                    (new SplitRegionReply(SplitRegionStatus.Ok, [RegionDescriptor.From(split.Left), RegionDescriptor.From(split.Right)], $"split {region} into {split.Left} and {split.Right}"), 0),
                ProposeSucceeded { Result: KvResult.EpochNotMatch stale } =>
                    (new SplitRegionReply(SplitRegionStatus.EpochNotMatch, [RegionDescriptor.From(stale.Current)], $"{command} is stale: the region is now {stale.Current}"), 0),
                ProposeSucceeded { Result: KvResult.KeyNotInRegion notIn } =>
                    (new SplitRegionReply(SplitRegionStatus.InvalidKey, [RegionDescriptor.From(notIn.Region)], notIn.ToString()), 0),
                ProposeSucceeded { Result: KvResult.InvalidCommand invalid } =>
                    (new SplitRegionReply(SplitRegionStatus.InvalidKey, [RegionDescriptor.From(region)], invalid.Reason), 0),
                ProposeFailed proposeFailed => (Retry(regionId, $"{proposeFailed.Failure}: {proposeFailed.Detail}"), 0),
                _ => (Retry(regionId, $"unexpected answer {answer}"), 0),
            };
        }
        catch (AskTimeoutException)
        {
            return (Retry(regionId, "no answer in time (the split may or may not have been applied)"), 0);
        }
    }

    private static SplitRegionReply Retry(ulong regionId, string why) => new(SplitRegionStatus.Retry, [], $"[region {regionId}] split not done: {why}");

    private void OnSplitFinished(SplitFinished finished)
    {
        _splitting.Remove(finished.Request.RegionId);
        var (reply, leaderPeer) = finished.Outcome;
        // Not the leader here: hand a manual split to the leader's store once.
        if (leaderPeer != 0 && finished.Requester is { } requester && !finished.Request.Forwarded
            && _regions.TryGetValue(finished.Request.RegionId, out var region)
            && region.Peers.FirstOrDefault(p => p.PeerId == leaderPeer).StoreId is var leaderStore and not 0
            && leaderStore != _storeId && _directory.Find(leaderStore) is { } target)
        {
            target.Tell(finished.Request with { Forwarded = true }, requester);
            return;
        }
        if (reply.IsOk) _log.Info("[region {0}] {1}", finished.Request.RegionId, reply.Detail);
        else _log.Info("[region {0}] split not done: {1} {2}", finished.Request.RegionId, reply.Status, reply.Detail);
        finished.Requester?.Tell(reply);
    }

    // ---- After apply: routing and placement ----

    private void OnSplitApplied(RegionSplitApplied applied)
    {
        foreach (var region in new[] { applied.Left, applied.Right })
        {
            if (!_regions.TryGetValue(region.Id, out var known) || region.Epoch.IsNewerThan(known.Epoch)) _regions[region.Id] = region;
        }
        _log.Info("[region {0}] split applied on store {1}: {2} and {3}", applied.Left.Id, _storeId, applied.Left, applied.Right);
        ReportToPlacement($"[region {applied.Left.Id}] split at version {applied.Left.Epoch.Version}",
            new PlacementReportSplit(PlacementCodec.Encode(new ReportSplitCommand(applied.Left, applied.Right))));
    }

    /// <summary>The regions this store knows that hold any of <paramref name="keys"/>, plus <paramref name="region"/>: what a router needs after a split.</summary>
    private RegionDescriptor[] CurrentRegionsFor(Region region, IEnumerable<byte[]> keys)
    {
        var found = new List<Region> { region };
        foreach (var key in keys)
        {
            foreach (var known in _regions.Values)
                if (known.Contains(key) && !found.Contains(known)) found.Add(known);
        }
        return [.. found.Select(r => RegionDescriptor.From(r))];
    }

    private sealed record SplitCheckTick : INoSerializationVerificationNeeded
    {
        public static SplitCheckTick Instance { get; } = new();
    }

    private sealed record SplitCandidate(ulong RegionId, byte[]? SplitKey) : INoSerializationVerificationNeeded;

    private sealed record SplitView(Region Region, byte[]? SplitKey);

    private sealed record SplitFinished(SplitRegion Request, IActorRef? Requester, (SplitRegionReply Reply, ulong LeaderPeer) Outcome) : INoSerializationVerificationNeeded;

}

/// <summary>A replica on this node applied a split: <see cref="Left"/> shrank, <see cref="Right"/> was created (sent by the replica to its store).</summary>
internal sealed record RegionSplitApplied(Region Left, Region Right) : INoSerializationVerificationNeeded;
