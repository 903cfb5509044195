using System.Net;
using Akka.Configuration;
using AkkaRaft.Host.Hosting;
using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Tests.Keyspace;

/// <summary>FLUSHDB and FLUSHALL are refused unless akka-raft.host.allow-flush is on.</summary>
public sealed class FlushSettingTests
{
    [Fact]
    public async Task FlushIsRefusedByDefaultWithAnErrorNamingTheSetting()
    {
        await using var server = await RespTestServer.StartAsync();
        await using var wire = await server.ConnectRawAsync();
        await wire.CommandAsync("SET", "kept", "v");

        Assert.Equal("-" + RespSession.FlushDisabledError("FLUSHDB"), await wire.CommandAsync("FLUSHDB"));
        Assert.Equal("-" + RespSession.FlushDisabledError("FLUSHALL"), await wire.CommandAsync("flushall", "ASYNC"));
        Assert.Contains("akka-raft.host.allow-flush = on", RespSession.FlushDisabledError("FLUSHDB"));
        Assert.Equal("$v", await wire.CommandAsync("GET", "kept"));
    }

    [Fact]
    public void AllowFlushIsReadFromTheHostConfigAndOffByDefault()
    {
        var none = EndpointSecurity.Apply(new EndpointOptions(0, 0, null, IPAddress.Loopback), ConfigurationFactory.Empty, null, null, null, _ => null);
        var on = EndpointSecurity.Apply(new EndpointOptions(0, 0, null, IPAddress.Loopback),
            ConfigurationFactory.ParseString("akka-raft.host.allow-flush = on"), null, null, null, _ => null);

        Assert.False(none.RespOptions().AllowFlush);
        Assert.True(on.RespOptions().AllowFlush);
        Assert.False(new RespServerOptions().AllowFlush);
    }
}
