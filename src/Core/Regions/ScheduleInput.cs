using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>A region as the scheduler plans with it: placement's region and the store its leader is on (0: unknown).</summary>
internal sealed record ScheduledRegion(Region Region, ulong LeaderStore);

/// <summary>A store as the scheduler plans with it: placement's state and whether the scheduler considers it down.</summary>
internal readonly record struct ScheduledStore(ulong StoreId, StoreState State, bool Down)
{
    /// <summary>Up in placement and heard from recently: may receive replicas.</summary>
    public bool Healthy => State == StoreState.Up && !Down;

    /// <summary>Its replicas must move away: being removed, or down.</summary>
    public bool Leaving => State == StoreState.Removing || Down;
}

/// <summary>The scheduler's knobs that planning needs (<c>akka-raft.scheduler</c>).</summary>
internal sealed record ScheduleLimits(int MaxOperators, bool Balance, int BalanceTolerance);

/// <summary>
/// Everything one planning round looks at: placement's regions and stores, the operators running now (region id →
/// operator id) and the regions whose orphan learner is due for removal (its grace period is over).
/// </summary>
internal sealed record ScheduleInput(
    ImmutableArray<ScheduledRegion> Regions,
    ImmutableArray<ScheduledStore> Stores,
    IReadOnlyDictionary<ulong, long> Running,
    IReadOnlySet<ulong> OrphanLearnersDue,
    ScheduleLimits Limits)
{
    /// <summary>The store <paramref name="storeId"/>, or null when placement does not know it.</summary>
    public ScheduledStore? Store(ulong storeId) => Stores.FirstOrDefault(s => s.StoreId == storeId) is { StoreId: not 0 } store ? store : null;

    /// <summary>True when the scheduler considers <paramref name="storeId"/> down.</summary>
    public bool IsDown(ulong storeId) => Store(storeId) is { Down: true };
}
