using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace AkkaRaft.Host.Tests;

/// <summary>The built akkaraft CLI (`dotnet akkaraft.dll ...`) against the running embedded host's HTTP admin API.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class CliTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    private string Url => host.HttpAddress.ToString().TrimEnd('/');

    [Fact]
    public async Task StatusPrintsClusterOkAndExitsZero()
    {
        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("status", "--url", Url);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Contains("cluster: ok, 2 regions", output);
        Assert.Contains("store 1:", output);
        Assert.Contains("store 3:", output);
    }

    [Fact]
    public async Task RegionsJsonParsesAsTwoRegions()
    {
        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("regions", "--json", "--url", Url);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        using var regions = JsonDocument.Parse(output);
        Assert.Equal(2, regions.RootElement.GetArrayLength());
        Assert.All(regions.RootElement.EnumerateArray(), r => Assert.NotEqual(0UL, r.GetProperty("leaderStore").GetUInt64()));
    }

    [Fact]
    public async Task RegionsTableShowsBothRanges()
    {
        var (exitCode, output, _) = await ChildProcess.RunAkkaraftAsync("regions", "--url", Url);

        Assert.Equal(0, exitCode);
        Assert.Contains("[, m)", output);
        Assert.Contains("[m, )", output);
    }

    [Fact]
    public async Task StatusAgainstAClosedPortSaysTheClusterCannotBeReachedAndExitsTwo()
    {
        var closed = ClosedPort();

        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("status", "--url", $"http://127.0.0.1:{closed}");

        Assert.Equal(2, exitCode);
        Assert.Contains("cannot reach the cluster", error);
        Assert.Contains($"127.0.0.1:{closed}", error);
        Assert.DoesNotContain("Unhandled exception", output + error);
    }

    [Fact]
    public async Task TransferLeaderWaitsUntilTheStoreLeadsAndPrintsDone()
    {
        var regions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
        var region = regions[regions.GetArrayLength() - 1];
        var id = region.GetProperty("id").GetUInt64().ToString(CultureInfo.InvariantCulture);
        var target = (region.GetProperty("leaderStore").GetUInt64() % 3 + 1).ToString(CultureInfo.InvariantCulture);

        var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("transfer-leader", id, target, "--url", Url);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Contains($"transferring leadership of region {id} to store {target}", output);
        Assert.EndsWith("done", output.Trim());
        var now = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri($"/api/regions/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(target, now.GetProperty("leaderStore").GetUInt64().ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TransferLeaderToAStoreWithoutAReplicaFailsWithTheReason()
    {
        var (exitCode, _, error) = await ChildProcess.RunAkkaraftAsync("transfer-leader", "1", "9", "--url", Url);

        Assert.Equal(2, exitCode);
        Assert.Contains("holds no replica", error);
    }

    /// <summary>A loopback port nothing listens on (bound and released just now).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
