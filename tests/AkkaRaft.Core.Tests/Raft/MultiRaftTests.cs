using AkkaRaft.Core.Raft;
using Xunit;
using static AkkaRaft.Core.Tests.Raft.Msg;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>Many groups per node: one Ready, batches per destination node.</summary>
public class MultiRaftTests
{
    // Replica id r of any group lives on node r.
    private static ulong? NodeOf(ulong group, ulong peer) => peer is >= 1 and <= 3 ? peer : null;

    private readonly Dictionary<ulong, MemoryStorage> _storages = [];

    private MultiRaft Host(ulong self, params ulong[] groups)
    {
        var host = new MultiRaft(NodeOf);
        foreach (var g in groups)
        {
            _storages[g] = MemoryStorage.WithVoters(1, 2, 3);
            Assert.True(host.CreateGroup(g, Replica.Config(self), _storages[g]));
        }
        return host;
    }

    /// <summary>Persists every group's part of the MultiReady (one durable write) and advances.</summary>
    private void PersistAndAdvance(MultiRaft host, MultiReady ready)
    {
        foreach (var group in ready.Groups)
        {
            _storages[group.GroupId].Append(group.Ready.Entries);
            if (group.Ready.HardState is { } hs) _storages[group.GroupId].SetHardState(hs);
        }
        host.Advance(ready);
    }

    [Fact]
    public void Step_to_an_unknown_group_is_a_typed_error()
    {
        var host = Host(1, 10);
        var (error, result) = host.Step(99, Heartbeat(2, 1, 1));
        Assert.Equal(GroupStepError.UnknownGroup, error);
        Assert.Equal(StepStatus.Ignored, result.Status);
        Assert.Contains("group 99", result.Reason);
        Assert.Equal(GroupStepError.None, host.Step(10, Heartbeat(2, 1, 1)).Error);
    }

    [Fact]
    public void Creating_a_group_twice_is_refused()
    {
        var host = Host(1, 10);
        Assert.False(host.CreateGroup(10, Replica.Config(1), MemoryStorage.WithVoters(1, 2, 3)));
        Assert.Equal(1, host.Count);
    }

    [Fact]
    public void Ready_batches_messages_by_destination_node_with_control_messages_ahead_of_appends()
    {
        var host = Host(1, 10, 20);
        var leader = host.Group(10)!;
        leader.Campaign();
        PersistAndAdvance(host, host.Ready());
        leader.Step(VoteResp(2, 1, 1));
        while (host.HasReady) PersistAndAdvance(host, host.Ready());
        Assert.Equal(1UL, leader.LastIndex);
        leader.Step(AppendResp(2, 1, 1, 1));
        leader.Step(AppendResp(3, 1, 1, 1));
        while (host.HasReady) PersistAndAdvance(host, host.Ready());
        Assert.Equal(1UL, leader.Committed);
        // Group 10 proposes (appends), group 20 campaigns (votes, sent after durability) and group 10 heartbeats.
        leader.Propose(Bytes("x"));
        host.Group(20)!.Campaign();
        leader.Tick();
        var ready = host.Ready();
        Assert.Equal([10UL, 20UL], ready.Groups.Select(g => g.GroupId));
        Assert.Equal([2UL, 3UL], ready.SendNow.Select(b => b.ToNode));
        foreach (var batch in ready.SendNow)
        {
            Assert.All(batch.Messages, m => Assert.Equal(batch.ToNode, m.Message.To));
            var kinds = batch.Messages.Select(m => NodeBatch.IsBulk(m.Message.Type)).ToList();
            Assert.Equal(kinds.OrderBy(b => b), kinds); // control first, then bulk
            Assert.Contains(batch.Messages, m => m.Message.Type == MessageType.Heartbeat);
            Assert.Contains(batch.Messages, m => m.Message.Type == MessageType.Append && m.GroupId == 10);
        }
        Assert.All(ready.SendAfterDurable.SelectMany(b => b.Messages), m => Assert.Equal((20UL, MessageType.Vote), (m.GroupId, m.Message.Type)));
        Assert.Throws<InvalidOperationException>(() => host.Ready());
        PersistAndAdvance(host, ready);
    }

    [Fact]
    public void Messages_to_peers_without_a_node_are_reported_unroutable()
    {
        var host = new MultiRaft((g, p) => p == 2 ? 2 : null);
        host.CreateGroup(1, Replica.Config(1), MemoryStorage.WithVoters(1, 2, 3));
        host.Group(1)!.Campaign();
        var ready = host.Ready();
        Assert.Equal(2UL, Assert.Single(ready.SendAfterDurable).ToNode);
        Assert.Equal(3UL, Assert.Single(ready.Unroutable).Message.To);
    }

