using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AkkaRaft.Host.Hosting;

namespace AkkaRaft.Host.Tests;

/// <summary>An embedded host with an admin token: the API, the CLI and the dashboard (in headless chromium) with auth on.</summary>
[Collection(AdminAuthHostCollection.Name)]
public sealed partial class AdminAuthHostTests(AdminAuthHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    private string Url => host.HttpAddress.ToString().TrimEnd('/');

    private static HttpClient Anonymous(Uri address) => new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task AnAdminPostWithoutTheTokenGets401AndChangesNothing()
    {
        var region = (await host.Cluster.RegionsAsync())[0];
        var target = region.LeaderStore % 3 + 1;
        using var anonymous = Anonymous(host.HttpAddress);

        using var response = await anonymous.PostAsync(new Uri($"/api/regions/{region.Id}/transfer-leader?store={target}", UriKind.Relative), JsonBody.Empty());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("admin token", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("error").GetString());
        using var read = await anonymous.GetAsync(new Uri("/api/regions", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        using var metrics = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        using var withToken = await host.Http.GetAsync(new Uri("/api/regions", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
    }

    [Fact]
    public async Task ACrossOriginPostGets403AndAFormPostGets415EvenWithTheToken()
    {
        var region = (await host.Cluster.RegionsAsync())[0];
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Post, $"/api/regions/{region.Id}/split") { Content = JsonBody.Empty() };
        crossOrigin.Headers.Add("Origin", "http://attacker.example");
        using var form = new HttpRequestMessage(HttpMethod.Post, $"/api/regions/{region.Id}/split")
        {
            Content = new FormUrlEncodedContent([new("key", "x")]),
        };

        using var crossOriginResponse = await host.Http.SendAsync(crossOrigin);
        using var formResponse = await host.Http.SendAsync(form);

        Assert.Equal(HttpStatusCode.Forbidden, crossOriginResponse.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode);
        Assert.Equal(2, (await host.Cluster.RegionsAsync()).Count); // nothing was split
    }

    [Fact]
    public async Task TheCliSendsTheTokenFromTheEnvironmentOrAFileAndSaysSoWhenItHasNone()
    {
        var tokenFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(tokenFile, AdminAuthHostFixture.Token + "\n");
            var fromEnvironment = await ChildProcess.RunAkkaraftAsync(new Dictionary<string, string?> { ["AKKARAFT_ADMIN_TOKEN"] = AdminAuthHostFixture.Token }, "status", "--url", Url);
            var fromFile = await ChildProcess.RunAkkaraftAsync(new Dictionary<string, string?> { ["AKKARAFT_ADMIN_TOKEN"] = null }, "regions", "--url", Url, "--admin-token-file", tokenFile);
            var without = await ChildProcess.RunAkkaraftAsync(new Dictionary<string, string?> { ["AKKARAFT_ADMIN_TOKEN"] = null }, "status", "--url", Url);

            Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Output + fromEnvironment.Error);
            Assert.Contains("cluster: ok, 2 regions", fromEnvironment.Output);
            Assert.True(fromFile.ExitCode == 0, fromFile.Output + fromFile.Error);
            Assert.Contains("[, m)", fromFile.Output);
            Assert.Equal(2, without.ExitCode);
            Assert.Contains("needs the admin token", without.Error);
            Assert.Contains("HTTP 401", without.Error);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task TheDashboardOpenedWithTheTokenInItsFragmentRendersTheClusterAndWithoutItAsksForTheToken()
    {
        await Eventually.UntilAsync(async ct => (await host.Http.GetAsync(new Uri("/api/operators", UriKind.Relative), ct)).StatusCode,
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the scheduler answering");

        var withToken = await RenderAsync($"{Url}/#token={Uri.EscapeDataString(AdminAuthHostFixture.Token)}");
        var withoutToken = await RenderAsync($"{Url}/");

        Assert.Equal("healthy: 2 regions, 3 stores", StatusLine().Match(withToken).Groups[1].Value);
        Assert.Equal(2, RegionRow().Matches(withToken).Count);
        Assert.Matches("<p id=\"scheduler\"[^>]*>scheduler: node [1-3]</p>", withToken);
        Assert.DoesNotContain(AdminAuthHostFixture.Token, withToken);
        Assert.Contains("admin token required", StatusLine().Match(withoutToken).Groups[1].Value);
        Assert.Matches("<form id=\"login\">", withoutToken); // no longer hidden
        Assert.Empty(RegionRow().Matches(withoutToken));
    }

    private static async Task<string> RenderAsync(string url)
    {
        var profile = Path.Combine(Path.GetTempPath(), "akkaraft-chromium-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, dom, error) = await DashboardBrowserTests.RunChromiumAsync(
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                "--virtual-time-budget=5000", "--dump-dom", url,
            ]);
            Assert.True(exitCode == 0, $"chromium exited with {exitCode}: {error}");
            return dom;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // chromium may still hold a lock file for a moment; the temp folder keeps it.
            }
        }
    }

    [GeneratedRegex("<p id=\"status\"[^>]*>([^<]*)</p>")]
    private static partial Regex StatusLine();

    [GeneratedRegex("<tr data-region=\"(\\d+)\">")]
    private static partial Regex RegionRow();
}

/// <summary>A host of its own whose admin API needs <see cref="Token"/>.</summary>
public sealed class AdminAuthHostFixture : IAsyncLifetime
{
    /// <summary>The admin token.</summary>
    public const string Token = "adm1n-t0ken/with+odd=chars";

    private readonly string dataDir = EmbeddedHost.NewDataDir();

    /// <summary>The host; its Http client sends the token.</summary>
    internal EmbeddedHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await EmbeddedHost.StartAsync(dataDir, endpoints: new EndpointOptions(0, 0, null, IPAddress.Loopback) { AdminToken = Token });

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        EmbeddedHost.DeleteDataDir(dataDir);
    }
}

/// <summary>The host with an admin token; not run beside another cluster.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AdminAuthHostCollection : ICollectionFixture<AdminAuthHostFixture>
{
    public const string Name = "admin auth host";
}
