using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Host.Hosting;

/// <summary>One region as the admin surface shows it: placement's view plus the Raft state of the local replicas.</summary>
internal sealed record RegionView(
    ulong Id, string StartKey, string EndKey, string Epoch, ulong LeaderStore, IReadOnlyList<ulong> Stores, long ApproximateSizeBytes,
    IReadOnlyList<ReplicaView> Replicas);

/// <summary>One page of regions in id order: <see cref="NextAfter"/> is the cursor of the next page (null on the last one).</summary>
internal sealed record RegionPage(IReadOnlyList<RegionView> Regions, int Total, ulong? NextAfter);

/// <summary>The Raft state of one local replica.</summary>
internal sealed record ReplicaView(ulong Store, string Role, ulong Term, ulong LeaderStore, ulong Committed, ulong Applied, ulong LastIndex, bool Hibernating);

/// <summary>One store (node), what it holds, and the scheduler's view of it (state up/removing/removed, "unknown" without a scheduler; down).</summary>
internal sealed record StoreView(ulong Id, bool Local, int Regions, int Leaders, string State, bool Down);

/// <summary>Running and recent operators and the stores as the active scheduler sees them; <see cref="Error"/> when no scheduler answered.</summary>
internal sealed record OperatorsView(
    ulong SchedulerNode, IReadOnlyList<OperatorView> Running, IReadOnlyList<OperatorView> Recent, IReadOnlyList<Actors.Regions.StoreView> Stores, string? Error);

/// <summary>The AkkaRaft nodes this process runs (three for the embedded default, one in node mode).</summary>
internal sealed partial class ClusterRuntime : IAsyncDisposable
{
    /// <summary>How long an operator request waits for a scheduler to become active (placement elected, layout read).</summary>
    private static readonly TimeSpan SchedulerPatience = TimeSpan.FromSeconds(10);

    /// <summary>Regions whose replicas are asked for their state at once by the admin views.</summary>
    private const int StatusAsksInFlight = 64;

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

    /// <summary>Nodes that host placement and the first regions in an embedded cluster; any further node joins as an empty store.</summary>
    public const int EmbeddedInitialNodes = 3;

