using Akka.Actor;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Host.Hosting;

/// <summary>The stopping side of the nodes: readiness, handing leaderships to other stores, leaving the cluster, closing the journal.</summary>
internal sealed partial class ClusterRuntime
{
    /// <summary>How often the leader hand-over looks again at which local replicas still lead.</summary>
    private static readonly TimeSpan HandOverPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a hand-over may take before it is asked again (Raft abandons a transfer after an election timeout).</summary>
    private static readonly TimeSpan HandOverRetry = TimeSpan.FromSeconds(1);

    private readonly object pendingGate = new();
    private string pendingLeaderships = "";

    /// <summary>What the last look at local leaders found still leading here (for the shutdown's report).</summary>
    public string PendingLeaderships
    {
        get { lock (pendingGate) return pendingLeaderships; }
    }

    /// <summary>Null when this process's nodes are up and can route every key; else why not (for /readyz).</summary>
    public async Task<string?> NotReadyReasonAsync(CancellationToken cancellationToken = default)
    {
        foreach (var node in Nodes)
        {
            try
            {
                await node.Raft.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                return $"store {node.NodeId} does not answer";
            }
        }
        var regions = (await Client.RegionsAsync(cancellationToken).ConfigureAwait(false)).OrderBy(r => r.StartKey, ByteOrder.Instance).ToList();
        if (regions.Count == 0) return "no region layout yet";
        var expected = Array.Empty<byte>();
        foreach (var region in regions)
        {
            if (!region.StartKey.AsSpan().SequenceEqual(expected)) return "the routing table does not cover every key yet";
            expected = region.EndKey;
        }
        return expected.Length == 0 ? null : "the routing table does not cover every key yet";
    }

    /// <summary>
    /// Hands the leadership of every group a local replica leads (regions and placement) to the most caught-up voter on a
    /// store outside this process, and waits until no local replica leads one any more. Groups with no such voter stay.
    /// Returns a summary; <see cref="PendingLeaderships"/> says what still led here when the token fired.
    /// </summary>
    public async Task<string> HandOverLeadershipsAsync(CancellationToken cancellationToken)
    {
        var local = Nodes.Select(n => n.NodeId).ToHashSet();
        var asked = new Dictionary<ulong, DateTimeOffset>();
        var moved = new HashSet<ulong>();
        var kept = new SortedSet<ulong>();
        while (true)
        {
            var leading = await LocalLeadersAsync(cancellationToken).ConfigureAwait(false);
            var movable = new List<(KvNode Node, GroupStatus Status, ulong Target)>();
            foreach (var (node, status) in leading)
            {
                var target = status.Membership.Voters
                    .Where(p => p != status.PeerId && status.PeerNodes.TryGetValue(p, out var store) && !local.Contains(store))
                    .OrderByDescending(p => status.Matched.GetValueOrDefault(p)).ThenBy(p => p).FirstOrDefault();
                if (target == 0) kept.Add(status.GroupId);
                else movable.Add((node, status, target));
            }
            lock (pendingGate)
            {
                pendingLeaderships = movable.Count == 0 ? "" : $"still leading here: {string.Join(", ", movable.Select(m => $"[group {m.Status.GroupId}] on store {m.Node.NodeId}"))}";
            }
            if (movable.Count == 0)
            {
                return kept.Count == 0
                    ? $"{moved.Count} handed over"
                    : $"{moved.Count} handed over, {kept.Count} kept (no voter on another store: groups {string.Join(", ", kept)})";
            }
            var now = DateTimeOffset.UtcNow;
            var requests = new List<Task>();
            foreach (var (node, status, target) in movable)
            {
                moved.Add(status.GroupId);
                if (asked.TryGetValue(status.GroupId, out var at) && now - at < HandOverRetry) continue;
                asked[status.GroupId] = now;
                requests.Add(node.Raft.Coordinator.Ask<object>(new TransferLeadership(status.GroupId, target), TimeSpan.FromSeconds(2), cancellationToken));
            }
            try
            {
                await Task.WhenAll(requests).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                // Asked again after HandOverRetry while it still leads.
            }
            await Task.Delay(HandOverPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<(KvNode Node, GroupStatus Status)>> LocalLeadersAsync(CancellationToken cancellationToken)
    {
        var leading = new List<(KvNode, GroupStatus)>();
        foreach (var node in Nodes)
        {
            var hosted = await node.Raft.Coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var statuses = await Task.WhenAll(hosted.GroupIds.Select(id => TryStatusAsync(node, id))).ConfigureAwait(false);
            leading.AddRange(statuses.Where(s => s is { Role: StateRole.Leader }).Select(s => (node, s!)));
        }
        return leading;
    }

    /// <summary>
    /// Leaves the cluster through Akka's CoordinatedShutdown (leave, exiting, removed, then the actor system terminates and
    /// its journal stops) on every local node at once, and waits until all terminated or the token fires.
    /// </summary>
    public async Task<string> LeaveAsync(CancellationToken cancellationToken)
    {
        var runs = _systems.Select(s => CoordinatedShutdown.Get(s).Run(CoordinatedShutdown.ClrExitReason.Instance)).ToList();
        await Task.WhenAll(_systems.Select(s => s.WhenTerminated)).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(runs).ConfigureAwait(false);
        return Nodes.Count == 1 ? "node left and stopped" : $"{Nodes.Count} nodes left and stopped";
    }

    /// <summary>The local nodes whose actor system still runs (for the shutdown's report).</summary>
    public string PendingNodes => string.Join(", ", _systems.Select((s, i) => (s, i)).Where(x => !x.s.WhenTerminated.IsCompleted)
        .Select(x => $"node {Nodes[x.i].NodeId} has not terminated"));

    /// <summary>Closes the journals' SQLite connections (the write-ahead log is checkpointed as the last one closes).</summary>
    public static void CloseJournals() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

    /// <summary>Orders keys bytewise ("" first).</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static ByteOrder Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
