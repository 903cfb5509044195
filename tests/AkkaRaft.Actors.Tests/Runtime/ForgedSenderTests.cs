using Akka.Actor;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>A member of the cluster cannot speak for another: inbound Raft batches are checked against the sender's address.</summary>
public sealed class ForgedSenderTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const ulong Group = 1;
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_batch_claiming_another_nodes_id_is_dropped_and_one_naming_its_real_sender_is_delivered()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3);
        var driver = await GroupDriver.StartAsync(this, nodes, Group);
        var leader = await driver.LeaderAsync(Group);
        var target = driver.Handles.First(h => h.NodeId != leader.PeerId).NodeId;
        var liar = driver.Handles.First(h => h.NodeId != leader.PeerId && h.NodeId != target).NodeId;
        var termBefore = (await driver.StatusAsync(target, Group)).Term;

        // From the liar's node, a leader's heartbeat 100 terms ahead, in the leader's name: accepted, it would depose the group's term.
        var forged = new RaftBatch(leader.PeerId, [new GroupMessage(Group, Heartbeat(leader.PeerId, target, termBefore + 100))]);
        var coordinator = nodes[(int)liar - 1].ActorSelection(new RootActorPath(nodes.AddressOf((int)target - 1)) / "system" / NodeCoordinator.Name);
        coordinator.Tell(forged);
        // The coordinator handles messages in order: once it answered this, it has dealt with the batch (and the group
        // gets GetGroupStatus after whatever the coordinator passed on).
        await coordinator.Ask<ActorIdentity>(new Identify(1), Ask);
        Assert.True((await driver.StatusAsync(target, Group)).Term < termBefore + 100, "a forged batch reached the group");

        // The same heartbeat in the liar's own name is delivered: the check, not the message, stopped the forged one.
        coordinator.Tell(new RaftBatch(liar, [new GroupMessage(Group, Heartbeat(liar, target, termBefore + 100))]));
        await coordinator.Ask<ActorIdentity>(new Identify(2), Ask);
        Assert.True((await driver.StatusAsync(target, Group)).Term >= termBefore + 100, "a batch from its real sender was not delivered");
    }

    private static Message Heartbeat(ulong from, ulong to, ulong term) => new() { Type = MessageType.Heartbeat, From = from, To = to, Term = term };
}
