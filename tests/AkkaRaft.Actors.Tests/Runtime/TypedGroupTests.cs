using System.Buffers.Binary;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class TypedGroupTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestJournalConfig.Value, nameof(TypedGroupTests), output)
{
    private static readonly Dictionary<ulong, ulong> SinglePeer = new() { [1] = 1 };

    /// <summary>Adds its command to a running total and answers the new total.</summary>
    private sealed class Adder : IRaftStateMachine<long, long>
    {
        public long Total { get; private set; }

        public long Apply(long command, ulong index) => Total += command;

        public byte[] TakeSnapshot() => BitConverter.GetBytes(Total);

        public void Restore(ReadOnlySpan<byte> snapshot) => Total = BinaryPrimitives.ReadInt64LittleEndian(snapshot);
    }

    private sealed class Int64Codec : IRaftCodec<long>
    {
        public byte[] Encode(long value) => BitConverter.GetBytes(value);

        public long Decode(ReadOnlySpan<byte> data) =>
            data.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data) : throw new FormatException($"expected 8 bytes, got {data.Length}");
    }

    private sealed class EmptyCodec : IRaftCodec<long>
    {
        public byte[] Encode(long value) => [];

        public long Decode(ReadOnlySpan<byte> data) => 0;
    }

    [Fact]
    public async Task Typed_proposals_answer_the_state_machines_result_and_typed_reads_see_them()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var group = await node.CreateGroupAsync<Adder, long, long>(21, 1, SinglePeer, () => new Adder(), new Int64Codec());

        var first = await ProposeUntilLeaderAsync(group, 5);
        Assert.Equal(5, first.Value);
        Assert.True(first.Index > 0);
        var second = await group.ProposeAsync(7);
        Assert.Equal(12, second.Value);
        Assert.True(second.Index > first.Index);

        var total = await group.ReadAsync(machine => machine.Total);
        Assert.True(total.Succeeded, total.ToString());
        Assert.Equal(12, total.Value);

        var status = await group.StatusAsync();
        Assert.Equal(StateRole.Leader, status.Value.Role);
        Assert.Equal(1UL, status.Value.Leader);
        Assert.True(status.Value.Applied >= second.Index);
    }

    [Fact]
    public async Task Requests_for_a_group_the_node_does_not_host_fail_with_GroupNotFound_as_a_value()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);

        var proposal = await node.ProposeAsync(404, [1], CancellationToken.None);
        var read = await node.ReadAsync(404, sm => sm.AppliedIndex, CancellationToken.None);
        var status = await node.StatusAsync(404, CancellationToken.None);

        Assert.Equal(RaftFailure.GroupNotFound, proposal.Failure);
        Assert.Equal(RaftFailure.GroupNotFound, read.Failure);
        Assert.Equal(RaftFailure.GroupNotFound, status.Failure);
        var thrown = Assert.Throws<RaftRequestException>(() => status.Value);
        Assert.Equal(RaftFailure.GroupNotFound, thrown.Failure);
    }

    [Fact]
    public async Task A_codec_that_encodes_a_command_to_no_bytes_is_refused_before_proposing()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var group = await node.CreateGroupAsync<Adder, long, long>(22, 1, SinglePeer, () => new Adder(), new EmptyCodec());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => group.ProposeAsync(1));
        Assert.Contains("no bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_the_codec_cannot_decode_change_nothing_and_the_group_keeps_serving()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var group = await node.CreateGroupAsync<Adder, long, long>(25, 1, SinglePeer, () => new Adder(), new Int64Codec());
        await ProposeUntilLeaderAsync(group, 2);

        var raw = await node.ProposeAsync(25, [1, 2, 3], CancellationToken.None);
        var skipped = Assert.IsType<UndecodableCommand>(raw.Value);
        Assert.Contains("expected 8 bytes", skipped.Reason, StringComparison.Ordinal);

        Assert.Equal(5, (await group.ProposeAsync(3)).Value);
        Assert.Equal(5, (await group.ReadAsync(m => m.Total)).Value);
    }

    [Fact]
    public async Task A_cancelled_token_ends_the_call_with_OperationCanceledException()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        var group = await node.CreateGroupAsync<Adder, long, long>(23, 1, SinglePeer, () => new Adder(), new Int64Codec());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => group.ReadAsync(m => m.Total, cancelled.Token));
    }

    [Fact]
    public async Task Creating_a_typed_group_checks_its_arguments()
    {
        var node = AkkaRaftExtension.Get(Sys).StartNode(1);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => node.CreateGroupAsync<Adder, long, long>(0, 1, SinglePeer, () => new Adder(), new Int64Codec()));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => node.CreateGroupAsync<Adder, long, long>(24, 0, SinglePeer, () => new Adder(), new Int64Codec()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => node.CreateGroupAsync<Adder, long, long>(24, 1, SinglePeer, () => new Adder(), null!));
    }

    // A single voter elects itself within an election timeout; until then proposals answer NotLeader.
    private async Task<RaftResult<long>> ProposeUntilLeaderAsync(RaftGroup<Adder, long, long> group, long command)
    {
        RaftResult<long>? result = null;
        await AwaitAssertAsync(async () =>
        {
            result = await group.ProposeAsync(command);
            Assert.True(result.Failure is null or RaftFailure.NotLeader, result.ToString());
            Assert.True(result.Succeeded, result.ToString());
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
        return result!;
    }
}
