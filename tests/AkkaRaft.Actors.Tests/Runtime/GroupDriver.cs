using Akka.Actor;
using System.Collections.Concurrent;
using System.Text;
using Akka.TestKit;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>
/// Drives Raft groups on a <see cref="LoopbackCluster"/> cluster from a test: node i runs Raft node i + 1 and hosts peer
/// i + 1 of every group; each replica's <see cref="RecordingStateMachine"/> is kept so tests can compare contents.
/// </summary>
internal sealed class GroupDriver
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);

    private readonly TestKitBase _kit;
    private readonly ConcurrentDictionary<(ulong Node, ulong Group), RecordingStateMachine> _machines = new();

    private GroupDriver(TestKitBase kit, IReadOnlyList<RaftNodeHandle> handles)
    {
        _kit = kit;
        Handles = handles;
    }

    public IReadOnlyList<RaftNodeHandle> Handles { get; }

    public Dictionary<ulong, ulong> Peers => Handles.ToDictionary(h => h.NodeId, h => h.NodeId);

    /// <summary>Starts the Raft node of every cluster node and creates <paramref name="groupIds"/> on all of them.</summary>
    public static async Task<GroupDriver> StartAsync(TestKitBase kit, LoopbackCluster nodes, params ulong[] groupIds)
    {
        var handles = Enumerable.Range(0, nodes.Count).Select(i => AkkaRaftExtension.Get(nodes[i]).StartNode((ulong)i + 1)).ToList();
        var driver = new GroupDriver(kit, handles);
        foreach (var group in groupIds) await driver.CreateGroupAsync(group);
        return driver;
    }

    public RaftNodeHandle Node(ulong nodeId) => Handles[(int)nodeId - 1];

    /// <summary>
    /// Creates (or recovers) the group's replica on every node; a recovered replica gets a fresh state machine that replays.
    /// The replica on <paramref name="campaignOn"/> (0: none) is created last and campaigns at once, instead of waiting for
    /// its election timeout.
    /// </summary>
    public async Task CreateGroupAsync(ulong groupId, ulong campaignOn = 0)
    {
        var peers = Peers;
        Task<GroupCreated> Create(RaftNodeHandle h) => h.Coordinator.Ask<GroupCreated>(
            new CreateGroup(groupId, h.NodeId, peers, () => _machines[(h.NodeId, groupId)] = new RecordingStateMachine()) { CampaignOnStart = h.NodeId == campaignOn },
            TimeSpan.FromSeconds(30));
        await Task.WhenAll(Handles.Where(h => h.NodeId != campaignOn).Select(Create));
        if (campaignOn != 0) await Create(Node(campaignOn));
    }

    /// <summary>Commands applied so far by the newest state machine of the replica on <paramref name="nodeId"/>.</summary>
    public List<string> Applied(ulong nodeId, ulong groupId) =>
        _machines.TryGetValue((nodeId, groupId), out var machine) ? machine.CommandsSoFar() : [];

    public async Task<GroupStatus> StatusAsync(ulong nodeId, ulong groupId) =>
        Assert.IsType<GroupStatus>(await Node(nodeId).StatusAsync(groupId, RequestTimeout));

    /// <summary>Waits until one of <paramref name="among"/> (default: all) leads the group in a term above <paramref name="aboveTerm"/>.</summary>
    public async Task<GroupStatus> LeaderAsync(ulong groupId, IReadOnlyCollection<ulong>? among = null, ulong aboveTerm = 0)
    {
        GroupStatus? leader = null;
        await AwaitAsync(async () =>
        {
            foreach (var handle in Handles.Where(h => among is null || among.Contains(h.NodeId)))
            {
                if (await handle.StatusAsync(groupId, RequestTimeout) is GroupStatus { Role: StateRole.Leader } status && status.Term > aboveTerm)
                {
                    leader = status;
                    return;
                }
            }
            Assert.Fail($"group {groupId} has no leader above term {aboveTerm} yet");
        });
        return leader!;
    }

    /// <summary>
    /// Proposes through the current leader among <paramref name="among"/> until a proposal succeeds. A retry after an
    /// unknown outcome (timeout) may apply the command twice, so callers compare contents with duplicates removed.
    /// </summary>
    public async Task<ProposeSucceeded> ProposeUntilAcceptedAsync(ulong groupId, string command, IReadOnlyCollection<ulong>? among = null)
    {
        ProposeSucceeded? success = null;
        await AwaitAsync(async () =>
        {
            var leader = await LeaderAsync(groupId, among);
            var answer = await Node(leader.PeerId).ProposeAsync(groupId, Encoding.UTF8.GetBytes(command), RequestTimeout);
            success = Assert.IsType<ProposeSucceeded>(answer);
        });
        return success!;
    }

    /// <summary>Waits until the replica on every node in <paramref name="nodes"/> (default: all) has applied exactly <paramref name="expected"/>, in order.</summary>
    public Task AwaitAppliedEverywhereAsync(ulong groupId, IReadOnlyList<string> expected, IReadOnlyCollection<ulong>? nodes = null) =>
        AwaitAsync(() =>
        {
            foreach (var handle in Handles.Where(h => nodes is null || nodes.Contains(h.NodeId)))
            {
                Assert.Equal(expected, Applied(handle.NodeId, groupId).Distinct());
            }
            return Task.CompletedTask;
        });

    public Task AwaitAsync(Func<Task> assertion) => _kit.AwaitAssertAsync(assertion, Patience, TimeSpan.FromMilliseconds(50));
}
