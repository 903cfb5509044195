using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using AkkaRaft.Actors.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>Destroying a replica (its region moved away) is final: what recovery finds last is the tombstone.</summary>
public sealed class DestroyTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(
        ConfigurationFactory.ParseString("akka-raft.snapshot-every-entries = 1").WithFallback(TestJournalConfig.Value), nameof(DestroyTests), output)
{
    private const ulong Group = 7;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<ulong, ulong> SinglePeer = new() { [1] = 1 };

    /// <summary>
    /// Regression: a destroy that began while a write was in flight still let the replica write and apply afterwards (the
    /// requests stashed behind the tombstone); applying saved a snapshot numbered past the tombstone, which recovery loads
    /// instead of replaying the tombstone, so the destroyed replica came back.
    /// </summary>
    [Fact]
    public async Task A_replica_destroyed_while_a_write_is_in_flight_takes_no_more_writes_and_stays_destroyed_after_a_restart()
    {
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(TestJournalConfig.JournalId));
        var writes = new HeldWrites();
        await journal.OnWrite.SetInterceptorAsync(writes);
        // The replica runs outside a coordinator (a probe stands in), so nothing stops it when the tombstone is written.
        var coordinator = CreateTestProbe();
        var replica = StartReplica(coordinator);
        Assert.IsType<ProposeSucceeded>(await replica.Ask<RaftReply>(new Propose(Group, "first"u8.ToArray()), Patience));

        writes.Hold = true;
        replica.Tell(new Propose(Group, "second"u8.ToArray()), TestActor);
        await writes.Held.Task.WaitAsync(Patience);
        replica.Tell(new DestroyGroup(Group, 1, Force: true), TestActor);
        Assert.Contains("replica destroyed", (await ExpectMsgAsync<ProposeFailed>(Patience)).Detail);
        // Queued behind the tombstone's write.
        replica.Tell(new Propose(Group, "third"u8.ToArray()), TestActor);
        writes.Release.SetResult();

        Assert.True((await ExpectMsgAsync<GroupDestroyed>(Patience)).Destroyed);
        var third = await ExpectMsgAsync<RaftReply>(Patience);
        Assert.True(third is ProposeFailed { Failure: RaftFailure.GroupNotFound }, $"a destroyed replica answered {third}");
        Assert.True((await coordinator.FishForMessageAsync<GroupCreated>(m => m.Tombstoned, Patience)).Tombstoned);

        // Restarted on the same journal and snapshot store, it finds the tombstone and does not start.
        Watch(replica);
        Sys.Stop(replica);
        await ExpectTerminatedAsync(replica, Patience);
        var again = CreateTestProbe();
        StartReplica(again);
        Assert.True((await again.ExpectMsgAsync<GroupCreated>(Patience)).Tombstoned, "the destroyed replica came back");
    }

    private IActorRef StartReplica(TestProbe coordinator) =>
        Sys.ActorOf(RaftGroupActor.Props(1, new CreateGroup(Group, 1, SinglePeer, () => new RecordingStateMachine()) { CampaignOnStart = true },
            AkkaRaftExtension.Get(Sys).Settings, coordinator.Ref));

    /// <summary>Holds journal writes carrying Raft entries while <see cref="Hold"/> is set, until <see cref="Release"/>.</summary>
    private sealed class HeldWrites : IJournalInterceptor
    {
        public volatile bool Hold;
        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (!Hold || message.Payload is not RaftLogWritten { Entries.Count: > 0 }) return;
            Held.TrySetResult();
            await Release.Task;
        }
    }
}
