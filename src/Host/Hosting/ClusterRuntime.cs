using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Host.Hosting;

/// <summary>One region as the admin surface shows it: placement's view plus the Raft state of the local replicas.</summary>
public sealed record RegionView(
    ulong Id, string StartKey, string EndKey, string Epoch, ulong LeaderStore, IReadOnlyList<ulong> Stores, long ApproximateSizeBytes,
    IReadOnlyList<ReplicaView> Replicas);

/// <summary>The Raft state of one local replica.</summary>
public sealed record ReplicaView(ulong Store, string Role, ulong Term, ulong LeaderStore, ulong Committed, ulong Applied, ulong LastIndex, bool Hibernating);

/// <summary>One store (node) and what it holds.</summary>
public sealed record StoreView(ulong Id, bool Local, int Regions, int Leaders);

/// <summary>The AkkaRaft nodes this process runs (three for the embedded default, one in node mode).</summary>
public sealed class ClusterRuntime : IAsyncDisposable
{
    private readonly List<ActorSystem> _systems;

    private ClusterRuntime(List<ActorSystem> systems, List<KvNode> nodes)
    {
        _systems = systems;
        Nodes = nodes;
    }

    /// <summary>The local KV nodes.</summary>
    public IReadOnlyList<KvNode> Nodes { get; }

    /// <summary>The client the front ends use (the first local node's router).</summary>
    public IKvClient Client => Nodes[0].Client;

    /// <summary>Starts <paramref name="nodeCount"/> nodes in this process on loopback, data under <paramref name="dataDir"/>/nodeN.</summary>
    public static async Task<ClusterRuntime> StartEmbeddedAsync(int nodeCount, string dataDir, Config? user, TimeSpan timeout)
    {
        var ids = Enumerable.Range(1, nodeCount).Select(i => (ulong)i).ToList();
        var systems = new List<ActorSystem>();
        try
        {
            foreach (var id in ids)
            {
                var nodeDir = Path.Combine(dataDir, $"node{id}");
                NodeConfig.PrepareStorage(id, nodeDir);
                systems.Add(ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Build(id, nodeDir, "127.0.0.1", 0, [], user)));
            }
            // Ports are chosen by the OS, so the first node's address is only known now: everyone joins it.
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            var ups = systems.Select(WhenUp).ToList();
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await Task.WhenAll(ups).WaitAsync(timeout).ConfigureAwait(false);
            var nodes = systems.Select((system, i) => AkkaRaftKv.StartNode(system, ids[i], ids)).ToList();
            return new ClusterRuntime(systems, nodes);
        }
        catch
        {
            await Task.WhenAll(systems.Select(s => s.Terminate())).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one node of a multi-process cluster from <paramref name="config"/> (akka-raft.node-id, akka-raft.initial-node-ids, seed nodes).</summary>
    public static Task<ClusterRuntime> StartNodeAsync(Config config, string? dataDirOverride)
    {
        var nodeId = (ulong)config.GetLong("akka-raft.node-id", 0);
        if (nodeId == 0) throw new ArgumentException("akka-raft.node-id must be set to a positive number in node mode");
        var initial = config.GetLongList("akka-raft.initial-node-ids").Select(i => (ulong)i).ToList();
        if (initial.Count == 0) throw new ArgumentException("akka-raft.initial-node-ids must list the nodes that host placement and the first regions");
        var dataDir = Path.GetFullPath(dataDirOverride ?? config.GetString("akka-raft.data-dir", "data"));
        var hostname = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1");
        var port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        NodeConfig.PrepareStorage(nodeId, dataDir);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Build(nodeId, dataDir, hostname, port, [.. seeds], config));
        var node = AkkaRaftKv.StartNode(system, nodeId, initial);
        return Task.FromResult(new ClusterRuntime([system], [node]));
    }

