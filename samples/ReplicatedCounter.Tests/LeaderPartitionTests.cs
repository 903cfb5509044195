using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.TestKit;
using AkkaRaft.TestKit.Linearizability;
using Xunit;
using Xunit.Abstractions;

namespace ReplicatedCounter.Tests;

public sealed class LeaderPartitionTests(ITestOutputHelper output)
{
    private const string Counter = "hits";

    // 50 ms ticks: elections within 0.5-1 s, without deposing healthy leaders when a loaded 2-core machine stalls.
    private static readonly Config Timing = ConfigurationFactory.ParseString("akka-raft { tick-interval = 50ms, election-ticks = 10, heartbeat-ticks = 2 }");

    [Fact]
    public async Task Partitioning_the_leader_away_loses_no_acknowledged_increment()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Timing);
        var group = await cluster.CreateGroupAsync<CounterStateMachine, CounterCommand, CounterResult>(1, () => new CounterStateMachine(), CounterCodec.Instance);
        var history = new RegisterHistory();
        var acknowledged = 0;
        var unknown = 0;
        using var stop = new CancellationTokenSource();

        async Task RunClient(int client)
        {
            while (!stop.IsCancellationRequested)
            {
                var invoked = RegisterHistory.Now();
                var result = await group.ProposeAsync(new CounterCommand(Counter, 1), timeout: TimeSpan.FromSeconds(20));
                if (result.Succeeded)
                {
                    Assert.True(result.Value.Applied, result.Value.Refusal);
                    history.Completed(client, Counter, RegisterOpKind.Increment, 1, result.Value.Value, invoked);
                    Interlocked.Increment(ref acknowledged);
                }
                else if (result.Failure == RaftFailure.OutcomeUnknown)
                {
                    // It may or may not have been applied: the checker allows both, the final count must too.
                    history.Unknown(client, Counter, RegisterOpKind.Increment, 1, invoked);
                    Interlocked.Increment(ref unknown);
                }
                // Any other failure certainly did not apply the increment: nothing to record.
            }
        }

        var clients = Task.WhenAll(Enumerable.Range(1, 3).Select(c => Task.Run(() => RunClient(c))));
        await UntilAcknowledged(30);

        var leader = await group.WaitForLeaderAsync();
        output.WriteLine($"isolating node {leader.NodeIndex} (leader in term {leader.Status.Term}) after {Volatile.Read(ref acknowledged)} increments");
        await cluster.Isolate(leader.NodeIndex);
        var majority = Enumerable.Range(0, cluster.Count).Where(i => i != leader.NodeIndex).ToList();
        var successor = await group.WaitForLeaderAsync(majority, aboveTerm: leader.Status.Term);
        output.WriteLine($"node {successor.NodeIndex} leads in term {successor.Status.Term}");
        await UntilAcknowledged(Volatile.Read(ref acknowledged) + 30);

        output.WriteLine($"healing after {Volatile.Read(ref acknowledged)} increments");
        await cluster.HealAll();
        await UntilAcknowledged(Volatile.Read(ref acknowledged) + 20);
        await stop.CancelAsync();
        await clients.WaitAsync(TimeSpan.FromSeconds(60));

        var invokedRead = RegisterHistory.Now();
        var final = await group.ReadAsync(machine => machine.ValueOf(Counter));
        history.Completed(0, Counter, RegisterOpKind.Get, 0, final, invokedRead);
        output.WriteLine($"final {final}: {acknowledged} acknowledged, {unknown} with unknown outcome");

        Assert.InRange(final, acknowledged, acknowledged + unknown);
        Assert.Null(history.Check());
        // The isolated old leader caught up once healed: it holds every acknowledged increment too.
        await group.TransferLeadershipAsync(leader.NodeIndex);
        Assert.Equal(final, await group.ReadAsync(machine => machine.ValueOf(Counter)));

        // A client that failed an assertion ends the wait with its error.
        async Task UntilAcknowledged(int count)
        {
            await WaitFor.ConditionAsync(_ => Task.FromResult(Volatile.Read(ref acknowledged) >= count || clients.IsFaulted),
                TimeSpan.FromSeconds(40), $"{count} acknowledged increments");
            if (clients.IsFaulted) await clients;
        }
    }
}
