using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AkkaRaft.Actors.Tests.Placement;

/// <summary>The scheduler's operator registry and store liveness on a fake clock.</summary>
public sealed class OperatorRegistryTests
{
    private static readonly OperatorRegistryLimits Limits = new(OperatorTimeout: TimeSpan.FromSeconds(30), History: 3, OrphanGrace: TimeSpan.FromSeconds(10));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static PlannedOperator Move(ulong region) => new(OperatorKind.Manual, region, 1, 4);

    [Fact]
    public void Operator_ids_carry_the_node_and_one_region_never_runs_two_operators()
    {
        var registry = new OperatorRegistry(3, Limits, _clock);

        var first = registry.Start(Move(7));
        var second = registry.Start(Move(8));

        Assert.Equal((3_000_001L, 3_000_002L), (first.Id, second.Id));
        Assert.Equal((OperatorState.Running, OperatorStep.Planned), (first.State, first.Step));
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeMilliseconds(), first.StartedAtMs);
        Assert.Equal(new Dictionary<ulong, long> { [7] = first.Id, [8] = second.Id }, registry.RunningByRegion);
        Assert.Throws<InvalidOperationException>(() => registry.Start(Move(7)));
    }

    [Fact]
    public void An_operator_without_progress_for_the_timeout_is_reported_stalled_once()
    {
        var registry = new OperatorRegistry(1, Limits, _clock);
        var view = registry.Start(Move(7));

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(registry.Report(new OperatorProgress(view.Id, OperatorStep.CatchUp, "learner at 0", 0, 50)));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(registry.TakeStalled()); // 20 s since the last progress
        Assert.True(registry.Report(new OperatorProgress(view.Id, OperatorStep.CatchUp, "learner at 10", 10, 50)));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.False(registry.Report(new OperatorProgress(view.Id, OperatorStep.CatchUp, "learner at 10", 10, 60))); // the same match again is no progress
        _clock.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(view.Id, Assert.Single(registry.TakeStalled()).Id);
        Assert.Empty(registry.TakeStalled());
        Assert.Equal((OperatorStep.CatchUp, 10UL, 60UL), (registry.Running[0].Step, registry.Running[0].LearnerMatch, registry.Running[0].LeaderLastIndex));
    }

    [Fact]
    public void Finished_operators_are_kept_newest_first_up_to_the_history()
    {
        var registry = new OperatorRegistry(1, Limits, _clock);
        var ids = new List<long>();
        for (ulong region = 1; region <= 5; region++)
        {
            var view = registry.Start(Move(region));
            _clock.Advance(TimeSpan.FromSeconds(1));
            ids.Add(registry.Finish(view.Id, new OperatorOutcome(region == 5 ? OperatorState.Cancelled : OperatorState.Done, $"region {region}"))!.Id);
        }

        Assert.Empty(registry.Running);
        Assert.Equal([ids[4], ids[3], ids[2]], registry.Recent.Select(v => v.Id));
        Assert.Equal((OperatorState.Cancelled, "region 5"), (registry.Recent[0].State, registry.Recent[0].Detail));
        Assert.Equal(registry.Recent[0].StartedAtMs + 1000, registry.Recent[0].FinishedAtMs);
        Assert.Null(registry.Finish(ids[0], new OperatorOutcome(OperatorState.Done, "twice")));
    }

    [Fact]
    public void An_orphan_learner_is_due_only_after_its_grace_and_its_clock_restarts_once_it_is_gone()
    {
        var registry = new OperatorRegistry(1, Limits, _clock);

        Assert.Empty(registry.OrphanLearnersDue([7, 8]));
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(registry.OrphanLearnersDue([7, 8]));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([7UL, 8UL], registry.OrphanLearnersDue([7, 8]).Order());

        Assert.Empty(registry.OrphanLearnersDue([8]).Except([8UL])); // 7 resolved itself: forgotten
        registry.Start(new PlannedOperator(OperatorKind.Cleanup, 8, 4, 0, 90)); // starting its cleanup forgets 8
        Assert.Empty(registry.OrphanLearnersDue([7]));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([7UL], registry.OrphanLearnersDue([7]));
    }

    [Fact]
    public void The_orphan_grace_is_three_schedule_intervals_or_the_operator_timeout_up_to_ten_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), OperatorRegistryLimits.OrphanGraceFor(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)));
        Assert.Equal(TimeSpan.FromSeconds(6), OperatorRegistryLimits.OrphanGraceFor(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(6)));
        Assert.Equal(TimeSpan.FromSeconds(15), OperatorRegistryLimits.OrphanGraceFor(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void A_store_is_down_once_its_heartbeat_count_stood_still_for_the_down_period()
    {
        var liveness = new StoreLiveness(TimeSpan.FromSeconds(30), _clock);
        liveness.Observe(1, 5);
        liveness.Observe(2, 9);

        _clock.Advance(TimeSpan.FromSeconds(20));
        liveness.Observe(1, 6);
        liveness.Observe(2, 9);
        _clock.Advance(TimeSpan.FromSeconds(11));

        Assert.False(liveness.IsDown(1));
        Assert.True(liveness.IsDown(2));
        Assert.Equal(TimeSpan.FromSeconds(31), liveness.SilentFor(2));
        Assert.False(liveness.IsDown(3)); // never seen: not judged
        liveness.Clear();
        Assert.False(liveness.IsDown(2));
    }

    [Fact]
    public void A_store_going_down_and_heartbeating_again_is_reported_once_each_way()
    {
        var liveness = new StoreLiveness(TimeSpan.FromSeconds(30), _clock);
        liveness.Observe(1, 5);
        Assert.False(liveness.ChangedSinceLastCall(1, out _));

        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(liveness.ChangedSinceLastCall(1, out var down) && down);
        Assert.False(liveness.ChangedSinceLastCall(1, out _));

        liveness.Observe(1, 6);
        Assert.True(liveness.ChangedSinceLastCall(1, out down) && !down);
        Assert.False(liveness.ChangedSinceLastCall(1, out _));

        // A new active period starts from nothing: a store down again is reported again.
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(liveness.ChangedSinceLastCall(1, out _));
        liveness.Clear();
        liveness.Observe(1, 6);
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(liveness.ChangedSinceLastCall(1, out down) && down);
    }
}