    /// <summary>Waits until every region has a leader (as seen by the local replicas or by placement).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (true)
        {
            limit.Token.ThrowIfCancellationRequested();
            var regions = await RegionsAsync(limit.Token).ConfigureAwait(false);
            if (regions.Count > 0 && regions.All(HasLeader)) return;
            await Task.Delay(100, limit.Token).ConfigureAwait(false);
        }
    }

    /// <summary>True when placement or a local replica knows the region's leader.</summary>
    public static bool HasLeader(RegionView region) =>
        region.Replicas.Any(r => r.Role == nameof(StateRole.Leader)) || (region.Replicas.Count == 0 && region.LeaderStore != 0)
        || region.Replicas.Any(r => r.LeaderStore != 0);

    /// <summary>Every region with its local replicas' Raft state.</summary>
    public async Task<IReadOnlyList<RegionView>> RegionsAsync(CancellationToken cancellationToken = default)
    {
        var summaries = await Client.RegionsAsync(cancellationToken).ConfigureAwait(false);
        var views = new List<RegionView>();
        foreach (var summary in summaries.OrderBy(s => s.Id))
        {
            var replicas = new List<ReplicaView>();
            foreach (var node in Nodes)
            {
                if (await TryStatusAsync(node, summary.Id).ConfigureAwait(false) is { } status)
                {
                    // Raft speaks in peer ids; operators think in stores.
                    var leaderOfReplica = status.PeerNodes.GetValueOrDefault(status.Leader);
                    replicas.Add(new ReplicaView(node.NodeId, status.Role.ToString(), status.Term, leaderOfReplica, status.Committed, status.Applied, status.LastIndex, status.Hibernating));
                }
            }
            var leaderStore = replicas.FirstOrDefault(r => r.Role == nameof(StateRole.Leader))?.Store ?? summary.LeaderStore;
            views.Add(new RegionView(summary.Id, Core.Regions.KeyText.Escape(summary.StartKey), Core.Regions.KeyText.Escape(summary.EndKey), summary.Epoch,
                leaderStore, summary.Stores, summary.ApproximateSizeBytes, replicas));
        }
        return views;
    }

    /// <summary>Stores derived from the regions' placement.</summary>
    public async Task<IReadOnlyList<StoreView>> StoresAsync(CancellationToken cancellationToken = default)
    {
        var regions = await RegionsAsync(cancellationToken).ConfigureAwait(false);
        var storeIds = regions.SelectMany(r => r.Stores).Concat(Nodes.Select(n => n.NodeId)).Distinct().Order();
        return [.. storeIds.Select(id => new StoreView(id, Nodes.Any(n => n.NodeId == id), regions.Count(r => r.Stores.Contains(id)), regions.Count(r => r.LeaderStore == id)))];
    }

    /// <summary>Asks the leader of <paramref name="regionId"/> to hand leadership to the replica on <paramref name="store"/>.</summary>
    public async Task<string?> TransferLeaderAsync(ulong regionId, ulong store, CancellationToken cancellationToken = default)
    {
        var region = (await RegionsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Id == regionId);
        if (region is null) return $"region {regionId} does not exist";
        if (!region.Stores.Contains(store)) return $"store {store} holds no replica of region {regionId} (stores: {string.Join(", ", region.Stores)})";
        var leaderNode = Nodes.FirstOrDefault(n => n.NodeId == region.LeaderStore) ?? Nodes[0];
        var status = await TryStatusAsync(leaderNode, regionId).ConfigureAwait(false);
        var peer = status?.PeerNodes.FirstOrDefault(p => p.Value == store).Key ?? 0;
        if (peer == 0) return $"the replica of region {regionId} on store {store} is not known to store {leaderNode.NodeId}";
        var reply = await leaderNode.Raft.Coordinator.Ask<RaftReply>(new TransferLeadership(regionId, peer), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return reply is ProposeFailed failed ? $"{failed.Failure}: {failed.Detail}" : null;
    }

    /// <summary>The outcome of a split request: the two regions, or an error and whether the region is unknown.</summary>
    public sealed record SplitOutcome(IReadOnlyList<RegionView>? Regions, string? Error, bool UnknownRegion);

    /// <summary>Splits a region at <paramref name="key"/> (null: near the middle of its data).</summary>
    public async Task<SplitOutcome> SplitAsync(ulong regionId, byte[]? key, CancellationToken cancellationToken = default)
    {
        var reply = await Nodes[0].Store.Ask<SplitRegionReply>(new SplitRegion(regionId, key), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk) return new SplitOutcome(null, $"{reply.Status}: {reply.Detail}", reply.Status == SplitRegionStatus.UnknownRegion);
        var views = reply.Regions.Select(d => new RegionView(d.Id, Core.Regions.KeyText.Escape(d.StartKey), Core.Regions.KeyText.Escape(d.EndKey),
            d.ToRegion().Epoch.ToString(), d.LeaderStore, d.PeerStores, d.ApproximateSizeBytes, [])).ToList();
        return new SplitOutcome(views, null, false);
    }

    private static async Task<GroupStatus?> TryStatusAsync(KvNode node, ulong groupId)
    {
        try
        {
            return await node.Raft.StatusAsync(groupId, TimeSpan.FromSeconds(2)).ConfigureAwait(false) as GroupStatus;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static Task WhenUp(ActorSystem system)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task;
    }

    /// <summary>Leaves gracefully (CoordinatedShutdown) and waits for every node to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_systems.Select(s => CoordinatedShutdown.Get(s).Run(CoordinatedShutdown.ClrExitReason.Instance))).ConfigureAwait(false);
        await Task.WhenAll(_systems.Select(s => s.WhenTerminated)).ConfigureAwait(false);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
