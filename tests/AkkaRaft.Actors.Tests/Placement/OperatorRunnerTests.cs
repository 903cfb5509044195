using Akka.Actor;
using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Placement;

/// <summary>The runner executes a move operator against actors: cancellation, rollback and its budget, on a fake clock.</summary>
public sealed class OperatorRunnerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly MoveBudgets Budgets = new(CatchUpDistance: 10, DestroyAttempts: 3, LeaderSearchRounds: 3, ChangeAttempts: 3);

    /// <summary>Answers like <see cref="FakeRegionCluster"/>; a lost answer is simply not sent.</summary>
    private sealed class FakeEndpoint : ReceiveActor
    {
        public FakeEndpoint(FakeRegionCluster cluster) => ReceiveAny(request =>
        {
            lock (cluster)
            {
                if (cluster.Answer(request) is { } reply) Sender.Tell(reply);
            }
        });
    }

    private OperatorEndpoints Endpoints(FakeRegionCluster cluster)
    {
        var endpoint = Sys.ActorOf(Props.Create(() => new FakeEndpoint(cluster)));
        return new OperatorEndpoints(endpoint, endpoint, AttemptTimeout: TimeSpan.FromMilliseconds(200), PollInterval: TimeSpan.FromSeconds(1), RollbackBudget: TimeSpan.FromSeconds(30));
    }

    /// <summary>Moves the fake clock one poll at a time (polling the cluster with it) until <paramref name="run"/> ends.</summary>
    private static async Task<OperatorOutcome> AdvanceUntilDoneAsync(Task<OperatorOutcome> run, FakeTimeProvider clock, FakeRegionCluster cluster, Action? eachPoll = null)
    {
        for (var i = 0; i < 2_000 && !run.IsCompleted; i++)
        {
            await Task.WhenAny(run, Task.Delay(5));
            lock (cluster) cluster.Poll();
            eachPoll?.Invoke();
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        return await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_move_run_against_the_stores_reports_each_step_and_ends_done()
    {
        var cluster = new FakeRegionCluster();
        var clock = new FakeTimeProvider();
        var steps = new List<OperatorStep>();
        var machine = new MoveOperatorMachine(1, new PlannedOperator(OperatorKind.Manual, FakeRegionCluster.RegionId, 1, 4), Budgets);

        var outcome = await AdvanceUntilDoneAsync(OperatorRunner.RunAsync(machine, Endpoints(cluster), clock, p => { lock (steps) steps.Add(p.Step); }, CancellationToken.None), clock, cluster);

        Assert.Equal(OperatorState.Done, outcome.State);
        lock (steps) Assert.Equal([OperatorStep.AddReplica, OperatorStep.AddLearner, OperatorStep.CatchUp, OperatorStep.JointChange, OperatorStep.LeaveJoint, OperatorStep.RemoveSource],
            steps.Distinct().Where(s => s != OperatorStep.Planned));
    }

    [Fact]
    public async Task Cancelling_a_move_whose_target_went_down_in_catch_up_removes_its_learner_and_ends_cancelled()
    {
        var cluster = new FakeRegionCluster();
        var clock = new FakeTimeProvider();
        using var cancel = new CancellationTokenSource();
        var machine = new MoveOperatorMachine(1, new PlannedOperator(OperatorKind.Manual, FakeRegionCluster.RegionId, 1, 4), Budgets);
        var run = OperatorRunner.RunAsync(machine, Endpoints(cluster), clock, p =>
        {
            if (p.Step != OperatorStep.CatchUp) return;
            lock (cluster) cluster.Down.Add(4); // the target dies as its learner starts catching up
            cancel.Cancel(); // the scheduler's operator timeout
        }, cancel.Token);

        var outcome = await AdvanceUntilDoneAsync(run, clock, cluster);

        Assert.Equal(OperatorState.Cancelled, outcome.State);
        lock (cluster)
        {
            Assert.DoesNotContain(cluster.Region.Peers, p => p.PeerId == 100);
            Assert.Equal(3, cluster.Region.Peers.Length);
        }
    }

    [Fact]
    public async Task A_rollback_that_cannot_reach_a_leader_within_its_budget_is_abandoned_and_says_the_learner_is_left()
    {
        var cluster = new FakeRegionCluster();
        var clock = new FakeTimeProvider();
        using var cancel = new CancellationTokenSource();
        var machine = new MoveOperatorMachine(1, new PlannedOperator(OperatorKind.Manual, FakeRegionCluster.RegionId, 1, 4),
            Budgets with { LeaderSearchRounds = 1_000 });
        var endpoints = Endpoints(cluster) with { RollbackBudget = TimeSpan.FromSeconds(20) };
        var run = OperatorRunner.RunAsync(machine, endpoints, clock, p =>
        {
            if (p.Step != OperatorStep.CatchUp) return;
            lock (cluster) cluster.Intercept = r => r is GetRegionProgress ? FakeRegionCluster.Lost : null; // every region replica goes silent
            cancel.Cancel();
        }, cancel.Token);

        var outcome = await AdvanceUntilDoneAsync(run, clock, cluster);

        Assert.Equal(OperatorState.Cancelled, outcome.State);
        Assert.Contains("learner 100 on store 4 left for the scheduler's cleanup", outcome.Detail, StringComparison.Ordinal);
        lock (cluster) Assert.Contains(cluster.Region.Peers, p => p.PeerId == 100 && p.Role == PeerRole.Learner);
    }
}
