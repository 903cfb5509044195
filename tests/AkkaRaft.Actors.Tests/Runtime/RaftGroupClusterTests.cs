using System.Text;
using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class RaftGroupClusterTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly Config FastTicks = ConfigurationFactory.ParseString("""
        akka-raft {
          tick-interval = 50ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
        }
        """);

    private static readonly Dictionary<ulong, ulong> ThreePeers = new() { [1] = 1, [2] = 2, [3] = 3 };

    [Fact]
    public async Task Three_nodes_elect_a_leader_and_every_replica_applies_acknowledged_proposals()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, FastTicks);
        var handles = await StartGroup(nodes, groupId: 1);

        var acknowledged = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var command = $"cmd-{i}";
            await ProposeUntilAccepted(handles, 1, command);
            acknowledged.Add(command);
        }

        // A linearizable read on the leader sees every acknowledged command.
        var leader = await LeaderOf(handles, 1);
        var read = await handles[(int)leader - 1].ReadAsync(1, sm => ((RecordingStateMachine)sm).Commands.ToList());
        var commands = Assert.IsType<List<string>>(Assert.IsType<ReadSucceeded>(read).Value);
        Assert.Equal(acknowledged, commands);

        // Followers catch up on the same sequence.
        await AwaitAssertAsync(async () =>
        {
            foreach (var handle in handles)
            {
                var status = Assert.IsType<GroupStatus>(await handle.StatusAsync(1));
                Assert.True(status.Applied >= (ulong)acknowledged.Count, $"node {handle.NodeId} applied {status.Applied}");
            }
        });
    }

    [Fact]
    public async Task Proposal_to_a_follower_is_refused_with_a_leader_hint_and_unknown_group_is_a_typed_error()
    {
        await using var nodes = await LoopbackCluster.StartAsync(3, FastTicks);
        var handles = await StartGroup(nodes, groupId: 7);
        var leader = await LeaderOf(handles, 7);
        var follower = handles.First(h => h.NodeId != leader);
        // A freshly elected leader is known to a follower only once its first append arrived.
        await AwaitAssertAsync(async () => Assert.Equal(leader, Assert.IsType<GroupStatus>(await follower.StatusAsync(7)).Leader));

        var refused = Assert.IsType<ProposeFailed>(await follower.ProposeAsync(7, "x"u8.ToArray()));
        Assert.Equal(RaftFailure.NotLeader, refused.Failure);
        Assert.Equal(leader, refused.LeaderHint);

        var unknown = Assert.IsType<ProposeFailed>(await follower.ProposeAsync(99, "x"u8.ToArray()));
        Assert.Equal(RaftFailure.GroupNotFound, unknown.Failure);
    }

    [Fact]
    public async Task An_idle_group_hibernates_on_every_replica_and_a_proposal_wakes_it()
    {
        var sleepy = ConfigurationFactory.ParseString("akka-raft.hibernate-after-ticks = 15").WithFallback(FastTicks);
        await using var nodes = await LoopbackCluster.StartAsync(3, sleepy);
        var handles = await StartGroup(nodes, groupId: 3);
        await ProposeUntilAccepted(handles, 3, "before-sleep");

        await AwaitAssertAsync(async () =>
        {
            foreach (var handle in handles)
            {
                var status = Assert.IsType<GroupStatus>(await handle.StatusAsync(3));
                Assert.True(status.Hibernating, $"replica on node {handle.NodeId} is awake ({status.Role}, term {status.Term})");
            }
        });
        var termWhileAsleep = Assert.IsType<GroupStatus>(await handles[0].StatusAsync(3)).Term;

        var woken = await ProposeUntilAccepted(handles, 3, "after-sleep");
        Assert.True(woken.Index > 0);
        // Sleeping did not cost an election.
        var leader = await LeaderOf(handles, 3);
        Assert.Equal(termWhileAsleep, Assert.IsType<GroupStatus>(await handles[(int)leader - 1].StatusAsync(3)).Term);
    }

    internal static async Task<List<RaftNodeHandle>> StartGroup(LoopbackCluster nodes, ulong groupId)
    {
        var handles = new List<RaftNodeHandle>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var handle = AkkaRaftExtension.Get(nodes[i]).StartNode((ulong)i + 1);
            handles.Add(handle);
        }
        foreach (var handle in handles)
        {
            await handle.CreateGroupAsync(groupId, handle.NodeId, ThreePeers, () => new RecordingStateMachine());
        }
        return handles;
    }

    internal async Task<ulong> LeaderOf(IReadOnlyList<RaftNodeHandle> handles, ulong groupId)
    {
        ulong leader = 0;
        await AwaitAssertAsync(async () =>
        {
            foreach (var handle in handles)
            {
                if (await handle.StatusAsync(groupId) is GroupStatus { Role: StateRole.Leader } status)
                {
                    leader = status.PeerId;
                    return;
                }
            }
            Assert.Fail($"group {groupId} has no leader yet");
        });
        return leader;
    }

    internal async Task<ProposeSucceeded> ProposeUntilAccepted(IReadOnlyList<RaftNodeHandle> handles, ulong groupId, string command)
    {
        ProposeSucceeded? success = null;
        await AwaitAssertAsync(async () =>
        {
            var leader = await LeaderOf(handles, groupId);
            var answer = await handles[(int)leader - 1].ProposeAsync(groupId, Encoding.UTF8.GetBytes(command));
            success = Assert.IsType<ProposeSucceeded>(answer);
        });
        return success!;
    }

    private Task AwaitAssertAsync(Func<Task> assertion) =>
        base.AwaitAssertAsync(assertion, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));

}
