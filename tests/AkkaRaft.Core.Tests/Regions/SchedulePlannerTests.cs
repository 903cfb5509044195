using System.Collections.Immutable;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public class SchedulePlannerTests
{
    private static readonly ScheduleLimits Limits = new(MaxOperators: 4, Balance: true, BalanceTolerance: 1);

    /// <summary>Region <paramref name="id"/> ["k{id}", "k{id+1}") with voters on <paramref name="stores"/> (peer id = id·10 + store).</summary>
    private static ScheduledRegion Region(ulong id, ulong leader, params ulong[] stores) =>
        new(new Region(id, K($"k{id}"), K($"k{id + 1}"), new RegionEpoch(1, 1), stores.Select(s => new RegionPeer(s, id * 10 + s, PeerRole.Voter))), leader);

    private static ScheduledRegion WithLearner(ScheduledRegion region, ulong store) =>
        region with { Region = region.Region.WithPeers(region.Region.Peers.Append(new RegionPeer(store, region.Region.Id * 10 + store, PeerRole.Learner))) };

    private static ScheduledStore Up(ulong id) => new(id, StoreState.Up, false);

    private static ScheduleInput Input(IEnumerable<ScheduledRegion> regions, IEnumerable<ScheduledStore> stores, Dictionary<ulong, long>? running = null,
        HashSet<ulong>? orphansDue = null, ScheduleLimits? limits = null) =>
        new([.. regions], [.. stores], running ?? [], orphansDue ?? [], limits ?? Limits);

    [Fact]
    public void A_balanced_cluster_of_healthy_stores_gets_no_operator()
    {
        var plan = SchedulePlanner.Plan(Input([Region(1, 1, 1, 2, 3), Region(2, 2, 1, 2, 3), Region(3, 3, 1, 2, 3)], [Up(1), Up(2), Up(3)]));

        Assert.Empty(plan.Operators);
        Assert.Empty(plan.LeaderTransfers);
        Assert.Empty(plan.StoresEmptied);
    }

    [Fact]
    public void Replicas_of_a_down_store_are_rebuilt_on_the_healthy_stores_with_the_fewest_replicas()
    {
        var regions = new[] { Region(1, 1, 1, 2, 3), Region(2, 1, 1, 2, 3), Region(3, 2, 2, 3, 4) };
        var plan = SchedulePlanner.Plan(Input(regions, [Up(1), Up(2), new(3, StoreState.Up, Down: true), Up(4), Up(5)], limits: Limits with { Balance = false }));

        // Store 5 holds nothing, then store 4 (1 replica) and 5 (1 after the first repair) share the rest; never a store of the region.
        Assert.Equal<PlannedOperator>(
            [new(OperatorKind.Repair, 1, 3, 5), new(OperatorKind.Repair, 2, 3, 4), new(OperatorKind.Repair, 3, 3, 5)],
            plan.Operators);
    }

    [Fact]
    public void Repairs_stop_at_max_operators_and_skip_regions_that_run_an_operator_or_hold_a_learner()
    {
        var regions = new[] { Region(1, 1, 1, 2, 3), WithLearner(Region(2, 1, 1, 2, 3), 4), Region(3, 1, 1, 2, 3), Region(4, 1, 1, 2, 3), Region(5, 1, 1, 2, 3) };
        var stores = new ScheduledStore[] { Up(1), Up(2), new(3, StoreState.Removing, false), Up(4), Up(5) };

        var plan = SchedulePlanner.Plan(Input(regions, stores, running: new() { [1] = 7 }, limits: new(3, false, 1)));

        Assert.Equal<ulong>([3UL, 4UL], plan.Operators.Select(o => o.RegionId));
        Assert.All(plan.Operators, o => Assert.Equal((OperatorKind.Repair, 3UL), (o.Kind, o.FromStore)));
    }

    [Fact]
    public void A_removing_store_that_holds_no_replica_any_more_is_retired()
    {
        var plan = SchedulePlanner.Plan(Input([Region(1, 1, 1, 2, 4)], [Up(1), Up(2), new(3, StoreState.Removing, false), new(4, StoreState.Removing, false), Up(5)]));

        Assert.Equal<ulong>([3UL], plan.StoresEmptied);
        Assert.Equal<PlannedOperator>([new PlannedOperator(OperatorKind.Repair, 1, 4, 5)], plan.Operators); // store 4 still holds one: drained first
    }

    [Fact]
    public void An_orphan_learner_is_cleaned_up_only_once_its_grace_is_over_and_never_while_an_operator_owns_the_region()
    {
        var regions = new[] { WithLearner(Region(1, 1, 1, 2, 3), 4), WithLearner(Region(2, 1, 1, 2, 3), 4) };
        var stores = new[] { Up(1), Up(2), Up(3), Up(4) };

        var orphans = SchedulePlanner.OrphanLearners(Input(regions, stores, running: new() { [2] = 9 }));
        Assert.Equal<ulong>([1UL], orphans.Keys);
        Assert.Equal(new RegionPeer(4, 14, PeerRole.Learner), orphans[1]);

        Assert.DoesNotContain(SchedulePlanner.Plan(Input(regions, stores, running: new() { [2] = 9 })).Operators, o => o.Kind == OperatorKind.Cleanup);
        var due = SchedulePlanner.Plan(Input(regions, stores, running: new() { [2] = 9 }, orphansDue: [1, 2]));
        Assert.Equal<PlannedOperator>([new PlannedOperator(OperatorKind.Cleanup, 1, 4, 0, 14)], due.Operators);
    }

    [Fact]
    public void Replica_balance_moves_one_replica_from_the_fullest_to_the_emptiest_store_and_only_while_nothing_runs()
    {
        var regions = new[] { Region(1, 1, 1, 2, 3), Region(2, 2, 1, 2, 3), Region(3, 3, 1, 2, 3) };
        var stores = new[] { Up(1), Up(2), Up(3), Up(4) };

        var plan = SchedulePlanner.Plan(Input(regions, stores));
        Assert.Equal<PlannedOperator>([new PlannedOperator(OperatorKind.Balance, 1, 3, 4)], plan.Operators);

        Assert.Empty(SchedulePlanner.Plan(Input(regions, stores, running: new() { [2] = 5 })).Operators);
        Assert.Empty(SchedulePlanner.Plan(Input(regions, stores, limits: Limits with { BalanceTolerance = 3 })).Operators);
        Assert.Empty(SchedulePlanner.Plan(Input(regions, stores, limits: Limits with { Balance = false })).Operators);
    }

    [Fact]
    public void Leader_balance_hands_one_leadership_to_a_voter_on_the_store_leading_fewest()
    {
        var regions = new[] { Region(1, 1, 1, 2, 3), Region(2, 1, 1, 2, 3), Region(3, 1, 1, 2, 3), Region(4, 2, 1, 2, 3) };

        var plan = SchedulePlanner.Plan(Input(regions, [Up(1), Up(2), Up(3)]));

        Assert.Equal<PlannedLeaderTransfer>([new PlannedLeaderTransfer(1, 1, 3, 3, 0)], plan.LeaderTransfers);
        var busy = SchedulePlanner.Plan(Input(regions, [Up(1), Up(2), Up(3)], running: new() { [1] = 3 }));
        Assert.Equal(2UL, Assert.Single(busy.LeaderTransfers).RegionId);
    }

    [Theory]
    [InlineData(999UL, 1UL, 4UL, ScheduleRefusalKind.UnknownRegion, "region 999 does not exist")]
    [InlineData(1UL, 1UL, 9UL, ScheduleRefusalKind.UnknownStore, "store 9 is unknown")]
    [InlineData(1UL, 1UL, 2UL, ScheduleRefusalKind.Refused, "store 2 already holds a replica of region 1")]
    [InlineData(1UL, 4UL, 1UL, ScheduleRefusalKind.Refused, "store 4 holds no replica of region 1")]
    [InlineData(1UL, 1UL, 5UL, ScheduleRefusalKind.Refused, "store 5 is removing: it takes no replicas")]
    [InlineData(1UL, 1UL, 6UL, ScheduleRefusalKind.Refused, "store 6 is down")]
    [InlineData(2UL, 1UL, 4UL, ScheduleRefusalKind.Refused, "region 2 already has operator 77 running")]
    public void A_bad_move_is_refused_with_its_reason(ulong region, ulong from, ulong to, object kindCase, string reason)
    {
        var kind = (ScheduleRefusalKind)kindCase;
        var input = Input([Region(1, 1, 1, 2, 3), Region(2, 1, 1, 2, 3)],
            [Up(1), Up(2), Up(3), Up(4), new(5, StoreState.Removing, false), new(6, StoreState.Up, true)], running: new() { [2] = 77 });

        var refusal = SchedulePlanner.ValidateMove(input, region, from, to);

        Assert.NotNull(refusal);
        Assert.Equal(kind, refusal.Kind);
        Assert.StartsWith(reason, refusal.Detail, StringComparison.Ordinal);
        Assert.Null(SchedulePlanner.ValidateMove(input, 1, 1, 4));
    }

    [Fact]
    public void A_move_that_would_leave_fewer_than_a_quorum_of_healthy_voters_is_refused()
    {
        var input = Input([Region(1, 1, 1, 2, 3)], [Up(1), new(2, StoreState.Up, true), new(3, StoreState.Up, true), Up(4)]);

        Assert.Contains("fewer than a quorum (2)", SchedulePlanner.ValidateMove(input, 1, 1, 4)!.Detail, StringComparison.Ordinal);
        Assert.Null(SchedulePlanner.ValidateMove(input, 1, 2, 4));
    }

    [Fact]
    public void Removing_a_store_is_refused_when_too_few_healthy_stores_would_remain()
    {
        var input = Input([Region(1, 1, 1, 2, 3)], [Up(1), Up(2), Up(3), Up(4)]);

        Assert.Null(SchedulePlanner.ValidateRemoveStore(input, 4));
        Assert.Equal(ScheduleRefusalKind.UnknownStore, SchedulePlanner.ValidateRemoveStore(input, 42)!.Kind);
        var three = Input([Region(1, 1, 1, 2, 3)], [Up(1), Up(2), Up(3)]);
        Assert.Equal("removing store 3 would leave 2 healthy stores for regions of 3 replicas", SchedulePlanner.ValidateRemoveStore(three, 3)!.Detail);
    }
}
