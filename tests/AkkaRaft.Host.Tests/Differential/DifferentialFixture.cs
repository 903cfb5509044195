namespace AkkaRaft.Host.Tests.Differential;

/// <summary>A real redis-server and an embedded akkaraft host of their own (FLUSHDB allowed), side by side, for one test class.</summary>
public sealed class DifferentialFixture : IAsyncLifetime
{
    private readonly string dataDir = EmbeddedHost.NewDataDir();

    /// <summary>The reference.</summary>
    public RedisServerProcess Redis { get; private set; } = null!;

    /// <summary>The server under test.</summary>
    internal EmbeddedHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServerProcess.StartAsync();
        Host = await EmbeddedHost.StartAsync(dataDir, endpoints: Keyspace.KeyspaceHostFixture.FlushAllowed);
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        EmbeddedHost.DeleteDataDir(dataDir);
    }
}
