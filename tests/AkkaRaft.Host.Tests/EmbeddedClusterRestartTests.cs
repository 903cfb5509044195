using StackExchange.Redis;

namespace AkkaRaft.Host.Tests;

/// <summary>Stopping the embedded cluster and starting it again on the same data directory.</summary>
[Collection(RestartCollection.Name)]
public sealed class EmbeddedClusterRestartTests
{
    [Fact]
    public async Task RestartOnTheSameDataDirectoryKeepsEveryKeyWrittenBefore()
    {
        var dataDir = EmbeddedHost.NewDataDir();
        try
        {
            var written = new Dictionary<string, string>();
            await using (var first = await EmbeddedHost.StartAsync(dataDir))
            {
                await using var redis = await first.ConnectRedisAsync();
                var db = redis.GetDatabase();
                for (var i = 0; i < 40; i++)
                {
                    var key = $"{(i % 2 == 0 ? "apple" : "zebra")}:restart:{i}";
                    Assert.True(await db.StringSetAsync(key, $"v{i}"));
                    written[key] = $"v{i}";
                }
                Assert.Equal(5, await db.StringIncrementAsync("zebra:restart:counter", 5));
                written["zebra:restart:counter"] = "5";
            }

            await using var second = await EmbeddedHost.StartAsync(dataDir);
            await using var again = await second.ConnectRedisAsync();
            var keys = written.Keys.Select(k => (RedisKey)k).ToArray();
            var values = await again.GetDatabase().StringGetAsync(keys);

            Assert.Equal(written.Values, values.Select(v => (string?)v));
        }
        finally
        {
            EmbeddedHost.DeleteDataDir(dataDir);
        }
    }
}

/// <summary>Runs alone: it starts two clusters one after the other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RestartCollection
{
    public const string Name = "embedded restart";
}
