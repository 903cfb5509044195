using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Akka.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Bench;

/// <summary>
/// Where the managed heap of an idle replica goes: N instances of each layer of a replica, alone, and the growth of the
/// managed heap (after a full collection) divided by N. Akka's own layers (an actor cell and mailbox, a backoff
/// supervisor, a persistent actor after recovery) are the floor under everything AkkaRaft adds.
/// </summary>
public static class CensusScenario
{
    public static async Task<List<CensusResult>> Run(int count)
    {
        var results = new List<CensusResult>();
        var settings = RaftSettings.Default;
        var peers = new Dictionary<ulong, ulong> { [1] = 1, [2] = 2, [3] = 3 };

        results.Add(Measure("core_raft_node_follower", count, i =>
            new RaftNode(PeerOptions.From(settings, 1, i).Raft, MemoryStorage.WithVoters(1, 2, 3))));
        results.Add(Measure("core_raft_node_leader", count, i => Leader(PeerOptions.From(settings, 1, i).Raft)));
        results.Add(Measure("raft_peer_follower", count, i =>
        {
            var peer = new RaftPeer<object>(1, new CreateGroup((ulong)i + 1, 1, peers, () => new RuntimeScenario.CountingStateMachine()),
                PeerOptions.From(settings, 1, i), new RuntimeScenario.CountingStateMachine());
            peer.RecoveryCompleted(journalEmpty: true);
            return peer;
        }));

        var system = ActorSystem.Create("census", ConfigurationFactory.ParseString("""
            akka.loglevel = ERROR
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.local"
            """).WithFallback(RaftReferenceConfig.Value));
        try
        {
            results.Add(await MeasureActors(system, "akka_actor", count, (i, counter) => Props.Create(() => new EmptyActor(counter))));
            results.Add(await MeasureActors(system, "akka_backoff_supervisor_and_actor", count, (i, counter) => BackoffSupervisor.Props(
                Backoff.OnStop(Props.Create(() => new EmptyActor(counter)), "replica", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2, -1)
                    .WithDefaultStoppingStrategy())));
            results.Add(await MeasureActors(system, "akka_persistent_actor_recovered", count,
                (i, counter) => Props.Create(() => new EmptyPersistentActor($"census-{i}", counter))));
        }
        finally
        {
            await system.Terminate();
        }
        return results;
    }

    private static CensusResult Measure(string component, int count, Func<int, object> create)
    {
        var keep = new object[count];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++) keep[i] = create(i);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(keep);
        return new CensusResult { Scenario = "census", Component = component, Count = count, BytesEach = (after - before) / count };
    }

    // A 3-voter leader, elected by feeding it the two votes, its no-op acknowledged, then idle.
    private static RaftNode Leader(RaftConfig config)
    {
        var node = new RaftNode(config with { PreVote = false }, MemoryStorage.WithVoters(1, 2, 3));
        node.Campaign();
        node.Step(new Message { Type = MessageType.VoteResponse, From = 2, To = 1, Term = node.Term });
        var ready = node.Ready();
        node.Advance(ready);
        return node;
    }

    private static async Task<CensusResult> MeasureActors(ActorSystem system, string component, int count, Func<int, IActorRef, Props> props)
    {
        var counter = system.ActorOf(Props.Create(() => new StartCounter()), component + "-counter");
        var parent = system.ActorOf(Props.Create(() => new ParentActor()), component);
        await counter.Ask<int>(0);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++) parent.Tell(props(i, counter));
        // Every child reports once it started (a persistent one: once recovered).
        await counter.Ask<int>(count, TimeSpan.FromMinutes(2));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        await parent.GracefulStop(TimeSpan.FromMinutes(1));
        await counter.GracefulStop(TimeSpan.FromMinutes(1));
        return new CensusResult { Scenario = "census", Component = component, Count = count, BytesEach = (after - before) / count };
    }

    private sealed class ParentActor : ReceiveActor
    {
        public ParentActor() => Receive<Props>(props => Context.ActorOf(props));
    }

    // Counts started children; an int asks to be answered once that many have started.
    private sealed class StartCounter : ReceiveActor
    {
        private int _started;
        private readonly List<(int Count, IActorRef Asker)> _waiters = [];

        public StartCounter()
        {
            Receive<Started>(_ =>
            {
                _started++;
                foreach (var waiter in _waiters.Where(w => w.Count <= _started).ToList())
                {
                    waiter.Asker.Tell(_started);
                    _waiters.Remove(waiter);
                }
            });
            Receive<int>(wanted =>
            {
                if (wanted <= _started) Sender.Tell(_started); else _waiters.Add((wanted, Sender));
            });
        }
    }

    private sealed record Started
    {
        public static readonly Started Instance = new();
    }

    private sealed class EmptyActor : ReceiveActor
    {
        public EmptyActor(IActorRef counter)
        {
            counter.Tell(Started.Instance);
            ReceiveAny(_ => { });
        }
    }

    private sealed class EmptyPersistentActor(string persistenceId, IActorRef counter) : UntypedPersistentActor
    {
        public override string PersistenceId { get; } = persistenceId;

        protected override void OnCommand(object message) { }

        protected override void OnRecover(object message)
        {
            if (message is RecoveryCompleted) counter.Tell(Started.Instance);
        }
    }
}

/// <summary>JSON line of the census: managed bytes per instance of one layer of a replica.</summary>
public sealed record CensusResult
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("component")] public required string Component { get; init; }
    [JsonPropertyName("count")] public int Count { get; init; }
    [JsonPropertyName("bytes_each")] public long BytesEach { get; init; }
}