    /// <summary>
    /// Starts <paramref name="nodeCount"/> nodes in this process on loopback, data under <paramref name="dataDir"/>/nodeN.
    /// Nodes 1..3 (fewer when fewer are asked for) are the initial ones; nodes 4 and up join as new stores.
    /// </summary>
    public static async Task<ClusterRuntime> StartEmbeddedAsync(
        int nodeCount, string dataDir, Config? user, TimeSpan timeout, bool verbose = false, CancellationToken cancellationToken = default)
    {
        var ids = Enumerable.Range(1, nodeCount).Select(i => (ulong)i).ToList();
        var initial = ids.Take(EmbeddedInitialNodes).ToList();
        var systems = new List<ActorSystem>();
        try
        {
            foreach (var id in ids)
            {
                var nodeDir = Path.Combine(dataDir, $"node{id}");
                NodeConfig.PrepareStorage(id, nodeDir);
                systems.Add(Actors.Transport.ClusterTls.CreateSystem(NodeConfig.SystemName, NodeConfig.Build(id, nodeDir, "127.0.0.1", 0, [], user, new HostLogging(Embedded: true, verbose))));
            }
            // Ports are chosen by the OS, so the first node's address is only known now: everyone joins it.
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            var ups = systems.Select(WhenUp).ToList();
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await Task.WhenAll(ups).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            var nodes = systems.Select((system, i) => AkkaRaftKv.StartNode(system, ids[i], initial)).ToList();
            return new ClusterRuntime(systems, nodes);
        }
        catch
        {
            await Task.WhenAll(systems.Select(s => s.Terminate())).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one node of a multi-process cluster from <paramref name="config"/> (akka-raft.node-id, akka-raft.initial-node-ids, seed nodes).</summary>
    public static Task<ClusterRuntime> StartNodeAsync(Config config, string? dataDirOverride, bool verbose = false)
    {
        var nodeId = (ulong)config.GetLong("akka-raft.node-id", 0);
        if (nodeId == 0) throw new ArgumentException("akka-raft.node-id must be set to a positive number in node mode");
        var initial = config.GetLongList("akka-raft.initial-node-ids").Select(i => (ulong)i).ToList();
        if (initial.Count == 0) throw new ArgumentException("akka-raft.initial-node-ids must list the nodes that host placement and the first regions");
        var dataDir = DataDirectory(config, dataDirOverride);
        var hostname = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1");
        var port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        NodeConfig.PrepareStorage(nodeId, dataDir);
        var system = Actors.Transport.ClusterTls.CreateSystem(NodeConfig.SystemName, NodeConfig.Build(nodeId, dataDir, hostname, port, [.. seeds], config, new HostLogging(Embedded: false, verbose)));
        var node = AkkaRaftKv.StartNode(system, nodeId, initial);
        return Task.FromResult(new ClusterRuntime([system], [node]));
    }

    /// <summary>
    /// Node mode's data directory: <paramref name="dataDirOverride"/> (--data-dir), else <c>akka-raft.data-dir</c>, else "data";
    /// a relative path is taken from the directory the process was started in.
    /// </summary>
    public static string DataDirectory(Config config, string? dataDirOverride) =>
        Path.GetFullPath(dataDirOverride ?? config.GetString("akka-raft.data-dir", "data"));

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
    public async Task<IReadOnlyList<RegionView>> RegionsAsync(CancellationToken cancellationToken = default) =>
        (await RegionPageAsync(0, int.MaxValue, cancellationToken).ConfigureAwait(false)).Regions;

    /// <summary>
    /// At most <paramref name="limit"/> regions with an id above <paramref name="afterId"/>, in id order, with their local
    /// replicas' Raft state; <see cref="RegionPage.Total"/> counts them all. Only the page's replicas are asked for their state.
    /// </summary>
    public async Task<RegionPage> RegionPageAsync(ulong afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var summaries = (await Client.RegionsAsync(cancellationToken).ConfigureAwait(false)).OrderBy(s => s.Id).ToList();
        var page = summaries.Where(s => s.Id > afterId).Take(limit).ToList();
        var views = new List<RegionView>(page.Count);
        // A bounded number of status asks in flight, however many regions the page holds.
        foreach (var chunk in page.Chunk(StatusAsksInFlight))
            views.AddRange(await Task.WhenAll(chunk.Select(ViewOfAsync)).ConfigureAwait(false));
        var more = page.Count > 0 && summaries[^1].Id > page[^1].Id;
        return new RegionPage(views, summaries.Count, more ? page[^1].Id : null);
    }

    private async Task<RegionView> ViewOfAsync(RegionSummary summary)
    {
        var statuses = await Task.WhenAll(Nodes.Select(async node => (node.NodeId, Status: await TryStatusAsync(node, summary.Id).ConfigureAwait(false)))).ConfigureAwait(false);
        // Raft speaks in peer ids; operators think in stores.
        var replicas = statuses.Where(s => s.Status is not null).Select(s => new ReplicaView(s.NodeId, s.Status!.Role.ToString(), s.Status.Term,
            s.Status.PeerNodes.GetValueOrDefault(s.Status.Leader), s.Status.Committed, s.Status.Applied, s.Status.LastIndex, s.Status.Hibernating)).ToList();
        var leaderStore = replicas.FirstOrDefault(r => r.Role == nameof(StateRole.Leader))?.Store ?? summary.LeaderStore;
        return new RegionView(summary.Id, Core.Regions.KeyText.Escape(summary.StartKey), Core.Regions.KeyText.Escape(summary.EndKey), summary.Epoch,
            leaderStore, summary.Stores, summary.ApproximateSizeBytes, replicas);
    }

    /// <summary>Region <paramref name="regionId"/> with its local replicas' Raft state, or null when placement does not know it.</summary>
    public async Task<RegionView?> RegionAsync(ulong regionId, CancellationToken cancellationToken = default)
    {
        var summary = (await Client.RegionsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Id == regionId);
        return summary is null ? null : await ViewOfAsync(summary).ConfigureAwait(false);
    }

    /// <summary>Stores derived from the regions' placement, with state and liveness from the scheduler when one answers at once.</summary>
    public async Task<IReadOnlyList<StoreView>> StoresAsync(CancellationToken cancellationToken = default)
    {
        var regions = await RegionsAsync(cancellationToken).ConfigureAwait(false);
        var scheduler = await OperatorsAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        var known = scheduler.Stores.ToDictionary(s => s.StoreId);
        var storeIds = regions.SelectMany(r => r.Stores).Concat(Nodes.Select(n => n.NodeId)).Concat(known.Keys).Distinct().Order();
        return [.. storeIds.Select(id => new StoreView(id, Nodes.Any(n => n.NodeId == id), regions.Count(r => r.Stores.Contains(id)), regions.Count(r => r.LeaderStore == id),
            known.TryGetValue(id, out var seen) ? seen.State.Text() : "unknown", seen?.Down ?? false))];
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

    /// <summary>The outcome of a move request: the operator id, or an error and whether the region is unknown or no scheduler answered.</summary>
    public sealed record MoveOutcome(long OperatorId, string Detail, string? Error, bool UnknownRegion, bool Unavailable);

    /// <summary>Starts an operator moving <paramref name="regionId"/>'s replica from store <paramref name="from"/> to store <paramref name="to"/>.</summary>
    public async Task<MoveOutcome> MoveAsync(ulong regionId, ulong from, ulong to, CancellationToken cancellationToken = default)
    {
        var reply = await AskSchedulerAsync<OperatorReply>(new MoveRegion(regionId, from, to), r => r.NotReady, SchedulerPatience, cancellationToken).ConfigureAwait(false);
        if (reply is null) return new MoveOutcome(0, "", "the scheduler did not answer in time; retry in a moment", false, true);
        if (reply.Accepted) return new MoveOutcome(reply.OperatorId, reply.Detail, null, false, false);
        return new MoveOutcome(0, reply.Detail, reply.Detail, reply.Status == OperatorReplyStatus.UnknownRegion, IsUnavailable(reply));
    }

    /// <summary>The outcome of a store removal: accepted, or an error and whether the store is unknown or no scheduler answered.</summary>
    public sealed record RemoveStoreOutcome(string Detail, string? Error, bool UnknownStore, bool Unavailable);

    /// <summary>Decommissions store <paramref name="storeId"/>: its replicas move away, then it is marked removed.</summary>
    public async Task<RemoveStoreOutcome> RemoveStoreAsync(ulong storeId, CancellationToken cancellationToken = default)
    {
        var reply = await AskSchedulerAsync<OperatorReply>(new RemoveStore(storeId), r => r.NotReady, SchedulerPatience, cancellationToken).ConfigureAwait(false);
        if (reply is null) return new RemoveStoreOutcome("", "the scheduler did not answer in time; retry in a moment", false, true);
        return reply.Accepted
            ? new RemoveStoreOutcome(reply.Detail, null, false, false)
            : new RemoveStoreOutcome(reply.Detail, reply.Detail, reply.Status == OperatorReplyStatus.UnknownStore, IsUnavailable(reply));
    }

    /// <summary>
    /// Running and recent operators and the stores, retrying for <paramref name="patience"/> while no scheduler is active yet.
    /// Snapshot progress the scheduler does not track is filled in from the local nodes' outgoing snapshot transfers.
    /// </summary>
    public async Task<OperatorsView> OperatorsAsync(TimeSpan patience, CancellationToken cancellationToken = default)
    {
        var reply = await AskSchedulerAsync<OperatorsReply>(new GetOperators(), r => r.SchedulerNode == 0, patience, cancellationToken).ConfigureAwait(false);
        if (reply is null) return new OperatorsView(0, [], [], [], "the scheduler did not answer in time");
        if (reply.SchedulerNode == 0) return new OperatorsView(0, [], [], [], reply.Detail);
        var transfers = await SnapshotTransfersAsync().ConfigureAwait(false);
        // Operators run on to the end on the scheduler that started them, also after placement's leadership moved:
        // the local nodes' own schedulers are asked too (ids are unique across schedulers).
        var running = reply.Running.ToDictionary(o => o.Id);
        var recent = reply.Recent.ToDictionary(o => o.Id);
        foreach (var node in Nodes.Where(n => n.NodeId != reply.SchedulerNode))
        {
            try
            {
                var own = await node.Scheduler.Ask<OperatorsReply>(new GetOperators(Local: true), TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                foreach (var view in own.Running) running.TryAdd(view.Id, view);
                foreach (var view in own.Recent) recent.TryAdd(view.Id, view);
            }
            catch (AskTimeoutException)
            {
                // That node's own operators are left out of this answer.
            }
        }
        foreach (var id in recent.Keys) running.Remove(id);
        return new OperatorsView(reply.SchedulerNode, [.. running.Values.OrderBy(o => o.Id).Select(o => WithSnapshot(o, transfers))],
            [.. recent.Values.OrderByDescending(o => o.FinishedAtMs).Select(o => WithSnapshot(o, transfers))], reply.Stores, null);
    }

    /// <summary>503 material: no scheduler could decide yet, or placement did not record the request in time.</summary>
    private static bool IsUnavailable(OperatorReply reply) => reply.NotReady || reply.Status == OperatorReplyStatus.Unavailable;

    /// <summary>Asks the nodes' schedulers in turn until one answers something other than "not active / no layout yet" or <paramref name="patience"/> runs out.</summary>
    private async Task<TReply?> AskSchedulerAsync<TReply>(object request, Func<TReply, bool> notReady, TimeSpan patience, CancellationToken cancellationToken)
        where TReply : class
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        TReply? last = null;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                last = await Nodes[attempt % Nodes.Count].Scheduler.Ask<TReply>(request, patience == TimeSpan.Zero ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                if (!notReady(last)) return last;
            }
            catch (AskTimeoutException)
            {
                // Another node may answer; the deadline bounds the whole request.
            }
            if (DateTimeOffset.UtcNow >= deadline) return last;
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<SnapshotTransferProgress>> SnapshotTransfersAsync()
    {
        var all = new List<SnapshotTransferProgress>();
        foreach (var node in Nodes)
        {
            try
            {
                var transfers = await node.Raft.Coordinator.Ask<SnapshotTransfers>(GetSnapshotTransfers.Instance, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                all.AddRange(transfers.Active);
                all.AddRange(transfers.Finished);
            }
            catch (AskTimeoutException)
            {
                // Progress is a nicety: an operator without it still shows its step.
            }
        }
        return all;
    }

    /// <summary>The operator with the snapshot its target received (acknowledged bytes of the newest local transfer to it during the operator), unless the scheduler reported one.</summary>
    private static OperatorView WithSnapshot(OperatorView view, IReadOnlyList<SnapshotTransferProgress> transfers)
    {
        if (view.SnapshotBytesTotal > 0) return view;
        var transfer = transfers
            .Where(t => t.GroupId == view.RegionId && t.ToNode == view.ToStore && t.StartedAt.ToUnixTimeMilliseconds() >= view.StartedAtMs
                && (view.FinishedAtMs == 0 || t.StartedAt.ToUnixTimeMilliseconds() <= view.FinishedAtMs))
            .MaxBy(t => t.StartedAt);
        return transfer is null ? view : view with { SnapshotBytesSent = Math.Min(transfer.BytesAcknowledged, transfer.TotalBytes), SnapshotBytesTotal = transfer.TotalBytes };
    }

    private static async Task<GroupStatus?> TryStatusAsync(KvNode node, ulong groupId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var status = await node.Raft.StatusAsync(groupId, deadline.Token).ConfigureAwait(false);
            return status.Succeeded ? status.Value : null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
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

    /// <summary>Leaves gracefully (CoordinatedShutdown) and waits for every node to stop, then closes the journals' files.</summary>
    public async ValueTask DisposeAsync()
    {
        await LeaveAsync(CancellationToken.None).ConfigureAwait(false);
        CloseJournals();
    }
}
