using System.Text.RegularExpressions;

namespace AkkaRaft.Host.Tests;

/// <summary>The dashboard page rendered by a real headless browser (Debian chromium; test.sh installs it) against the running host.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed partial class DashboardBrowserTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task HeadlessChromiumRendersEveryRegionRowTheHealthyStatusAndTheOperatorsSection()
    {
        var profile = Path.Combine(Path.GetTempPath(), "akkaraft-chromium-" + Guid.NewGuid().ToString("N"));
        try
        {
            // The scheduler becomes active on its first interval tick after placement elects a leader.
            await Eventually.UntilAsync(async ct => (await host.Http.GetAsync(new Uri("/api/operators", UriKind.Relative), ct)).StatusCode,
                status => status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the scheduler answering");
            var (exitCode, dom, error) = await RunChromiumAsync(
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                "--virtual-time-budget=5000", "--dump-dom", host.HttpAddress.ToString(),
            ]);

            Assert.True(exitCode == 0, $"chromium exited with {exitCode}: {error}");
            var regionRows = RegionRow().Matches(dom).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(2, regionRows.Count);
            Assert.Equal("healthy: 2 regions, 3 stores", StatusLine().Match(dom).Groups[1].Value);
            Assert.Contains("<td>[, m)</td>", dom);
            Assert.Contains("<td>[m, )</td>", dom);
            Assert.Matches("<p id=\"scheduler\"[^>]*>scheduler: node [1-3]</p>", dom);
            Assert.Matches("<table id=\"operators-running\">.*<tbody><tr>.+</tr></tbody></table>", dom);
            Assert.Matches("<table id=\"operators-recent\">.*<tbody><tr>.+</tr></tbody></table>", dom);
            Assert.Equal(3, StoreUpRow().Matches(dom).Count);
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

    /// <summary>Runs the Debian chromium with <paramref name="arguments"/>; a clear error when it is not installed.</summary>
    internal static async Task<(int ExitCode, string Output, string Error)> RunChromiumAsync(string[] arguments)
    {
        try
        {
            return await ChildProcess.RunAsync("chromium", arguments, TimeSpan.FromSeconds(90));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("chromium is not installed; ./test.sh installs it (apt-get install chromium)", e);
        }
    }

    [GeneratedRegex("<p id=\"status\"[^>]*>([^<]*)</p>")]
    private static partial Regex StatusLine();

    [GeneratedRegex("<tr><td>[1-3]</td><td>yes</td><td>up</td><td[^>]*>no</td>")]
    private static partial Regex StoreUpRow();

    [GeneratedRegex("<tr data-region=\"(\\d+)\">")]
    private static partial Regex RegionRow();
}
