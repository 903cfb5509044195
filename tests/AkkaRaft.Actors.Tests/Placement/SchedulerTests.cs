using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AkkaRaft.Actors.Placement;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Placement;

/// <summary>The scheduler actor against a fake region, placement and coordinator, its clock a fake one.</summary>
public sealed class SchedulerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly RegionSettings Settings = RegionSettings.Create(ConfigurationFactory.ParseString(
        "akka-raft { scheduler { interval = 100ms, balance = off, operator-timeout = 6s }\n router { attempt-timeout = 300ms } }"));

    private readonly FakeTimeProvider _clock = new();
    private volatile bool _leadsPlacement = true;

    /// <summary>Answers like <see cref="FakeRegionCluster"/>, and a full lookup with the region and stores 1..4 up.</summary>
    private sealed class FakeEndpoint : ReceiveActor
    {
        public FakeEndpoint(FakeRegionCluster cluster) => ReceiveAny(request =>
        {
            lock (cluster)
            {
                if (request is PlacementLookup { Kind: PlacementLookupKind.All })
                {
                    Sender.Tell(new PlacementLookupReply(PlacementLookupStatus.Ok, [RegionDescriptor.From(cluster.Region, cluster.Leader)], 0, 500, 1, "")
                    {
                        Stores = [.. new ulong[] { 1, 2, 3, 4 }.Select(s => new StoreDescriptor(s, StoreState.Up, 1, 1))],
                    });
                    return;
                }
                if (cluster.Answer(request) is { } reply) Sender.Tell(reply);
            }
        });
    }

    private IActorRef StartScheduler(FakeRegionCluster cluster)
    {
        var coordinator = CreateTestProbe();
        coordinator.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is GetGroupStatus)
            {
                sender.Tell(new GroupStatus(0, 1, _leadsPlacement ? StateRole.Leader : StateRole.Follower, 2, _leadsPlacement ? 1UL : 2UL, 9, 9, 1, 9, false,
                    ConfState.OfVoters(1, 2, 3), new Dictionary<ulong, ulong> { [1] = 1, [2] = 2, [3] = 3 }));
            }
            return AutoPilot.KeepRunning;
        }));
        var endpoint = Sys.ActorOf(Props.Create(() => new FakeEndpoint(cluster)));
        return Sys.ActorOf(Scheduler.Props(1, [1, 2, 3], coordinator.Ref, endpoint, endpoint, Settings, _clock));
    }

    private async Task<OperatorsReply> OwnOperatorsAsync(IActorRef scheduler) =>
        await scheduler.Ask<OperatorsReply>(new GetOperators(Local: true), TimeSpan.FromSeconds(5));

    [Fact]
    public async Task A_learner_no_operator_owns_is_removed_only_once_its_grace_has_passed_on_the_schedulers_clock()
    {
        var cluster = new FakeRegionCluster();
        cluster.Apply(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 90)), new Dictionary<ulong, ulong> { [90] = 4 });
        cluster.Hosted[4] = 90;
        var scheduler = StartScheduler(cluster);

        // Many rounds in real time, none of the grace (6 s) on the scheduler's clock.
        await AwaitAssertAsync(async () => Assert.Contains((await OwnOperatorsAsync(scheduler)).Stores, s => s.StoreId == 4), TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var early = await OwnOperatorsAsync(scheduler);
        Assert.Empty(early.Running.Concat(early.Recent));

        _clock.Advance(TimeSpan.FromSeconds(7));

        await AwaitAssertAsync(async () =>
        {
            var cleanup = Assert.Single((await OwnOperatorsAsync(scheduler)).Recent);
            Assert.Equal((OperatorKind.Cleanup, OperatorState.Done, 4UL), (cleanup.Kind, cleanup.State, cleanup.FromStore));
        }, TimeSpan.FromSeconds(10));
        lock (cluster) Assert.DoesNotContain(cluster.Region.Peers, p => p.PeerId == 90);
    }

    /// <summary>Another node's scheduler: answers GetOperators with one running operator on the fake region while <see cref="Running"/>.</summary>
    private sealed class OtherScheduler : ReceiveActor
    {
        public static volatile bool Running = true;
        public static int Asked;

        public OtherScheduler()
        {
            Receive<GetOperators>(_ =>
            {
                Interlocked.Increment(ref Asked);
                Sender.Tell(new OperatorsReply(Running
                    ? [new OperatorView(2_000_001, OperatorKind.Manual, FakeRegionCluster.RegionId, 1, 4, OperatorStep.CatchUp, OperatorState.Running, "", 0, 0, 0, 40, 0, 0)]
                    : [], [], [], 2, ""));
            });
            ReceiveAny(_ => { });
        }
    }

    /// <summary>
    /// Regression: after placement's leadership moved, the new scheduler removed as an orphan the learner of a move the
    /// old scheduler was still running (its snapshot was streaming), and the move then stalled until its timeout.
    /// </summary>
    [Fact]
    public async Task A_learner_of_an_operator_another_nodes_scheduler_still_runs_is_no_orphan()
    {
        var cluster = new FakeRegionCluster();
        cluster.Apply(ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, 90)), new Dictionary<ulong, ulong> { [90] = 4 });
        cluster.Hosted[4] = 90;
        OtherScheduler.Running = true;
        var scheduler = StartScheduler(cluster);
        var other = Sys.ActorOf(Props.Create(() => new OtherScheduler()));
        scheduler.Tell(new SchedulerHello(2), other);
        await AwaitAssertAsync(async () => Assert.Contains((await OwnOperatorsAsync(scheduler)).Stores, s => s.StoreId == 4), TimeSpan.FromSeconds(10));

        _clock.Advance(TimeSpan.FromSeconds(7)); // past the orphan grace (6 s)
        // Several rounds past the grace: each round asks the other scheduler once.
        var askedBefore = Volatile.Read(ref OtherScheduler.Asked);
        await AwaitAssertAsync(() => Assert.True(Volatile.Read(ref OtherScheduler.Asked) >= askedBefore + 5), TimeSpan.FromSeconds(10));
        var meanwhile = await OwnOperatorsAsync(scheduler);
        Assert.Empty(meanwhile.Running.Concat(meanwhile.Recent));

        // Once that operator has ended there, the learner is an orphan like any other.
        OtherScheduler.Running = false;
        await AwaitAssertAsync(async () =>
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            var cleanup = Assert.Single((await OwnOperatorsAsync(scheduler)).Recent);
            Assert.Equal((OperatorKind.Cleanup, OperatorState.Done, 4UL), (cleanup.Kind, cleanup.State, cleanup.FromStore));
        }, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task An_operator_runs_on_after_placement_leadership_moves_and_is_cancelled_only_by_the_operator_timeout()
    {
        var cluster = new FakeRegionCluster();
        cluster.Down.Add(4); // the target never answers: the move makes no progress
        var scheduler = StartScheduler(cluster);
        OperatorReply reply = null!;
        await AwaitAssertAsync(async () =>
        {
            reply = await scheduler.Ask<OperatorReply>(new MoveRegion(FakeRegionCluster.RegionId, 1, 4), TimeSpan.FromSeconds(5));
            Assert.False(reply.NotReady, reply.Detail);
        }, TimeSpan.FromSeconds(10));
        Assert.True(reply.Accepted, reply.Detail);

        _leadsPlacement = false; // another node's scheduler takes over
        await AwaitAssertAsync(async () =>
            Assert.Equal(OperatorReplyStatus.NotActive, (await scheduler.Ask<OperatorReply>(new MoveRegion(FakeRegionCluster.RegionId, 2, 4), TimeSpan.FromSeconds(5))).Status),
            TimeSpan.FromSeconds(10));
        _clock.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var stillRunning = Assert.Single((await OwnOperatorsAsync(scheduler)).Running);
        Assert.Equal((reply.OperatorId, OperatorStep.AddReplica), (stillRunning.Id, stillRunning.Step));

        _clock.Advance(TimeSpan.FromSeconds(2)); // past the 6 s operator timeout

        await AwaitAssertAsync(async () =>
        {
            var cancelled = Assert.Single((await OwnOperatorsAsync(scheduler)).Recent);
            Assert.Equal((reply.OperatorId, OperatorState.Cancelled, OperatorStep.RollBack), (cancelled.Id, cancelled.State, cancelled.Step));
        }, TimeSpan.FromSeconds(15));
    }
}
