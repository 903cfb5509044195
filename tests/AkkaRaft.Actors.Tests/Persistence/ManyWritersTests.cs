using Akka.Actor;
using Xunit;

namespace AkkaRaft.Actors.Tests.Persistence;

public sealed class ManyWritersTests : IDisposable
{
    private const int Writers = 300;
    private const int EventsEach = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dataDir = PersistenceTestConfig.NewDataDir("many-writers");

    public void Dispose() => PersistenceTestConfig.DeleteDataDir(_dataDir);

    [Fact]
    public async Task Hundreds_of_persistence_ids_writing_at_once_each_get_every_event_back_in_order()
    {
        var first = ActorSystem.Create("writers", PersistenceTestConfig.For(_dataDir));
        try
        {
            var writers = Enumerable.Range(0, Writers).Select(i => first.ActorOf(EventLogActor.Props($"writer-{i}"))).ToList();
            // All actors at once, each with all its events in flight: the journal sees hundreds of ids interleaved.
            var persisted = await Task.WhenAll(writers.Select((w, i) =>
                w.Ask<EventLogActor.Events>(new EventLogActor.PersistEach(Events(i)), Patience)));
            Assert.All(persisted.Select((p, i) => (p, i)), x => Assert.Equal(Events(x.i), x.p.All));
        }
        finally
        {
            await first.Terminate();
        }

        var second = ActorSystem.Create("readers", PersistenceTestConfig.For(_dataDir));
        try
        {
            var recovered = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
                second.ActorOf(EventLogActor.Props($"writer-{i}")).Ask<EventLogActor.Events>(new EventLogActor.GetEvents(), Patience)));
            for (var i = 0; i < Writers; i++) Assert.Equal(Events(i), recovered[i].All);
        }
        finally
        {
            await second.Terminate();
        }
    }

    private static List<object> Events(int writer) => [.. Enumerable.Range(1, EventsEach).Select(n => (object)$"{writer}:{n}")];
}
