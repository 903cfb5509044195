using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;
using static AkkaRaft.Actors.Tests.Regions.MoveSteps;
using AkkaRaft.TestKit.Linearizability;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>A region move meets a fault: target or source store lost, the leader cut off in the joint phase, a racing split.</summary>
public sealed class MoveFaultTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;

    [Theory]
    [InlineData(false)] // the target stays down: the operator times out and removes its learner again
    [InlineData(true)] // the target restarts: its learner takes a fresh snapshot and the move finishes
    public async Task A_target_store_killed_while_its_learner_takes_the_snapshot_leaves_no_learner_behind_and_three_voters(bool restart)
    {
        var timeout = restart ? "40s" : "6s";
        await using var cluster = await StartAsync(SchedulerConfig($"{SlowSnapshots}\nakka-raft.scheduler.operator-timeout = {timeout}"), nodeCount: 4);
        // 80 × 8 KiB: above half a batch (512 KiB), so the snapshot is streamed in throttled chunks, not sent inline.
        var preloaded = await PreloadAsync(cluster, "a", 80, 8192);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var from = region.Peers.First(p => p.StoreId != leader).StoreId;
        await using var writers = new AcknowledgedWriters(cluster, "aw", 2, 1, 2, 3);

        var reply = await this.MoveAsync(cluster, 1, new MoveRegion(region.Id, from, 4));
        Assert.True(reply.Accepted, reply.Detail);
        var step = await this.RunningStepAsync(cluster, reply.OperatorId, o => o.Step == OperatorStep.CatchUp && o.LearnerMatch == 0);
        _output.WriteLine($"killing store 4 at {step}");
        if (restart) await cluster.RestartNodeAsync(4);
        else await cluster.Nodes[3].Terminate();

        var finished = await this.FinishedOperatorAsync(cluster, reply.OperatorId, TimeSpan.FromSeconds(90));
        _output.WriteLine($"operator: {finished}");
        Assert.Equal(restart ? OperatorState.Done : OperatorState.Cancelled, finished.State);
        var layout = await this.ConsistentLayoutAsync(cluster, restart ? [1, 2, 3, 4] : [1, 2, 3]);
        var after = layout.Single(r => r.Id == region.Id);
        var expectedStores = restart
            ? region.Peers.Select(p => p.StoreId).Where(s => s != from).Append(4UL)
            : region.Peers.Select(p => p.StoreId);
        Assert.Equal(expectedStores.Order(), after.Peers.Select(p => p.StoreId).Order());
        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 10), Patience);

        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(2).Client, AllAcknowledged(writers, preloaded));
    }

    /// <summary>
    /// Regression: the cut-off source never applies its own removal and still counts itself a voter, so its replica refused
    /// the unforced destroy while the store had already dropped and tombstoned it: a Raft group left running forever.
    /// </summary>
    [Fact]
    public async Task Regression_a_source_store_cut_off_in_the_joint_phase_does_not_stop_the_move_and_drops_its_replica_after_the_heal()
    {
        await using var cluster = await StartAsync(SchedulerConfig(), nodeCount: 4);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var placementLeader = await this.LeaderAsync(cluster, PlacementStateMachine.PlacementGroupId);
        var regionLeader = await this.LeaderAsync(cluster, region.Id);
        // The scheduler (placement leader) stays reachable; the source does not lead the region, so no transfer comes first.
        var source = region.Peers.Select(p => p.StoreId).First(s => s != placementLeader && s != regionLeader);
        var others = new ulong[] { 1, 2, 3, 4 }.Where(n => n != source).ToArray();
        var preloaded = await PreloadAsync(cluster, "a", 20, 16);
        await using var writers = new AcknowledgedWriters(cluster, "aw", 4, others);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        var reply = await this.MoveAsync(cluster, placementLeader, new MoveRegion(region.Id, source, 4));
        Assert.True(reply.Accepted, reply.Detail);
        var step = await this.RunningStepAsync(cluster, reply.OperatorId, o => o.Step is OperatorStep.JointChange or OperatorStep.LeaveJoint);
        await cluster.Nodes.Partition((int)source - 1);
        _output.WriteLine($"cut off source store {source} at {step}");

        var finished = await this.FinishedOperatorAsync(cluster, reply.OperatorId);
        _output.WriteLine($"operator: {finished}");
        Assert.Equal(OperatorState.Done, finished.State);
        var placed = await this.PlacedRegionAsync(cluster, placementLeader, "a");
        Assert.Equal(others.Where(s => region.Peers.Any(p => p.StoreId == s)).Append(4UL).Order(), placed.Peers.Select(p => p.StoreId).Order());
        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 20), Patience);

        await cluster.Nodes.HealAll();
        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
        Assert.DoesNotContain(layout.Single(r => r.Id == region.Id).Peers, p => p.StoreId == source);
        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(source).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task A_region_leader_cut_off_in_the_joint_phase_leaves_one_leader_and_a_finished_move_after_the_heal_and_loses_no_write()
    {
        await using var cluster = await StartAsync(SchedulerConfig(), nodeCount: 4);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var placementLeader = await this.LeaderAsync(cluster, PlacementStateMachine.PlacementGroupId);
        // Source, region leader and placement leader on three different stores: the cut-off leader is neither of the others.
        var stores = region.Peers.Select(p => p.StoreId).Where(s => s != placementLeader).Order().ToArray();
        var (source, leader) = (stores[0], stores[1]);
        await this.TransferLeaderAsync(cluster, region, leader);
        var preloaded = await PreloadAsync(cluster, "a", 20, 16);
        var viaNodes = new ulong[] { 1, 2, 3, 4 }.Where(n => n != leader).ToArray();
        await using var writers = new AcknowledgedWriters(cluster, "aw", 4, viaNodes);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        var reply = await this.MoveAsync(cluster, placementLeader, new MoveRegion(region.Id, source, 4));
        Assert.True(reply.Accepted, reply.Detail);
        var step = await this.RunningStepAsync(cluster, reply.OperatorId, o => o.Step is OperatorStep.JointChange or OperatorStep.LeaveJoint);
        await cluster.Nodes.Partition((int)leader - 1);
        _output.WriteLine($"cut off region leader {leader} at {step}");
        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(async () => Assert.True(writers.Acknowledged.Count >= acknowledged + 20,
            $"writes go on without the old leader; {writers.Failures.Count} failed, last {writers.Failures.FirstOrDefault()}\n{await GroupStatesAsync(cluster, region.Id, viaNodes)}"), Patience);

        // The survivors elect a leader with the source's vote (it is kept until every voter applied its removal), that
        // leader leaves the joint configuration, and the operator (on placement's leader, which stays connected) finishes.
        var finished = await this.FinishedOperatorAsync(cluster, reply.OperatorId);
        _output.WriteLine($"operator: {finished}");
        Assert.Equal(OperatorState.Done, finished.State);
        await cluster.Nodes.HealAll();
        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
        var after = layout.Single(r => r.Id == region.Id);
        _output.WriteLine($"after the heal: {DescribePeers([after])}");
        Assert.Equal(new[] { placementLeader, leader, 4UL }.Order(), after.Peers.Select(p => p.StoreId).Order());

        await writers.StopAsync();
        foreach (var failure in writers.Failures) _output.WriteLine($"failed (not acknowledged): {failure}");
        await SplitSteps.AssertReadableAsync(cluster.Node(leader).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task Moving_the_leaders_replica_transfers_leadership_first_and_every_write_succeeds()
    {
        await using var cluster = await StartAsync(SchedulerConfig(), nodeCount: 4);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var preloaded = await PreloadAsync(cluster, "a", 20, 16);
        await using var writers = new AcknowledgedWriters(cluster, "aw", 4, 1, 2, 3, 4);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);

        var reply = await this.MoveAsync(cluster, 1, new MoveRegion(region.Id, leader, 4));
        Assert.True(reply.Accepted, reply.Detail);
        var steps = new List<OperatorStep>();
        var leadersInJointPhase = new HashSet<ulong>();
        OperatorView? finished = null;
        await AwaitAssertAsync(async () =>
        {
            var operators = await cluster.Node(1).Scheduler.Ask<OperatorsReply>(new GetOperators(), TimeSpan.FromSeconds(10));
            var running = operators.Running.FirstOrDefault(o => o.Id == reply.OperatorId);
            if (running is not null && (steps.Count == 0 || steps[^1] != running.Step)) steps.Add(running.Step);
            if (running?.Step is OperatorStep.JointChange or OperatorStep.LeaveJoint) leadersInJointPhase.Add(await cluster.LeaderNodeAsync(region.Id));
            finished = operators.Recent.FirstOrDefault(o => o.Id == reply.OperatorId);
            Assert.NotNull(finished);
        }, Patience, TimeSpan.FromMilliseconds(20));
        _output.WriteLine($"steps: {string.Join(" → ", steps)}; leaders seen in the joint phase: {string.Join(", ", leadersInJointPhase)}; {finished}");

        Assert.Equal(OperatorState.Done, finished!.State);
        Assert.Contains(OperatorStep.TransferLeader, steps);
        if (steps.Contains(OperatorStep.JointChange)) Assert.True(steps.IndexOf(OperatorStep.TransferLeader) < steps.IndexOf(OperatorStep.JointChange), "leadership moves before the joint change");
        Assert.DoesNotContain(leader, leadersInJointPhase);
        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
        Assert.DoesNotContain(layout.Single(r => r.Id == region.Id).Peers, p => p.StoreId == leader);
        var acknowledged = writers.Acknowledged.Count;
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= acknowledged + 20), Patience);
        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(leader).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task A_split_while_the_moves_learner_catches_up_is_refused_as_stale_and_succeeds_after_the_move()
    {
        await using var cluster = await StartAsync(SchedulerConfig(SlowSnapshots), nodeCount: 4);
        // 80 × 8 KiB: above half a batch (512 KiB), so the snapshot is streamed in throttled chunks, not sent inline.
        var preloaded = await PreloadAsync(cluster, "a", 80, 8192);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var from = region.Peers.First(p => p.StoreId != leader).StoreId;
        await using var writers = new AcknowledgedWriters(cluster, "aw", 2, 1, 2, 3);

        var reply = await this.MoveAsync(cluster, 1, new MoveRegion(region.Id, from, 4));
        Assert.True(reply.Accepted, reply.Detail);
        await this.RunningStepAsync(cluster, reply.OperatorId, o => o.Step == OperatorStep.CatchUp && o.LearnerMatch == 0);
        var split = await this.SplitAsync(cluster, leader, region.Id, "a0050");
        _output.WriteLine($"split during catch-up: {split.Status} {split.Detail}");
        Assert.Equal(SplitRegionStatus.EpochNotMatch, split.Status);

        var finished = await this.FinishedOperatorAsync(cluster, reply.OperatorId);
        Assert.Equal(OperatorState.Done, finished.State);
        var resplit = await this.SplitAsync(cluster, await this.LeaderAsync(cluster, region.Id), region.Id, "a0050");
        Assert.True(resplit.IsOk, resplit.Detail);
        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
        Assert.Equal(3, layout.Length);
        var moved = region.Peers.Select(p => p.StoreId).Where(s => s != from).Append(4UL).Order().ToArray();
        Assert.All(layout.Where(r => r.Contains(K("a"))), r => Assert.Equal(moved, r.Peers.Select(p => p.StoreId).Order()));
        Assert.Equal(moved, layout.Single(r => r.StartKey.SequenceEqual(K("a0050"))).Peers.Select(p => p.StoreId).Order());

        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(4).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task A_split_and_a_move_started_together_on_one_region_are_serialized_by_the_epoch_and_both_end_up_done()
    {
        await using var cluster = await StartAsync(SchedulerConfig(), nodeCount: 4);
        var preloaded = await PreloadAsync(cluster, "a", 40, 16);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var leader = await this.LeaderAsync(cluster, region.Id);
        var from = region.Peers.First(p => p.StoreId != leader).StoreId;
        await using var writers = new AcknowledgedWriters(cluster, "aw", 4, 1, 2, 3);
        await AwaitAssertAsync(() => Assert.True(writers.Acknowledged.Count >= 10), Patience);
        // Let the scheduler see store 4 before racing (its validation would refuse the move, not the epoch).
        await AwaitAssertAsync(async () => Assert.Contains((await this.OperatorsAsync(cluster, 1)).Stores, s => s.StoreId == 4), Patience);

        var move = this.MoveAsync(cluster, 1, new MoveRegion(region.Id, from, 4));
        var split = cluster.Node(leader).Store.Ask<SplitRegionReply>(new SplitRegion(region.Id, K("a0020")), Patience);
        var (moveReply, splitReply) = (await move, await split);
        _output.WriteLine($"move: {moveReply.Detail}; split: {splitReply.Status} {splitReply.Detail}");
        Assert.True(moveReply.Accepted, moveReply.Detail);
        var finished = await this.FinishedOperatorAsync(cluster, moveReply.OperatorId);
        _output.WriteLine($"operator: {finished}");

        // Whichever lost the race was told its epoch is stale and goes again.
        for (var attempt = 0; finished.State != OperatorState.Done && attempt < 3; attempt++)
        {
            Assert.Contains("stale", finished.Detail, StringComparison.Ordinal);
            var again = await this.MoveAsync(cluster, 1, new MoveRegion(region.Id, from, 4));
            Assert.True(again.Accepted, again.Detail);
            finished = await this.FinishedOperatorAsync(cluster, again.OperatorId);
            _output.WriteLine($"re-planned operator: {finished}");
        }
        Assert.Equal(OperatorState.Done, finished.State);
        if (!splitReply.IsOk)
        {
            Assert.Contains(splitReply.Status, new[] { SplitRegionStatus.EpochNotMatch, SplitRegionStatus.Retry });
            var resplit = await this.SplitAsync(cluster, await this.LeaderAsync(cluster, region.Id), region.Id, "a0020");
            Assert.True(resplit.IsOk || (splitReply.Status == SplitRegionStatus.Retry && resplit.Status == SplitRegionStatus.InvalidKey), $"{resplit.Status}: {resplit.Detail}");
        }

        var layout = await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
        Assert.Equal(3, layout.Length);
        var left = layout.Single(r => r.Id == region.Id);
        Assert.True(left.EndKey.SequenceEqual(K("a0020")), $"{left}");
        Assert.Contains(left.Peers, p => p.StoreId == 4);
        Assert.DoesNotContain(left.Peers, p => p.StoreId == from);
        await writers.StopAsync();
        writers.AssertNoFailures();
        await SplitSteps.AssertReadableAsync(cluster.Node(4).Client, AllAcknowledged(writers, preloaded));
    }

    [Fact]
    public async Task Concurrent_set_get_incr_through_every_router_stay_linearizable_across_a_move_of_the_leaders_replica()
    {
        await using var cluster = await StartAsync(SchedulerConfig(), nodeCount: 4);
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        string[] keys = ["a", "b", "x"];
        var history = new ConcurrentQueue<RegisterOp>();
        var completed = 0;
        using var stop = new CancellationTokenSource();

        async Task RunClient(int client, IKvClient kv)
        {
            var random = new Random(seed + client);
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                await RegisterClient.StepAsync(kv, client, seq, keys, random, history, _output);
                Interlocked.Increment(ref completed);
            }
        }

        var all = Task.WhenAll(new ulong[] { 1, 2, 3, 4, 1 }.Select((node, i) => RunClient(i + 1, cluster.Node(node).Client)));
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref completed) >= 60), Patience);
        var region = await this.PlacedRegionAsync(cluster, 1, "a");
        var leader = await this.LeaderAsync(cluster, region.Id);
        _output.WriteLine($"moving region {region.Id}'s leader replica from store {leader} to store 4 after {completed} operations");
        var reply = await this.MoveAsync(cluster, 1, new MoveRegion(region.Id, leader, 4));
        Assert.True(reply.Accepted, reply.Detail);
        Assert.Equal(OperatorState.Done, (await this.FinishedOperatorAsync(cluster, reply.OperatorId)).State);
        var afterMove = Volatile.Read(ref completed);
        _output.WriteLine($"move done after {afterMove} operations");
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref completed) >= afterMove + 80), Patience);
        await stop.CancelAsync();
        await all.WaitAsync(Patience);

        var ops = history.ToList();
        _output.WriteLine($"{ops.Count} operations recorded, {ops.Count(o => o.IsUnknown)} with unknown outcome");
        Assert.True(ops.Count(o => !o.IsUnknown) >= 120, $"only {ops.Count} operations succeeded");
        var violation = RegisterLinearizabilityChecker.Check(ops);
        Assert.True(violation is null, $"seed {seed}: {violation}");
        await this.ConsistentLayoutAsync(cluster, [1, 2, 3, 4]);
    }
}
