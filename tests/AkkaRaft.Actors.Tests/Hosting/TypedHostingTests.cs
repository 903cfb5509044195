using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AkkaRaft.Actors.Hosting;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace AkkaRaft.Actors.Tests.Hosting;

public sealed class TypedHostingTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "typed-hosting-" + Guid.NewGuid().ToString("N"));

    private IHost BuildHost(string hocon, AkkaRaftOptions options, AkkaRaftKvOptions? kv = null) =>
        new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddAkka("typed", builder =>
                {
                    builder.AddHocon(ConfigurationFactory.ParseString(hocon), HoconAddMode.Prepend).WithAkkaRaft(options);
                    if (kv is not null) builder.WithAkkaRaftKv(kv);
                });
                if (kv is not null) services.AddAkkaRaftKvClient();
            })
            .Build();

    [Fact]
    public async Task Typed_options_win_over_the_users_hocon()
    {
        using var host = BuildHost("akka-raft { election-ticks = 20, heartbeat-ticks = 3 }",
            new AkkaRaftOptions { NodeId = 1, DataDirectory = _dataDir, ElectionTicks = 12, SnapshotMaxBytesPerSecond = 1024 * 1024 });
        await host.StartAsync();
        try
        {
            var settings = AkkaRaftExtension.Get(host.Services.GetRequiredService<ActorSystem>()).Settings;
            Assert.Equal(12, settings.ElectionTicks);
            Assert.Equal(3, settings.HeartbeatTicks); // not set as an option: the user's HOCON stays in force
            Assert.Equal(1024 * 1024, settings.SnapshotMaxBytesPerSecond);
            Assert.Equal(_dataDir, settings.DataDir);
            Assert.NotNull(await host.Services.GetRequiredService<IActorRegistry>().GetAsync<RaftCoordinatorKey>());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task An_invalid_option_fails_start_up_naming_the_option_and_its_key()
    {
        var error = await Assert.ThrowsAsync<AkkaRaftOptionsException>(() =>
            StartAndStopAsync(BuildHost("", new AkkaRaftOptions { NodeId = 1, ElectionTicks = 0 })));
        Assert.StartsWith("AkkaRaftOptions.ElectionTicks (akka-raft.election-ticks): must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("AkkaRaftOptions.ElectionTicks", error.Option);
    }

    [Fact]
    public async Task An_option_breaking_a_cross_field_rule_with_the_users_hocon_names_the_option()
    {
        // heartbeat-ticks (HOCON) must stay below election-ticks; the option is the one the rule reports.
        var error = await Assert.ThrowsAsync<AkkaRaftOptionsException>(() =>
            StartAndStopAsync(BuildHost("akka-raft.election-ticks = 10", new AkkaRaftOptions { NodeId = 1, HeartbeatTicks = 10 })));
        Assert.StartsWith("AkkaRaftOptions.HeartbeatTicks (akka-raft.heartbeat-ticks): must be less than akka-raft.election-ticks (10)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Journal_and_snapshot_options_are_checked_by_their_own_rules()
    {
        Assert.Equal("AkkaRaftOptions.JournalMaxQueuedWrites", Assert.Throws<AkkaRaftOptionsException>(() =>
            new AkkaRaftOptions { NodeId = 1, JournalMaxQueuedWrites = 0 }.Validate()).Option);
        Assert.Equal("AkkaRaftOptions.SnapshotChunkBytes", Assert.Throws<AkkaRaftOptionsException>(() =>
            new AkkaRaftOptions { NodeId = 1, SnapshotChunkBytes = 100 }.Validate()).Option);
        Assert.Equal("AkkaRaftOptions.TickInterval", Assert.Throws<AkkaRaftOptionsException>(() =>
            new AkkaRaftOptions { NodeId = 1, TickInterval = TimeSpan.Zero }.Validate()).Option);
        Assert.Equal("AkkaRaftOptions.NodeId", Assert.Throws<AkkaRaftOptionsException>(() => new AkkaRaftOptions { NodeId = 0 }.Validate()).Option);
        Assert.Equal("AkkaRaftKvOptions.SplitSizeBytes", Assert.Throws<AkkaRaftOptionsException>(() =>
            new AkkaRaftKvOptions { InitialNodeIds = [1], SplitSizeBytes = 10 }.Validate()).Option);
        Assert.Equal("AkkaRaftKvOptions.InitialNodeIds", Assert.Throws<AkkaRaftOptionsException>(() =>
            new AkkaRaftKvOptions { InitialNodeIds = [1, 1] }.Validate()).Option);
    }

    [Fact]
    public void Options_render_only_what_is_set()
    {
        var hocon = new AkkaRaftOptions { NodeId = 3, TickInterval = TimeSpan.FromMilliseconds(50), JournalMaxTransactionBytes = 1024 }.ToConfig();
        Assert.Equal(TimeSpan.FromMilliseconds(50), hocon.GetTimeSpan("akka-raft.tick-interval"));
        Assert.Equal(3, hocon.GetLong("akka-raft.node-id"));
        Assert.Equal(1024, hocon.GetByteSize("akka.persistence.journal.akkaraft-sqlite.max-transaction-bytes"));
        Assert.False(hocon.HasPath("akka-raft.election-ticks"));
    }

    [Fact]
    public async Task IKvClient_from_dependency_injection_sets_and_gets()
    {
        using var host = BuildHost("""
            akka-raft.placement { heartbeat-interval = 500ms, status-interval = 50ms }
            """,
            new AkkaRaftOptions { NodeId = 1, DataDirectory = _dataDir, TickInterval = TimeSpan.FromMilliseconds(50), HibernateAfterTicks = 0 },
            new AkkaRaftKvOptions { InitialNodeIds = [1], RequestTimeout = TimeSpan.FromSeconds(30) });
        await host.StartAsync();
        try
        {
            var kv = host.Services.GetRequiredService<IKvClient>();
            Assert.Same(kv, host.Services.GetRequiredService<IKvClient>());
            // The first write waits (within the request timeout) for placement and the region to elect and create the journal.
            var set = await kv.SetAsync("hosted-key"u8.ToArray(), "hosted-value"u8.ToArray());
            Assert.IsType<KvReply.OkReply>(set);
            var get = Assert.IsType<KvReply.Value>(await kv.GetAsync("hosted-key"u8.ToArray()));
            Assert.Equal("hosted-value"u8.ToArray(), get.Data);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task StartAndStopAsync(IHost host)
    {
        using (host)
        {
            await host.StartAsync();
            await host.StopAsync();
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
