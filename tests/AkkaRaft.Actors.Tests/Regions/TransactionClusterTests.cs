using Akka.Actor;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>WATCH and MULTI/EXEC through the router on a real three-node cluster (regions split at "m").</summary>
public sealed class TransactionClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static IReadOnlyList<byte[]> Args(string line) => [.. line.Split(' ').Select(K)];

    /// <summary>A reply as text (records compare arrays by reference).</summary>
    private static string Render(KvReply reply) => reply switch
    {
        KvReply.Array { Items: null } => "nil-array",
        KvReply.Array array => "[" + string.Join(", ", array.Items.Select(Render)) + "]",
        KvReply.Value value => value.Data is null ? "nil" : "\"" + System.Text.Encoding.UTF8.GetString(value.Data) + "\"",
        KvReply.Integer integer => ":" + integer.Number,
        KvReply.Status status => "+" + status.Text,
        KvReply.OkReply => "+OK",
        KvReply.Error error => "!" + error.Message,
        _ => reply.ToString(),
    };

    [Fact]
    public async Task Watched_transactions_commit_or_abort_alike_on_every_replica_and_two_regions_answer_CROSSSLOT()
    {
        await using var cluster = await StartAsync();
        var (one, two) = (cluster.Node(1).Client, cluster.Node(2).Client);
        AssertOk(await one.SetAsync(K("a-balance"), K("10")));

        var watch = await one.WatchAsync([K("a-balance"), K("a-log")]);
        Assert.Null(watch.Error);
        var committed = await one.ExecuteTransactionAsync([Args("DECRBY a-balance 3"), Args("RPUSH a-log -3"), Args("HSET a-balance f v")], watch);
        Assert.Equal("[:7, :1, !WRONGTYPE Operation against a key holding the wrong kind of value]", Render(committed));

        var stale = await one.WatchAsync([K("a-balance")]);
        Assert.Equal(new KvReply.Integer(8), await two.IncrementAsync(K("a-balance"), 1));
        Assert.Equal("nil-array", Render(await one.ExecuteTransactionAsync([Args("DECRBY a-balance 3"), Args("RPUSH a-log -3")], stale)));
        Assert.Equal("8", ValueOf(await cluster.Node(3).Client.GetAsync(K("a-balance"))));

        var cross = Assert.IsType<KvReply.Error>(await one.ExecuteTransactionAsync([Args("SET a-x 1"), Args("SET z-x 1")]));
        Assert.Equal((KvErrorCode.CommandError, KvClient.CrossRegionError), (cross.Code, cross.Message));
        Assert.Equal(new KvReply.Integer(0), await one.ExistsAsync([K("a-x"), K("z-x")]));
        Assert.Equal("[+PONG, \"hi\"]", Render(await one.ExecuteTransactionAsync([Args("PING"), Args("ECHO hi")])));

        // Every replica applied the same transactions to the same state, watch stamps included: their snapshots are equal.
        var region = (await cluster.RegionOfAsync("a")).Id;
        await AwaitAssertAsync(async () =>
        {
            var snapshots = new List<byte[]>();
            foreach (var node in cluster.Kv)
            {
                var peek = await node.Raft.Coordinator.Ask<object>(new PeekState(region, sm => sm.TakeSnapshot()), TimeSpan.FromSeconds(5));
                snapshots.Add((byte[])Assert.IsType<ReadSucceeded>(peek).Value!);
            }
            Assert.All(snapshots, s => Assert.Equal(snapshots[0], s));
        }, Patience, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_split_between_WATCH_and_EXEC_aborts_the_transaction()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Node(1).Client;
        AssertOk(await client.SetAsync(K("a-k"), K("1")));
        var watch = await client.WatchAsync([K("a-k")]);
        Assert.Null(watch.Error);
        var left = await cluster.RegionOfAsync("a");
        var split = await this.SplitAsync(cluster, 1, left.Id, "c");
        Assert.True(split.IsOk, split.Detail);

        Assert.Equal("nil-array", Render(await client.ExecuteTransactionAsync([Args("SET a-k 2")], watch)));
        Assert.Equal("1", ValueOf(await client.GetAsync(K("a-k"))));
        Assert.Equal("[+OK]", Render(await client.ExecuteTransactionAsync([Args("SET a-k 2")], await client.WatchAsync([K("a-k")]))));
    }
}
