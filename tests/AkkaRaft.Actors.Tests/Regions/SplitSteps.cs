using System.Collections.Concurrent;
using Akka.Actor;
using Akka.TestKit;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using Xunit;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>The steps the split fault, race and cascade tests share: split with retries, layout agreement, acknowledged writes.</summary>
internal static class SplitSteps
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    /// <summary>Sets <paramref name="count"/> keys <c>{prefix}00..</c> to <c>v00..</c> through <paramref name="client"/>.</summary>
    public static async Task<Dictionary<string, string>> WriteKeysAsync(IKvClient client, string prefix, int count, string suffix = "")
    {
        var written = new Dictionary<string, string>();
        for (var i = 0; i < count; i++)
        {
            var (key, value) = ($"{prefix}{i:D2}", $"v{i:D2}{suffix}");
            AssertOk(await client.SetAsync(K(key), K(value)));
            written[key] = value;
        }
        return written;
    }

    /// <summary>The region that store <paramref name="nodeId"/> hosts for <paramref name="key"/>.</summary>
    public static async Task<Region> RegionOfAsync(this KvCluster cluster, string key, ulong nodeId = 1) =>
        Assert.Single(await cluster.HostedRegionsAsync(nodeId), r => r.Contains(K(key)));

    /// <summary>A manual split through store <paramref name="viaNode"/>, repeated while it answers Retry; the final answer.</summary>
    public static async Task<SplitRegionReply> SplitAsync(this TestKitBase kit, KvCluster cluster, ulong viaNode, ulong regionId, string key)
    {
        SplitRegionReply reply = null!;
        await kit.AwaitAssertAsync(async () =>
        {
            reply = await cluster.Node(viaNode).Store.Ask<SplitRegionReply>(new SplitRegion(regionId, K(key)), TimeSpan.FromSeconds(8));
            Assert.NotEqual(SplitRegionStatus.Retry, reply.Status);
        }, Patience);
        return reply;
    }

    /// <summary>The node whose replica leads <paramref name="regionId"/>, once there is one.</summary>
    public static async Task<ulong> LeaderAsync(this TestKitBase kit, KvCluster cluster, ulong regionId, IEnumerable<ulong>? among = null)
    {
        ulong leader = 0;
        await kit.AwaitAssertAsync(async () =>
        {
            leader = await cluster.LeaderNodeAsync(regionId, among);
            Assert.NotEqual(0UL, leader);
        }, Patience);
        return leader;
    }

    /// <summary>Every region placement knows, in key order.</summary>
    public static async Task<Region[]> PlacementRegionsAsync(this TestKitBase kit, IActorRef placement)
    {
        PlacementLookupReply reply = null!;
        await kit.AwaitAssertAsync(async () =>
        {
            reply = await placement.Ask<PlacementLookupReply>(new PlacementLookup(PlacementLookupKind.All, [], 0), TimeSpan.FromSeconds(5));
            Assert.Equal(PlacementLookupStatus.Ok, reply.Status);
        }, Patience);
        return [.. reply.Regions.Select(r => r.ToRegion()).OrderBy(r => r.StartKey, ByteKeyComparer.Instance)];
    }

    /// <summary>
    /// Waits until placement's layout is valid (tiles the keyspace) and every store hosts exactly placement's regions
    /// (same ids, ranges and epochs); returns that layout. Fails with the last disagreement.
    /// </summary>
    public static async Task<Region[]> AgreedLayoutAsync(this TestKitBase kit, KvCluster cluster)
    {
        Region[] layout = [];
        await kit.AwaitAssertAsync(async () =>
        {
            layout = await kit.PlacementRegionsAsync(cluster.Node(1).Placement);
            var validation = LayoutValidation.Validate(layout);
            Assert.True(validation.IsValid, $"placement's layout is not valid: {validation}");
            var expected = Describe(layout);
            foreach (var node in cluster.Kv)
            {
                Assert.Equal(expected, Describe(await kit.PlacementRegionsAsync(node.Placement)));
                Assert.Equal(expected, Describe(await cluster.HostedRegionsAsync(node.NodeId)));
            }
        }, Patience);
        return layout;
    }

    /// <summary>Every acknowledged key reads back its value through <paramref name="client"/>.</summary>
    public static async Task AssertReadableAsync(IKvClient client, IReadOnlyDictionary<string, string> acknowledged)
    {
        foreach (var (key, value) in acknowledged) Assert.Equal(value, ValueOf(await client.GetAsync(K(key))));
    }

    public static string Describe(IEnumerable<Region> regions) =>
        string.Join("; ", regions.OrderBy(r => r.StartKey, ByteKeyComparer.Instance).Select(r => r.ToString()));

    public static string? Text(byte[]? value) => value is null ? null : System.Text.Encoding.UTF8.GetString(value);
}

/// <summary>
/// Background writers, each SETting its own fresh keys (by default <c>{prefix}{writer}-{n}</c>) through the routers of
/// the given nodes; every acknowledged key is remembered with its value. A write that fails is not retried (its key is
/// never reused), so only acknowledged ones are checked.
/// </summary>
internal sealed class AcknowledgedWriters : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _writers;
    private int _attempts;

    public AcknowledgedWriters(KvCluster cluster, string prefix, int writers, params ulong[] viaNodes)
        : this(cluster, writers, viaNodes, (w, i) => $"{prefix}{w}-{i:D5}", padding: "")
    {
    }

    /// <summary>Writers whose w-th writer's i-th key is <c>keyOf(w, i)</c> (unique per (w, i)); <c>padding</c> is appended to every value.</summary>
    public AcknowledgedWriters(KvCluster cluster, int writers, ulong[] viaNodes, Func<int, int, string> keyOf, string padding)
    {
        _writers = [.. Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var (key, value) = (keyOf(w, i), $"{w}:{i}{padding}");
                var reply = await cluster.Node(viaNodes[w % viaNodes.Length]).Client.SetAsync(K(key), K(value));
                Interlocked.Increment(ref _attempts);
                if (reply is KvReply.OkReply) Acknowledged[key] = value;
                else Failures.Add($"{key}: {reply}");
            }
        }))];
    }

    public ConcurrentDictionary<string, string> Acknowledged { get; } = new();

    public ConcurrentBag<string> Failures { get; } = [];

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Fails with every failed write in full (xunit would cut the messages short).</summary>
    public void AssertNoFailures() =>
        Xunit.Assert.True(Failures.IsEmpty, $"{Failures.Count} of {Attempts} writes failed:\n{string.Join("\n", Failures.Take(20))}");

    /// <summary>Stops the writers and waits for their last writes.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writers).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
