using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>
/// The scheduler's decisions as pure functions (PD's schedulers): layout, store states and running operators in, operators
/// to start out. No clock: which stores are down and which orphan learners are due come in with the input. One operator
/// per region and at most <see cref="ScheduleLimits.MaxOperators"/> at once, counting the ones planned this round.
/// </summary>
/// <remarks>
/// Order of a round: removing stores that hold nothing are retired; orphan learners past their grace are removed; replicas
/// on leaving stores (down or removing) are rebuilt on the healthy store with the fewest replicas; then, with balancing
/// on, one replica moves from the fullest to the emptiest store (only while nothing else runs) and one leader moves from
/// the store leading most regions to the one leading fewest.
/// </remarks>
internal static class SchedulePlanner
{
    /// <summary>Plans one round.</summary>
    public static SchedulePlan Plan(ScheduleInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var round = new Round(input);
        var emptied = StoresEmptied(input);
        PlanCleanups(round);
        PlanRepairs(round);
        var transfers = ImmutableArray<PlannedLeaderTransfer>.Empty;
        if (input.Limits.Balance)
        {
            PlanReplicaBalance(round);
            if (PlanLeaderBalance(round) is { } transfer) transfers = [transfer];
        }
        return new SchedulePlan([.. round.Planned], transfers, emptied);
    }

    /// <summary>
    /// Regions holding a learner that no running operator owns (left by a move that died with a previous placement
    /// leader's scheduler, or whose rollback could not finish): region id → the learner.
    /// </summary>
    public static ImmutableDictionary<ulong, RegionPeer> OrphanLearners(ScheduleInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var orphans = ImmutableDictionary.CreateBuilder<ulong, RegionPeer>();
        foreach (var (region, _) in input.Regions)
        {
            var learner = region.Peers.FirstOrDefault(p => p.Role == PeerRole.Learner);
            if (learner.PeerId != 0 && !input.Running.ContainsKey(region.Id)) orphans[region.Id] = learner;
        }
        return orphans.ToImmutable();
    }

    /// <summary>Null when a manual move of <paramref name="regionId"/>'s replica from one store to another may start; otherwise why not.</summary>
    public static ScheduleRefusal? ValidateMove(ScheduleInput input, ulong regionId, ulong fromStore, ulong toStore)
    {
        ArgumentNullException.ThrowIfNull(input);
        var region = input.Regions.FirstOrDefault(r => r.Region.Id == regionId)?.Region;
        if (region is null) return new(ScheduleRefusalKind.UnknownRegion, $"region {regionId} does not exist");
        if (input.Store(fromStore) is null) return new(ScheduleRefusalKind.UnknownStore, $"store {fromStore} is unknown");
        if (input.Store(toStore) is not { } to) return new(ScheduleRefusalKind.UnknownStore, $"store {toStore} is unknown");
        if (to.State != StoreState.Up) return Refused($"store {toStore} is {to.State.ToString().ToLowerInvariant()}: it takes no replicas");
        if (to.Down) return Refused($"store {toStore} is down");
        if (region.Peers.All(p => p.StoreId != fromStore)) return Refused($"store {fromStore} holds no replica of {region}");
        if (region.Peers.Any(p => p.StoreId == toStore)) return Refused($"store {toStore} already holds a replica of {region}");
        if (input.Running.TryGetValue(region.Id, out var busy)) return Refused($"region {region.Id} already has operator {busy} running");
        var liveVoters = region.Peers.Count(p => p.Role == PeerRole.Voter && p.StoreId != fromStore && !input.IsDown(p.StoreId));
        var quorum = region.Peers.Count(p => p.Role == PeerRole.Voter) / 2 + 1;
        if (liveVoters + 1 < quorum) return Refused($"moving would leave {region} with fewer than a quorum ({quorum}) of healthy voters");
        return null;
    }

