using System.Text.Json;
using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>`akkaraft split` and POST /api/regions/{id}/split against an embedded cluster of its own (it changes the layout).</summary>
[Collection(RestartCollection.Name)]
public sealed class SplitCommandTests
{
    [Fact]
    public async Task SplitAtAKeyMakesTwoRegionsThatServeEveryKeyWrittenBefore()
    {
        var dataDir = EmbeddedHost.NewDataDir();
        try
        {
            await using var host = await EmbeddedHost.StartAsync(dataDir);
            await using var redis = await host.ConnectRedisAsync();
            var db = redis.GetDatabase();
            var keys = new[] { "nectar", "pear", "quince", "tomato", "walnut", "yam" };
            foreach (var key in keys) Assert.True(await db.StringSetAsync(key, "v-" + key));
            var url = host.HttpAddress.ToString().TrimEnd('/');
            var regions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
            var right = regions.EnumerateArray().Single(r => r.GetProperty("startKey").GetString() == "m").GetProperty("id").GetUInt64();

            var (exitCode, output, error) = await ChildProcess.RunAkkaraftAsync("split", right.ToString(System.Globalization.CultureInfo.InvariantCulture), "t", "--url", url);

            Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
            Assert.Contains($"splitting region {right} at \"t\"", output);
            Assert.Contains("[m, t)", output);
            Assert.Contains("[t, )", output);
            var after = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
            Assert.Equal(3, after.GetArrayLength());
            var values = await db.StringGetAsync([.. keys.Select(k => (RedisKey)k)]);
            Assert.Equal(keys.Select(k => "v-" + k), values.Select(v => (string?)v));
        }
        finally
        {
            EmbeddedHost.DeleteDataDir(dataDir);
        }
    }

    [Fact]
    public async Task SplitWithABadKeyOrRegionIsAClearErrorAndChangesNothing()
    {
        var dataDir = EmbeddedHost.NewDataDir();
        try
        {
            await using var host = await EmbeddedHost.StartAsync(dataDir);
            var url = host.HttpAddress.ToString().TrimEnd('/');
            var regions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
            var left = regions.EnumerateArray().Single(r => r.GetProperty("startKey").GetString() == "").GetProperty("id").GetUInt64();

            var outside = await ChildProcess.RunAkkaraftAsync("split", left.ToString(System.Globalization.CultureInfo.InvariantCulture), "zzz", "--url", url);
            var unknown = await ChildProcess.RunAkkaraftAsync("split", "999", "k", "--url", url);

            Assert.Equal(2, outside.ExitCode);
            Assert.Contains("InvalidKey", outside.Error);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("UnknownRegion", unknown.Error);
            var after = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/regions", UriKind.Relative))).RootElement;
            Assert.Equal(2, after.GetArrayLength());
        }
        finally
        {
            EmbeddedHost.DeleteDataDir(dataDir);
        }
    }
}
