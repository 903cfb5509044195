using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class SnapshotTransferTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public void Assembler_rebuilds_a_chunked_snapshot_in_any_order_and_ignores_duplicates()
    {
        var message = SnapshotMessage(200_000);
        var chunks = SnapshotChunker.Split(1, 5, 42, message, chunkBytes: 16_384);
        Assert.True(chunks.Count > 10);
        var assembler = new SnapshotAssembler(maxTransfers: 2, maxBytes: 10_000_000, maxSnapshotBytes: 1_000_000, chunkBytes: 16_384);
        Message? whole = null;
        foreach (var chunk in chunks.Reverse().Append(chunks[0]))
        {
            whole ??= assembler.Add(chunk);
        }
        Assert.NotNull(whole);
        Assert.Equal(message.Snapshot!.Data, whole!.Snapshot!.Data);
        Assert.Equal(message.Snapshot.Metadata.Index, whole.Snapshot.Metadata.Index);
        Assert.Equal(0, assembler.InProgress);
    }

    [Fact]
    public void Assembler_is_bounded_and_drops_the_oldest_transfer()
    {
        var assembler = new SnapshotAssembler(maxTransfers: 2, maxBytes: 10_000_000, maxSnapshotBytes: 1_000_000, chunkBytes: 16_384);
        var first = SnapshotChunker.Split(1, 5, 1, SnapshotMessage(50_000), 16_384);
        foreach (var transfer in new ulong[] { 1, 2, 3 })
        {
            Assert.Null(assembler.Add(SnapshotChunker.Split(1, 5, transfer, SnapshotMessage(50_000), 16_384)[0]));
        }
        Assert.Equal(2, assembler.InProgress);
        // Transfer 1 was evicted: completing it from scratch needs all chunks again, the rest alone do not complete it.
        foreach (var chunk in first.Skip(1)) Assert.Null(assembler.Add(chunk));
        Assert.Throws<RaftCodecException>(() => assembler.Add(first[0] with { Index = 99 }));
    }

    [Fact]
    public async Task A_follower_that_fell_behind_compaction_catches_up_through_a_chunked_snapshot()
    {
        var config = ConfigurationFactory.ParseString("""
            akka-raft {
              tick-interval = 50ms
              election-ticks = 10
              heartbeat-ticks = 2
              hibernate-after-ticks = 0
              snapshot-every-entries = 40
              # The lagging replica is cut off only briefly: keep nothing for it, so the leader compacts past it at once.
              follower-catch-up-log-bytes = 0
              max-batch-bytes = 64 KiB
              max-entry-bytes = 16 KiB
              # Several chunks for a snapshot of about 200 KB.
              snapshot.chunk-bytes = 16 KiB
            }
            """);
        await using var nodes = await LoopbackCluster.StartAsync(3, config);
        _driver = await GroupDriver.StartAsync(this, nodes, 11);
        var handles = _driver.Handles;
        var leader = await LeaderOf(handles, 11);
        var lagging = handles.First(h => h.NodeId != leader);
        await nodes.Partition((int)lagging.NodeId - 1);

        var padding = new string('x', 1000);
        var expected = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var command = $"{i}:{padding}";
            // Under CPU pressure leadership may move between the two connected replicas: follow it.
            await AwaitAssertAsync(async () =>
            {
                leader = await LeaderOf(handles, 11);
                var answer = await handles[(int)leader - 1].ProposeAsync(11, Encoding.UTF8.GetBytes(command));
                Assert.True(answer is ProposeSucceeded, $"proposal {i}: {answer}");
            });
            expected.Add(command);
        }
        var leaderStatus = Assert.IsType<GroupStatus>(await handles[(int)leader - 1].StatusAsync(11));
        var laggingStatus = Assert.IsType<GroupStatus>(await lagging.StatusAsync(11));
        Assert.True(leaderStatus.FirstIndex > laggingStatus.LastIndex + 1,
            $"leader compacted to {leaderStatus.FirstIndex}, lagging replica has up to {laggingStatus.LastIndex}: a snapshot is needed");

        await nodes.HealAll();
        await AwaitAssertAsync(async () =>
        {
            var status = Assert.IsType<GroupStatus>(await lagging.StatusAsync(11));
            Assert.True(status.Applied >= leaderStatus.Committed, $"lagging replica applied {status.Applied} of {leaderStatus.Committed}");
        });

        // Hand leadership to the caught-up replica and read its state machine linearizably.
        await AwaitAssertAsync(async () =>
        {
            var current = await LeaderOf(handles, 11);
            if (current != lagging.NodeId)
            {
                await handles[(int)current - 1].Coordinator.Ask<object>(new TransferLeadership(11, lagging.NodeId), TimeSpan.FromSeconds(5));
            }
            Assert.Equal(lagging.NodeId, await LeaderOf(handles, 11));
        });
        await AwaitAssertAsync(async () =>
        {
            var answer = await lagging.ReadAsync(11, sm => ((RecordingStateMachine)sm).Commands.ToList());
            var read = Assert.IsType<ReadSucceeded>(answer is ReadSucceeded ? answer : throw new Xunit.Sdk.XunitException($"read: {answer}"));
            Assert.Equal(expected, Assert.IsType<List<string>>(read.Value));
        });
    }

    private static Message SnapshotMessage(int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        return new Message
        {
            Type = MessageType.Snapshot, From = 1, To = 2, Term = 3,
            Snapshot = new Snapshot(new SnapshotMetadata(120, 3, ConfState.OfVoters(1, 2, 3)), data),
        };
    }

    private GroupDriver? _driver;

    private async Task<ulong> LeaderOf(IReadOnlyList<RaftNodeHandle> handles, ulong groupId) =>
        (await _driver!.LeaderAsync(groupId, [.. handles.Select(h => h.NodeId)])).PeerId;

    private Task AwaitAssertAsync(Func<Task> assertion) =>
        base.AwaitAssertAsync(assertion, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
}
