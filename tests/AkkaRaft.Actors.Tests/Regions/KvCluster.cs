using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>Three loopback nodes each running a KV node (ids 1..3, all initial), with fast timing for tests.</summary>
internal sealed class KvCluster : IAsyncDisposable
{
    public static readonly Config FastTiming = ConfigurationFactory.ParseString("""
        akka-raft {
          # 50 ms ticks (elections after 0.5-1 s): shorter ones let a CPU stall on a 2-core CI machine depose healthy leaders.
          tick-interval = 50ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
          placement { heartbeat-interval = 500ms, status-interval = 50ms }
          router { request-timeout = 15s, attempt-timeout = 2s, min-backoff = 10ms, max-backoff = 200ms }
        }
        """);

    public static readonly IReadOnlyList<ulong> InitialNodes = [1, 2, 3];

    private readonly List<KvNode> _kv;
    private readonly Func<ulong, TimeProvider?> _clocks;

    private KvCluster(LoopbackCluster nodes, List<KvNode> kv, Func<ulong, TimeProvider?> clocks)
    {
        Nodes = nodes;
        _kv = kv;
        _clocks = clocks;
    }

    public LoopbackCluster Nodes { get; }

    public IReadOnlyList<KvNode> Kv => _kv;

    /// <summary>The node with id <paramref name="nodeId"/>.</summary>
    public KvNode Node(ulong nodeId) => Kv[(int)nodeId - 1];

    /// <summary>
    /// Starts <paramref name="nodeCount"/> nodes; nodes 1..3 are the initial ones, any further node joins as a new store.
    /// <paramref name="clocks"/> gives a node (by id) its own clock; null: the system's.
    /// </summary>
    public static async Task<KvCluster> StartAsync(Config? extra = null, string? rootDir = null, int nodeCount = 3, Func<ulong, TimeProvider?>? clocks = null)
    {
        var config = extra is null ? FastTiming : extra.WithFallback(FastTiming);
        clocks ??= _ => null;
        var nodes = await LoopbackCluster.StartAsync(nodeCount, config, rootDir: rootDir);
        var kv = Enumerable.Range(0, nodeCount).Select(i => AkkaRaftKv.StartNode(nodes[i], (ulong)i + 1, InitialNodes, clocks((ulong)i + 1))).ToList();
        var cluster = new KvCluster(nodes, kv, clocks);
        await cluster.WarmUpAsync();
        return cluster;
    }

    /// <summary>
    /// Waits until both regions took a write: the first journal writes (table creation) on a loaded machine can outlast
    /// a proposal's deadline, which the router rightly reports as OutcomeUnknown. SET is idempotent, so retrying it is safe.
    /// </summary>
    private async Task WarmUpAsync()
    {
        foreach (var key in new[] { "a-warmup", "z-warmup" })
        {
            KvReply reply = new KvReply.Error(KvErrorCode.Unavailable, "not tried");
            for (var attempt = 0; attempt < 20 && reply is not KvReply.OkReply; attempt++)
                reply = await Kv[attempt % Kv.Count].Client.SetAsync(K(key), K("1"));
            if (reply is not KvReply.OkReply) throw new InvalidOperationException($"cluster did not take a write to {key}: {reply}");
        }
    }

    /// <summary>Restarts node <paramref name="nodeId"/> alone on its data (see <see cref="LoopbackCluster.RestartAsync"/>) and starts its KV node again.</summary>
    public async Task RestartNodeAsync(ulong nodeId)
    {
        var index = (int)nodeId - 1;
        await Nodes.RestartAsync(index);
        _kv[index] = AkkaRaftKv.StartNode(Nodes[index], nodeId, InitialNodes, _clocks(nodeId));
    }

    public static byte[] K(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Node id of the leader of group <paramref name="groupId"/> as a majority of replicas report it, or 0.</summary>
    public async Task<ulong> LeaderNodeAsync(ulong groupId, IEnumerable<ulong>? among = null)
    {
        foreach (var node in Kv.Where(n => among is null || among.Contains(n.NodeId)))
        {
            if (await node.Raft.StatusAsync(groupId) is GroupStatus { Role: StateRole.Leader } status && status.PeerNodes.TryGetValue(status.PeerId, out var self))
                return self;
        }
        return 0;
    }

    /// <summary>The regions node <paramref name="nodeId"/>'s store hosts.</summary>
    public async Task<IReadOnlyList<Region>> HostedRegionsAsync(ulong nodeId) =>
        (await Node(nodeId).Store.Ask<HostedRegions>(GetHostedRegions.Instance, TimeSpan.FromSeconds(5))).Regions;

    /// <summary>What group <paramref name="regionId"/>'s leader replica holds for <paramref name="key"/> (bypassing the router).</summary>
    public async Task<byte[]?> ReadInGroupAsync(ulong regionId, byte[] key)
    {
        var leader = await LeaderNodeAsync(regionId);
        if (leader == 0) throw new InvalidOperationException($"region {regionId} has no leader");
        var answer = await Node(leader).Raft.ReadAsync(regionId, sm =>
        {
            var machine = (KvStateMachine)sm;
            // Ask the machine with its own id and epoch, so only the key decides.
            return machine.Region.Contains(key) ? machine.Read(new GetCommand(machine.Region.Id, machine.Region.Epoch, key), 0) : null;
        });
        return answer is ReadSucceeded { Value: KvResult.ValueResult value } ? value.Data : null;
    }

    /// <summary>The clock of region <paramref name="regionId"/>'s state machine on its leader (the highest write stamp applied).</summary>
    public async Task<long> LogicalNowMsAsync(ulong regionId)
    {
        var leader = await LeaderNodeAsync(regionId);
        if (leader == 0) throw new InvalidOperationException($"region {regionId} has no leader");
        var answer = await Node(leader).Raft.ReadAsync(regionId, sm => ((KvStateMachine)sm).LogicalNowMs);
        return answer is ReadSucceeded { Value: long now } ? now : throw new InvalidOperationException($"region {regionId}: {answer}");
    }

    /// <summary>Sends a raw request to node <paramref name="nodeId"/>'s store.</summary>
    public Task<StoreReply> SendRawAsync(ulong nodeId, StoreRequest request) =>
        Node(nodeId).Store.Ask<StoreReply>(request, TimeSpan.FromSeconds(10));

    public static StoreRequest Raw(ulong targetStore, ulong regionId, KvCommand command) =>
        new(targetStore, regionId, KvCommandCodec.Encode(command), command.Epoch.ConfVersion, command.Epoch.Version);

    public ValueTask DisposeAsync() => Nodes.DisposeAsync();

    /// <summary>Asserts a reply is OK.</summary>
    public static void AssertOk(KvReply reply) => Xunit.Assert.True(reply is KvReply.OkReply, $"expected OK, got {reply}");

    /// <summary>The value of a reply that must be a value.</summary>
    public static string? ValueOf(KvReply reply) => reply switch
    {
        KvReply.Value value => value.Data is null ? null : Encoding.UTF8.GetString(value.Data),
        _ => throw new Xunit.Sdk.XunitException($"expected a value, got {reply}"),
    };
}
