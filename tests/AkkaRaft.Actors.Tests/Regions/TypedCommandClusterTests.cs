using System.Collections.Concurrent;
using System.Text;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>Hashes, lists, sets and sorted sets through the router on a real three-node cluster (regions split at "m").</summary>
public sealed class TypedCommandClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static Task<KvReply> Run(IKvClient client, string command) => client.ExecuteAsync([.. command.Split(' ').Select(K)]);

    [Fact]
    public async Task Typed_commands_run_in_their_region_and_keys_of_two_regions_answer_CROSSSLOT()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Node(1).Client;

        Assert.Equal(new KvReply.Integer(2), await Run(client, "HSET a f1 v1 f2 v2"));
        Assert.Equal(new KvReply.Integer(3), await Run(client, "RPUSH z x y z"));
        var all = Assert.IsType<KvReply.Array>(await Run(cluster.Node(3).Client, "HGETALL a"));
        Assert.Equal(["f1", "v1", "f2", "v2"], all.Items!.Select(i => Encoding.UTF8.GetString(((KvReply.Value)i).Data!)));
        Assert.Equal(new KvReply.Status("list"), await Run(client, "TYPE z"));
        var wrongType = Assert.IsType<KvReply.Error>(await client.GetAsync(K("a")));
        Assert.Equal((KvErrorCode.CommandError, "WRONGTYPE Operation against a key holding the wrong kind of value"), (wrongType.Code, wrongType.Message));

        var cross = Assert.IsType<KvReply.Error>(await Run(client, "RENAME a z"));
        Assert.Equal((KvErrorCode.CommandError, KvClient.CrossRegionError), (cross.Code, cross.Message));
        Assert.Equal(KvClient.CrossRegionError, Assert.IsType<KvReply.Error>(await Run(client, "SINTER a z")).Message);
        Assert.Equal(KvReply.Ok, await Run(client, "RENAME a b"));
        Assert.Equal(new KvReply.Integer(2), await Run(client, "HLEN b"));

        var arity = Assert.IsType<KvReply.Error>(await Run(client, "HSET b f"));
        Assert.Equal("ERR wrong number of arguments for 'hset' command", arity.Message);
        Assert.Equal(new KvReply.Array(null), await Run(client, "LPOP nothing 2"));
    }

    [Fact]
    public async Task A_region_split_in_the_middle_of_a_hash_heavy_load_loses_no_field()
    {
        const int hashes = 24, fields = 15;
        await using var cluster = await StartAsync();
        var left = await cluster.RegionOfAsync("h00");
        var acknowledged = new ConcurrentDictionary<string, int>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task WriteHashAsync(int h)
        {
            var client = cluster.Node((ulong)(h % 3) + 1).Client;
            for (var f = 0; f < fields; f++)
            {
                if (h == 0 && f == 3) started.TrySetResult();
                // HSET of the same field and value is idempotent: an unknown outcome or a refused attempt is simply sent again.
                for (var attempt = 0; ; attempt++)
                {
                    var reply = await Run(client, $"HSET h{h:D2} f{f:D2} v{h}-{f}");
                    if (reply is KvReply.Integer) break;
                    Assert.True(attempt < 20, $"h{h:D2} f{f:D2}: still failing after 20 attempts: {reply}");
                }
                acknowledged.AddOrUpdate($"h{h:D2}", 1, (_, n) => n + 1);
            }
        }

        var writers = Enumerable.Range(0, hashes).Select(h => Task.Run(() => WriteHashAsync(h))).ToArray();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var split = await this.SplitAsync(cluster, 2, left.Id, "h12");
        Assert.True(split.IsOk, split.Detail);
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(90));

        var reader = cluster.Node(3).Client;
        for (var h = 0; h < hashes; h++)
        {
            Assert.Equal(fields, acknowledged[$"h{h:D2}"]);
            var all = Assert.IsType<KvReply.Array>(await Run(reader, $"HGETALL h{h:D2}"));
            var map = new Dictionary<string, string>();
            for (var i = 0; i < all.Items!.Count; i += 2)
                map[Encoding.UTF8.GetString(((KvReply.Value)all.Items[i]).Data!)] = Encoding.UTF8.GetString(((KvReply.Value)all.Items[i + 1]).Data!);
            Assert.Equal(fields, map.Count);
            for (var f = 0; f < fields; f++) Assert.Equal($"v{h}-{f}", map[$"f{f:D2}"]);
        }
        // The two halves of the split each hold whole hashes: the right one starts at "h12".
        var right = await cluster.RegionOfAsync("h12");
        Assert.NotEqual(left.Id, right.Id);
        Assert.Equal(left.Id, (await cluster.RegionOfAsync("h11")).Id);
    }
}
