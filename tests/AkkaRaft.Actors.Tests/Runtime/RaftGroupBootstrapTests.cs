using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class RaftGroupBootstrapTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const ulong GroupId = 9;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly Config FastTicks = ConfigurationFactory.ParseString("""
        akka-raft { tick-interval = 50ms, election-ticks = 10, heartbeat-ticks = 2, hibernate-after-ticks = 0 }
        """);

    private static readonly Region Right = new(GroupId, K("c"), [], new RegionEpoch(1, 2),
        [new RegionPeer(1, 1, PeerRole.Voter), new RegionPeer(2, 2, PeerRole.Voter), new RegionPeer(3, 3, PeerRole.Voter)]);

    private static byte[] K(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>What a split hands a replica: the right half of a parent holding a..e, at the split's initial index.</summary>
    private static KvStateMachine SplitOffHalf()
    {
        var parent = new KvStateMachine(new Region(1, [], [], new RegionEpoch(1, 1), Right.Peers));
        var pairs = new[] { "a", "b", "c", "d", "e" }.Select(k => new KeyValue(K(k), K("v-" + k))).ToArray();
        parent.Apply([new CommittedCommand(1, 1, KvCommandCodec.Encode(new MSetCommand(1, new RegionEpoch(1, 1), 0, [.. pairs])))]);
        return parent.SplitOff(K("c"), Right);
    }

    private static CreateGroup Create(ulong node, Func<IRaftStateMachine> stateMachine) =>
        new(GroupId, node, new Dictionary<ulong, ulong> { [1] = 1, [2] = 2, [3] = 3 }, stateMachine)
        {
            Bootstrap = new GroupBootstrap(KvStateMachine.SplitInitialIndex, KvStateMachine.SplitInitialTerm),
        };

    [Fact]
    public async Task A_replica_created_without_the_split_data_waits_for_the_leaders_snapshot_instead_of_voting_with_an_empty_state()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, FastTicks);
        var handles = Enumerable.Range(0, 3).Select(i => AkkaRaftExtension.Get(nodes[i]).StartNode((ulong)i + 1)).ToList();

        // Node 3 learns of the region before its own split applied: it has no data, so it must not count as a voter yet.
        await handles[2].Coordinator.Ask<GroupCreated>(Create(3, () => new KvStateMachine(Right)), Patience);
        var uninitialized = Assert.IsType<GroupStatus>(await handles[2].StatusAsync(GroupId));
        Assert.Empty(uninitialized.Membership.Voters);
        foreach (var handle in handles.Take(2))
            await handle.Coordinator.Ask<GroupCreated>(Create(handle.NodeId, () => SplitOffHalf()), Patience);

        var leader = await LeaderAsync(handles);
        Assert.NotEqual(3UL, leader);
        await AwaitAssertAsync(async () =>
        {
            var status = Assert.IsType<GroupStatus>(await handles[2].StatusAsync(GroupId));
            Assert.Equal([1UL, 2UL, 3UL], status.Membership.Voters.Order());
            Assert.True(status.Applied >= KvStateMachine.SplitInitialIndex, $"node 3 applied {status.Applied}");
        }, Patience);
        var set = new SetCommand(GroupId, Right.Epoch, 0, K("f"), K("v-f"));
        Assert.IsType<ProposeSucceeded>(await handles[(int)leader - 1].ProposeAsync(GroupId, KvCommandCodec.Encode(set)));

        await handles[(int)leader - 1].Coordinator.Ask<object>(new TransferLeadership(GroupId, 3), Patience);
        Assert.Equal(3UL, await LeaderAsync(handles, only: 3));
        var read = await handles[2].ReadAsync(GroupId, sm => ((KvStateMachine)sm).Read(new GetCommand(GroupId, Right.Epoch, K("d")), 0));
        Assert.Equal(new KvResult.ValueResult(K("v-d")), Assert.IsType<ReadSucceeded>(read).Value);
        // Every replica's log begins after the split's initial index: nobody holds entries 1..5.
        foreach (var handle in handles)
            Assert.True(Assert.IsType<GroupStatus>(await handle.StatusAsync(GroupId)).FirstIndex > KvStateMachine.SplitInitialIndex);
    }

    private async Task<ulong> LeaderAsync(IReadOnlyList<RaftNodeHandle> handles, ulong? only = null)
    {
        ulong leader = 0;
        await AwaitAssertAsync(async () =>
        {
            foreach (var handle in handles.Where(h => only is null || h.NodeId == only))
            {
                if (await handle.StatusAsync(GroupId) is GroupStatus { Role: StateRole.Leader } status)
                {
                    leader = status.PeerId;
                    return;
                }
            }
            Assert.Fail($"group {GroupId} has no leader{(only is null ? "" : $" on node {only}")} yet");
        }, Patience);
        return leader;
    }
}
