using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ReplicatedCounter.Tests;

public sealed class HostedCounterTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "counter-" + Guid.NewGuid().ToString("N"));

    private IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddReplicatedCounter(new ReplicatedCounterOptions { DataDirectory = _dataDir, RequestTimeout = TimeSpan.FromSeconds(30) });
        return builder.Build();
    }

    [Fact]
    public async Task Acknowledged_increments_survive_a_restart_of_the_hosted_app()
    {
        using (var host = BuildHost())
        {
            await host.StartAsync();
            var counter = host.Services.GetRequiredService<ReplicatedCounterClient>();
            for (var expected = 1; expected <= 3; expected++)
                Assert.Equal(expected, (await counter.IncrementAsync("visits")).Value.Value);
            Assert.Equal(-2, (await counter.IncrementAsync("other", -2)).Value.Value);
            await host.StopAsync();
        }
        SqliteConnection.ClearAllPools();

        using (var host = BuildHost())
        {
            await host.StartAsync();
            var counter = host.Services.GetRequiredService<ReplicatedCounterClient>();
            Assert.Equal(3, (await counter.GetAsync("visits")).Value);
            Assert.Equal(4, (await counter.IncrementAsync("visits")).Value.Value);
            Assert.Equal(-2, (await counter.GetAsync("other")).Value);
            await host.StopAsync();
        }
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_option()
    {
        var services = new ServiceCollection();
        Assert.Equal("ReplicaNodeIds", Assert.Throws<ArgumentException>(() => services.AddReplicatedCounter(new ReplicatedCounterOptions { NodeId = 2 })).ParamName);
        Assert.Equal("NodeId", Assert.Throws<ArgumentException>(() => services.AddReplicatedCounter(new ReplicatedCounterOptions { NodeId = 0 })).ParamName);
        Assert.Equal("Port", Assert.Throws<ArgumentException>(() => services.AddReplicatedCounter(new ReplicatedCounterOptions { Port = 70000 })).ParamName);
        Assert.Equal("ReplicaNodeIds", Assert.Throws<ArgumentException>(() => services.AddReplicatedCounter(new ReplicatedCounterOptions { ReplicaNodeIds = [1, 1] })).ParamName);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
