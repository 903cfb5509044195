using System.Text;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class GroupRecreationTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestJournalConfig.Value, nameof(GroupRecreationTests), output)
{
    private static readonly Dictionary<ulong, ulong> SinglePeer = new() { [1] = 1 };

    /// <summary>A state machine factory that keeps every machine it made, newest last (lock the list to read it).</summary>
    private static (List<RecordingStateMachine> Machines, Func<RecordingStateMachine> NewMachine) RecordedMachines()
    {
        var machines = new List<RecordingStateMachine>();
        return (machines, () =>
        {
            var machine = new RecordingStateMachine();
            lock (machines) machines.Add(machine);
            return machine;
        });
    }

    [Fact]
    public async Task Create_right_after_remove_waits_for_the_old_replica_to_stop_and_recovers_its_journal()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var (machines, newMachine) = RecordedMachines();
        await node.CreateGroupAsync(5, 1, SinglePeer, newMachine);
        await ProposeUntilSucceeded(node, "first");

        // Back to back, with no chance for the old replica to finish stopping in between.
        node.Coordinator.Tell(new RemoveGroup(5), TestActor);
        node.Coordinator.Tell(new CreateGroup(5, 1, SinglePeer, newMachine), TestActor);

        await ExpectMsgAsync<GroupRemoved>();
        Assert.Equal(new GroupCreated(5, 1), await ExpectMsgAsync<GroupCreated>(TimeSpan.FromSeconds(10)));
        await ProposeUntilSucceeded(node, "second");
        lock (machines) Assert.Equal(["first", "second"], machines[^1].CommandsSoFar());
        // The coordinator survived: a second group still works.
        await node.CreateGroupAsync(6, 1, SinglePeer, newMachine);
        await ProposeUntilSucceeded(node, "other", group: 6);
    }

    [Fact]
    public async Task A_crashed_replica_comes_back_from_its_journal_and_one_removed_during_its_restart_backoff_stays_removed()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var (machines, newMachine) = RecordedMachines();
        await node.CreateGroupAsync(5, 1, SinglePeer, newMachine);
        await ProposeUntilSucceeded(node, "first");

        // A crash: the coordinator restarts the replica (same name, no supervisor actor in between) from the journal.
        var replica = await Sys.ActorSelection(node.Coordinator.Path / "group-5").ResolveOne(TimeSpan.FromSeconds(5));
        Watch(replica);
        replica.Tell(Akka.Actor.Kill.Instance, Akka.Actor.ActorRefs.NoSender);
        await ExpectTerminatedAsync(replica);
        await ProposeUntilSucceeded(node, "second");
        lock (machines) Assert.Equal(["first", "second"], machines[^1].CommandsSoFar());

        // Crash again and remove it while the restart waits: the restart is called off, a new create starts at once.
        replica = await Sys.ActorSelection(node.Coordinator.Path / "group-5").ResolveOne(TimeSpan.FromSeconds(5));
        Watch(replica);
        replica.Tell(Akka.Actor.Kill.Instance, Akka.Actor.ActorRefs.NoSender);
        await ExpectTerminatedAsync(replica);
        node.Coordinator.Tell(new RemoveGroup(5), TestActor);
        await ExpectMsgAsync<GroupRemoved>();
        Assert.IsType<ProposeFailed>(await node.ProposeAsync(5, "lost"u8.ToArray(), TimeSpan.FromSeconds(5)));
        node.Coordinator.Tell(new CreateGroup(5, 1, SinglePeer, newMachine), TestActor);
        Assert.Equal(new GroupCreated(5, 1), await ExpectMsgAsync<GroupCreated>(TimeSpan.FromSeconds(10)));
        await ProposeUntilSucceeded(node, "third");
        lock (machines) Assert.Equal(["first", "second", "third"], machines[^1].CommandsSoFar());
        // No restart fired later into the new replica's name (that would crash the coordinator): a second group still works.
        await node.CreateGroupAsync(6, 1, SinglePeer, newMachine);
        await ProposeUntilSucceeded(node, "other", group: 6);
        await ProposeUntilSucceeded(node, "fourth");
    }

    private Task ProposeUntilSucceeded(RaftNodeHandle node, string command, ulong group = 5) =>
        AwaitAssertAsync(async () =>
            Assert.IsType<ProposeSucceeded>(await node.ProposeAsync(group, Encoding.UTF8.GetBytes(command), TimeSpan.FromSeconds(1))),
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
}
