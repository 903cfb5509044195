using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using Xunit;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>The steps the move fault, repair and scale-out tests share: operators, their steps, and the final layout check.</summary>
internal static class MoveSteps
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>A scheduler on a 200 ms interval with balancing off (only the test moves replicas), plus <paramref name="extra"/> HOCON.</summary>
    public static Config SchedulerConfig(string extra = "") =>
        ConfigurationFactory.ParseString(extra).WithFallback(ConfigurationFactory.ParseString("akka-raft.scheduler { interval = 200ms, balance = off, catch-up-distance = 10 }"));

    /// <summary>Snapshots sent at 32 KiB/s in 8 KiB chunks: a learner of a region holding ~100 KB needs a few seconds to catch up.</summary>
    public const string SlowSnapshots = "akka-raft.snapshot { chunk-bytes = 8192, max-bytes-per-second = 65536 }";

    /// <summary>A manual move through node <paramref name="viaNode"/>'s scheduler, asked again while no scheduler is active or it has no layout yet.</summary>
    public static async Task<OperatorReply> MoveAsync(this TestKitBase kit, KvCluster cluster, ulong viaNode, MoveRegion move)
    {
        OperatorReply reply = new(OperatorReplyStatus.Refused, 0, "not tried");
        // A store that just joined is unknown to the scheduler until placement recorded its first heartbeat.
        await kit.AwaitAssertAsync(async () => Assert.Contains((await kit.OperatorsAsync(cluster, viaNode)).Stores, s => s.StoreId == move.ToStore), Patience);
        await kit.AwaitAssertAsync(async () =>
        {
            reply = await cluster.Node(viaNode).Scheduler.Ask<OperatorReply>(move, TimeSpan.FromSeconds(10));
            Assert.False(reply.NotReady, reply.Detail);
        }, Patience);
        return reply;
    }

    /// <summary>The active scheduler's operators and stores, asked through node <paramref name="viaNode"/> until one answers.</summary>
    public static async Task<OperatorsReply> OperatorsAsync(this TestKitBase kit, KvCluster cluster, ulong viaNode)
    {
        OperatorsReply reply = null!;
        await kit.AwaitAssertAsync(async () =>
        {
            reply = await cluster.Node(viaNode).Scheduler.Ask<OperatorsReply>(new GetOperators(), TimeSpan.FromSeconds(10));
            Assert.NotEqual(0UL, reply.SchedulerNode);
        }, Patience);
        return reply;
    }

    /// <summary>
    /// The operators of the scheduler that started operator <paramref name="id"/> (its node is in the id). An operator runs
    /// on where it started even after placement's leadership, and so the active scheduler, moved elsewhere.
    /// </summary>
    private static Task<OperatorsReply> OwnerOperatorsAsync(KvCluster cluster, long id) =>
        cluster.Node((ulong)(id / 1_000_000)).Scheduler.Ask<OperatorsReply>(new GetOperators(Local: true), TimeSpan.FromSeconds(10));

    /// <summary>
    /// Finished operators of every scheduler on <paramref name="nodes"/>: placement's leadership may move while operators
    /// run, and each scheduler remembers the ones it started.
    /// </summary>
    public static async Task<List<OperatorView>> RecentOperatorsAsync(KvCluster cluster, IEnumerable<ulong> nodes)
    {
        var recent = new List<OperatorView>();
        foreach (var node in nodes)
            recent.AddRange((await cluster.Node(node).Scheduler.Ask<OperatorsReply>(new GetOperators(Local: true), TimeSpan.FromSeconds(10))).Recent);
        return recent;
    }

    /// <summary>Operator <paramref name="id"/> once it finished (done, failed or cancelled).</summary>
    public static async Task<OperatorView> FinishedOperatorAsync(this TestKitBase kit, KvCluster cluster, long id, TimeSpan? patience = null)
    {
        OperatorView? finished = null;
        await kit.AwaitAssertAsync(async () =>
        {
            var operators = await OwnerOperatorsAsync(cluster, id);
            finished = operators.Recent.FirstOrDefault(o => o.Id == id);
            Assert.True(finished is not null, $"operator {id} still {operators.Running.FirstOrDefault(o => o.Id == id)?.ToString() ?? "unknown"} (scheduler on node {operators.SchedulerNode})");
        }, patience ?? Patience, Poll);
        return finished!;
    }

    /// <summary>Operator <paramref name="id"/> while running, once it reached a step that <paramref name="reached"/> accepts.</summary>
    public static async Task<OperatorView> RunningStepAsync(this TestKitBase kit, KvCluster cluster, long id, Func<OperatorView, bool> reached)
    {
        OperatorView? running = null;
        await kit.AwaitAssertAsync(async () =>
        {
            var operators = await OwnerOperatorsAsync(cluster, id);
            Assert.DoesNotContain(operators.Recent, o => o.Id == id); // finished before the step was seen: the test cannot inject its fault
            running = operators.Running.FirstOrDefault(o => o.Id == id);
            Assert.True(running is not null, $"operator {id} is unknown to its scheduler on node {operators.SchedulerNode}");
            Assert.True(running is not null && reached(running), $"operator {id} is at {running}");
        }, Patience, Poll);
        return running!;
    }

    /// <summary>Makes the replica on <paramref name="toStore"/> lead <paramref name="region"/>.</summary>
    public static async Task TransferLeaderAsync(this TestKitBase kit, KvCluster cluster, Region region, ulong toStore)
    {
        await kit.AwaitAssertAsync(async () =>
        {
            var leader = await cluster.LeaderNodeAsync(region.Id);
            Assert.NotEqual(0UL, leader);
            if (leader != toStore) await cluster.Node(leader).Store.Ask<TransferRegionLeaderReply>(new TransferRegionLeader(leader, region.Id, toStore), TimeSpan.FromSeconds(5));
            Assert.Equal(toStore, await cluster.LeaderNodeAsync(region.Id, among: [toStore]));
        }, Patience);
    }

    /// <summary>The region placement (asked on node <paramref name="viaNode"/>) holds for <paramref name="key"/>.</summary>
    public static async Task<Region> PlacedRegionAsync(this TestKitBase kit, KvCluster cluster, ulong viaNode, string key) =>
        (await kit.PlacementRegionsAsync(cluster.Node(viaNode).Placement)).Single(r => r.Contains(K(key)));

    /// <summary>
    /// Waits until the layout is consistent on the <paramref name="live"/> nodes and returns it: every node's placement
    /// agrees and tiles the keyspace; every region has three voters on distinct live stores and no learner; exactly one live
    /// replica leads it, and its Raft configuration is exactly those voters (not joint); every live store hosts exactly the
    /// regions placement gives it (store map and Raft groups alike).
    /// </summary>
    public static async Task<Region[]> ConsistentLayoutAsync(this TestKitBase kit, KvCluster cluster, IReadOnlyCollection<ulong> live)
    {
        Region[] layout = [];
        await kit.AwaitAssertAsync(async () =>
        {
            layout = await kit.PlacementRegionsAsync(cluster.Node(live.First()).Placement);
            var validation = LayoutValidation.Validate(layout);
            Assert.True(validation.IsValid, $"placement's layout is not valid: {validation}");
            var expected = DescribePeers(layout);
            foreach (var node in live) Assert.Equal(expected, DescribePeers(await kit.PlacementRegionsAsync(cluster.Node(node).Placement)));
            foreach (var region in layout)
            {
                var peers = $"{region} [{string.Join(", ", region.Peers)}]";
                Assert.True(region.Peers.Length == 3 && region.Peers.All(p => p.Role == PeerRole.Voter), $"{peers} is not three voters");
                Assert.True(region.Peers.Select(p => p.StoreId).Distinct().Count() == 3 && region.Peers.All(p => live.Contains(p.StoreId)), $"{peers} is not on three live stores");
                var leaders = new List<(ulong Node, GroupStatus Status)>();
                foreach (var node in live)
                {
                    if (await cluster.Node(node).Raft.StatusAsync(region.Id, TimeSpan.FromSeconds(5)) is GroupStatus { Role: StateRole.Leader } status) leaders.Add((node, status));
                }
                var (_, leader) = Assert.Single(leaders);
                Assert.Equal(region.Peers.Select(p => p.PeerId).Order(), leader.Membership.Voters.Order());
                Assert.Empty(leader.Membership.VotersOutgoing);
                Assert.Empty(leader.Membership.Learners);
            }
            foreach (var node in live)
            {
                var mine = layout.Where(r => r.Peers.Any(p => p.StoreId == node)).ToList();
                Assert.Equal(DescribePeers(mine), DescribePeers(await cluster.HostedRegionsAsync(node)));
                var groups = await cluster.Node(node).Raft.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, TimeSpan.FromSeconds(5));
                Assert.Equal(mine.Select(r => r.Id).Order(), groups.GroupIds.Where(g => g != PlacementStateMachine.PlacementGroupId).Order());
            }
        }, Patience, TimeSpan.FromMilliseconds(200));
        return layout;
    }

    /// <summary>One line per node on its replica of group <paramref name="groupId"/> (role, term, leader, indexes, configuration), for failure messages.</summary>
    public static async Task<string> GroupStatesAsync(KvCluster cluster, ulong groupId, IEnumerable<ulong> nodes)
    {
        var lines = new List<string>();
        foreach (var node in nodes)
        {
            object status;
            try
            {
                status = await cluster.Node(node).Raft.StatusAsync(groupId, TimeSpan.FromSeconds(3));
            }
            catch (AskTimeoutException)
            {
                status = "no answer";
            }
            lines.Add(status is GroupStatus s
                ? $"node {node}: {s.Role} term {s.Term} leader {s.Leader} committed {s.Committed} applied {s.Applied} last {s.LastIndex} voters [{string.Join(",", s.Membership.Voters)}] outgoing [{string.Join(",", s.Membership.VotersOutgoing)}] learners [{string.Join(",", s.Membership.Learners)}] peers [{string.Join(",", s.PeerNodes.Select(p => $"{p.Key}@{p.Value}"))}]"
                : $"node {node}: {status}");
        }
        return string.Join("\n", lines);
    }

    /// <summary>Sets <paramref name="count"/> keys <c>{prefix}{n:D4}</c> to values of about <paramref name="valueBytes"/> bytes, a few writers at once.</summary>
    public static async Task<Dictionary<string, string>> PreloadAsync(KvCluster cluster, string prefix, int count, int valueBytes)
    {
        var written = await Task.WhenAll(Enumerable.Range(0, 4).Select(async writer =>
        {
            var mine = new List<KeyValuePair<string, string>>();
            for (var i = writer; i < count; i += 4)
            {
                // Random hex, so a snapshot of the region does not compress to nothing.
                var (key, value) = ($"{prefix}{i:D4}", $"p{i}-{Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(valueBytes / 2))}");
                AssertOk(await cluster.Node((ulong)(writer % 3) + 1).Client.SetAsync(K(key), K(value)));
                mine.Add(new(key, value));
            }
            return mine;
        }));
        return written.SelectMany(w => w).ToDictionary();
    }

    /// <summary>Everything <paramref name="writers"/> acknowledged, plus <paramref name="before"/>.</summary>
    public static Dictionary<string, string> AllAcknowledged(AcknowledgedWriters writers, IReadOnlyDictionary<string, string>? before = null)
    {
        var all = before is null ? new Dictionary<string, string>() : new Dictionary<string, string>(before);
        foreach (var (key, value) in writers.Acknowledged) all[key] = value;
        return all;
    }

    public static string DescribePeers(IEnumerable<Region> regions) =>
        string.Join("; ", regions.OrderBy(r => r.StartKey, ByteKeyComparer.Instance)
            .Select(r => $"{r} [{string.Join(", ", r.Peers.OrderBy(p => p.StoreId))}]"));
}