    [Fact]
    public void Advance_of_a_wrong_MultiReady_throws_and_removing_a_group_in_flight_is_refused()
    {
        var host = Host(1, 10);
        host.Group(10)!.Campaign();
        var ready = host.Ready();
        Assert.Throws<InvalidOperationException>(() => host.Advance(ready with { Number = 99 }));
        Assert.Throws<InvalidOperationException>(() => host.RemoveGroup(10));
        host.Advance(ready);
        Assert.True(host.RemoveGroup(10));
        Assert.False(host.RemoveGroup(10));
    }

    [Fact]
    public void SplitBySize_bounds_each_batch_and_keeps_order()
    {
        var messages = Enumerable.Range(0, 10)
            .Select(i => new GroupMessage((ulong)i, Append(1, 2, 1, 0, 0, 0, Entry.Normal(1, 1, new byte[100])))).ToList();
        var batch = new NodeBatch(2, messages);
        var size = messages[0].Message.Size + 8;
        var parts = batch.SplitBySize(16 + 3 * size);
        Assert.Equal([3, 3, 3, 1], parts.Select(p => p.Messages.Count));
        Assert.All(parts, p => Assert.True(p.Size <= 16 + 3 * size));
        Assert.Equal(messages, parts.SelectMany(p => p.Messages));
        Assert.All(parts, p => Assert.Equal(2UL, p.ToNode));
    }

    [Fact]
    public void SplitBySize_sends_an_oversized_message_alone()
    {
        var big = new GroupMessage(1, Append(1, 2, 1, 0, 0, 0, Entry.Normal(1, 1, new byte[10_000])));
        var small = new GroupMessage(2, Heartbeat(1, 2, 1));
        var parts = new NodeBatch(2, [small, big, small]).SplitBySize(1000);
        Assert.Equal([1, 1, 1], parts.Select(p => p.Messages.Count));
    }

    [Fact]
    public void Three_nodes_with_two_groups_each_elect_and_commit_independently()
    {
        var hosts = new Dictionary<ulong, MultiRaft>();
        var storages = new Dictionary<(ulong Node, ulong Group), MemoryStorage>();
        foreach (var n in new ulong[] { 1, 2, 3 })
        {
            hosts[n] = new MultiRaft(NodeOf);
            foreach (var g in new ulong[] { 100, 200 })
            {
                storages[(n, g)] = MemoryStorage.WithVoters(1, 2, 3);
                hosts[n].CreateGroup(g, Replica.Config(n), storages[(n, g)]);
            }
        }
        void Pump()
        {
            for (var round = 0; round < 50; round++)
            {
                var batches = new List<NodeBatch>();
                foreach (var (n, host) in hosts)
                {
                    while (host.HasReady)
                    {
                        var ready = host.Ready();
                        foreach (var group in ready.Groups)
                        {
                            // One durable write for every group of the node.
                            var storage = storages[(n, group.GroupId)];
                            storage.Append(group.Ready.Entries);
                            if (group.Ready.HardState is { } hs) storage.SetHardState(hs);
                        }
                        batches.AddRange(ready.SendNow);
                        batches.AddRange(ready.SendAfterDurable);
                        host.Advance(ready);
                    }
                }
                if (batches.Count == 0) return;
                foreach (var b in batches)
                foreach (var gm in b.Messages) hosts[b.ToNode].Step(gm.GroupId, gm.Message);
            }
        }
        hosts[1].Group(100)!.Campaign();
        hosts[2].Group(200)!.Campaign();
        Pump();
        Assert.Equal(StateRole.Leader, hosts[1].Group(100)!.Role);
        Assert.Equal(StateRole.Leader, hosts[2].Group(200)!.Role);
        Assert.Equal(2UL, hosts[3].Group(200)!.Leader);
        Assert.True(hosts[1].Group(100)!.Propose(Bytes("a")).Accepted);
        Assert.True(hosts[2].Group(200)!.Propose(Bytes("b")).Accepted);
        Pump();
        foreach (var n in hosts.Keys)
        {
            Assert.Equal(2UL, hosts[n].Group(100)!.Committed);
            Assert.Equal(2UL, hosts[n].Group(200)!.Committed);
        }
    }
}
