using System.Text;
using Akka.Configuration;
using Akka.Hosting;
using AkkaRaft.Actors.Hosting;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Tests.Runtime;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AkkaRaft.Actors.Tests.Hosting;

public sealed class AkkaRaftHostingTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "hosting-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task WithAkkaRaft_starts_a_node_that_a_caller_outside_actors_can_propose_to()
    {
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(_dataDir, "hosted"));
        var overrides = ConfigurationFactory.ParseString("akka-raft { tick-interval = 50ms, hibernate-after-ticks = 0 }")
            .WithFallback(SqlitePersistenceConfig.For(_dataDir, "hosted"));
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosted", builder => builder.WithAkkaRaft(nodeId: 1, overrides)))
            .Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<Akka.Actor.ActorSystem>();
            var registry = host.Services.GetRequiredService<IActorRegistry>();
            var coordinator = await registry.GetAsync<RaftCoordinatorKey>();
            var node = AkkaRaftExtension.Get(system).Node!;
            Assert.Equal(coordinator, node.Coordinator);

            await node.CreateGroupAsync(1, 1, new Dictionary<ulong, ulong> { [1] = 1 }, () => new RecordingStateMachine());
            // A single-replica group elects itself within an election timeout; until then proposals say NotLeader.
            await AwaitAssertAsync(async () =>
            {
                var reply = await node.ProposeAsync(1, Encoding.UTF8.GetBytes("hello"));
                var succeeded = Assert.IsType<ProposeSucceeded>(reply);
                Assert.Equal(1, succeeded.Result);
            }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