    /// <summary>Null when store <paramref name="storeId"/> may be decommissioned; otherwise why not.</summary>
    public static ScheduleRefusal? ValidateRemoveStore(ScheduleInput input, ulong storeId)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Store(storeId) is not { } store) return new(ScheduleRefusalKind.UnknownStore, $"store {storeId} is unknown");
        var others = input.Stores.Count(s => s.Healthy && s.StoreId != storeId);
        var needed = input.Regions.Length == 0 ? 0 : input.Regions.Max(r => r.Region.Peers.Length);
        if (store.State == StoreState.Up && others < needed)
            return Refused($"removing store {storeId} would leave {others} healthy stores for regions of {needed} replicas");
        return null;
    }

    private static ScheduleRefusal Refused(string detail) => new(ScheduleRefusalKind.Refused, detail);

    private static ImmutableArray<ulong> StoresEmptied(ScheduleInput input) =>
    [
        .. input.Stores.Where(s => s.State == StoreState.Removing && input.Regions.All(r => r.Region.Peers.All(p => p.StoreId != s.StoreId)))
            .Select(s => s.StoreId),
    ];

    private static void PlanCleanups(Round round)
    {
        foreach (var (regionId, learner) in OrphanLearners(round.Input).OrderBy(o => o.Key))
        {
            if (!round.Input.OrphanLearnersDue.Contains(regionId) || round.Count >= round.Input.Limits.MaxOperators) continue;
            round.Add(new PlannedOperator(OperatorKind.Cleanup, regionId, learner.StoreId, 0, learner.PeerId));
        }
    }

    private static void PlanRepairs(Round round)
    {
        var leaving = round.Input.Stores.Where(s => s.Leaving).Select(s => s.StoreId).ToHashSet();
        if (leaving.Count == 0) return;
        var counts = ReplicaCounts(round.Input);
        foreach (var (region, _) in round.Input.Regions)
        {
            if (!round.CanStartFor(region)) continue;
            var from = region.Peers.FirstOrDefault(p => leaving.Contains(p.StoreId));
            if (from.PeerId == 0) continue;
            var target = counts.Where(c => region.Peers.All(p => p.StoreId != c.Key)).OrderBy(c => c.Value).ThenBy(c => c.Key).Select(c => c.Key).FirstOrDefault();
            if (target == 0) continue;
            counts[target]++;
            round.Add(new PlannedOperator(OperatorKind.Repair, region.Id, from.StoreId, target));
        }
    }

    private static void PlanReplicaBalance(Round round)
    {
        if (round.Count > 0) return; // one balance move at a time, and none while repairs or cleanups run
        var counts = ReplicaCounts(round.Input);
        if (counts.Count < 2) return;
        var (most, fewest) = (counts.MaxBy(c => (c.Value, c.Key)), counts.MinBy(c => (c.Value, c.Key)));
        if (most.Value - fewest.Value <= round.Input.Limits.BalanceTolerance) return;
        var candidate = round.Input.Regions.Select(r => r.Region)
            .Where(r => round.CanStartFor(r) && r.Peers.Any(p => p.StoreId == most.Key) && r.Peers.All(p => p.StoreId != fewest.Key))
            .OrderBy(r => r.Id).FirstOrDefault();
        if (candidate is not null) round.Add(new PlannedOperator(OperatorKind.Balance, candidate.Id, most.Key, fewest.Key));
    }

    private static PlannedLeaderTransfer? PlanLeaderBalance(Round round)
    {
        var healthy = round.Input.Stores.Where(s => s.Healthy).Select(s => s.StoreId).ToList();
        if (healthy.Count < 2) return null;
        var leaders = healthy.ToDictionary(s => s, s => round.Input.Regions.Count(r => r.LeaderStore == s));
        var (most, fewest) = (leaders.MaxBy(c => (c.Value, c.Key)), leaders.MinBy(c => (c.Value, c.Key)));
        if (most.Value - fewest.Value <= round.Input.Limits.BalanceTolerance) return null;
        var region = round.Input.Regions
            .Where(r => r.LeaderStore == most.Key && !round.IsBusy(r.Region.Id) && r.Region.Peers.Any(p => p.StoreId == fewest.Key && p.Role == PeerRole.Voter))
            .Select(r => r.Region).OrderBy(r => r.Id).FirstOrDefault();
        return region is null ? null : new PlannedLeaderTransfer(region.Id, most.Key, fewest.Key, most.Value, fewest.Value);
    }

    /// <summary>Replicas per healthy store.</summary>
    private static Dictionary<ulong, int> ReplicaCounts(ScheduleInput input)
    {
        var counts = input.Stores.Where(s => s.Healthy).ToDictionary(s => s.StoreId, _ => 0);
        foreach (var (region, _) in input.Regions)
            foreach (var peer in region.Peers)
                if (counts.ContainsKey(peer.StoreId)) counts[peer.StoreId]++;
        return counts;
    }

    /// <summary>The operators running and planned so far this round.</summary>
    private sealed class Round(ScheduleInput input)
    {
        private readonly HashSet<ulong> _planned = [];

        public ScheduleInput Input { get; } = input;

        public List<PlannedOperator> Planned { get; } = [];

        public int Count => Input.Running.Count + Planned.Count;

        public bool IsBusy(ulong regionId) => Input.Running.ContainsKey(regionId) || _planned.Contains(regionId);

        /// <summary>Room for one more, the region is free, and it is not changing membership (a learner or a joint change).</summary>
        public bool CanStartFor(Region region) =>
            Count < Input.Limits.MaxOperators && !IsBusy(region.Id) && region.Peers.All(p => p.Role == PeerRole.Voter);

        public void Add(PlannedOperator planned)
        {
            // Invariant: one operator per region.
            if (!_planned.Add(planned.RegionId)) throw new InvalidOperationException($"region {planned.RegionId} planned twice in one round");
            Planned.Add(planned);
        }
    }
}
