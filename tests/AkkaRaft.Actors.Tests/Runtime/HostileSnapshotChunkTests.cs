using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>Snapshot chunks with hostile headers are refused with a clear error before anything is allocated for them.</summary>
public sealed class HostileSnapshotChunkTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka-raft.snapshot { chunk-bytes = 16 KiB, max-bytes = 64 KiB }
        """).WithFallback(RaftReferenceConfig.Value), nameof(HostileSnapshotChunkTests), output)
{
    private const int ChunkBytes = 4096;
    private const long MaxSnapshotBytes = 64 * 1024;

    private static SnapshotAssembler Assembler() => new(maxTransfers: 4, maxBytes: 1L << 20, MaxSnapshotBytes, ChunkBytes);

    private static SnapshotChunk Chunk(ulong transfer, int index, int count, int bytes) => new(2, 7, transfer, index, count, new byte[bytes]);

    public static TheoryData<string, object, string> HostileHeaders => new()
    {
        { "huge count", Chunk(1, 0, int.MaxValue, 100), "announces 2147483647 chunks" },
        { "one chunk more than the max size allows", Chunk(1, 0, 17, 100), "at most 16" },
        { "negative count", Chunk(1, 0, -5, 100), "out of range" },
        { "negative index", Chunk(1, -1, 4, 100), "out of range" },
        { "index equal to the count", Chunk(1, 4, 4, 100), "out of range" },
        { "index past the count", Chunk(1, int.MaxValue, 4, 100), "out of range" },
        { "no data", Chunk(1, 0, 4, 0), "carries 0 bytes" },
        { "one chunk larger than the max snapshot", Chunk(1, 0, 4, (int)MaxSnapshotBytes + 1), "carries 65537 bytes" },
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void A_hostile_chunk_header_is_refused_before_any_allocation(string what, object chunkCase, string error)
    {
        var chunk = (SnapshotChunk)chunkCase;
        Assert.False(string.IsNullOrEmpty(what));
        var assembler = Assembler();
        Assert.Equal(16, assembler.MaxChunks);
        var ex = Assert.Throws<RaftCodecException>(() => assembler.Add(chunk));
        Assert.Contains(error, ex.Message);
        Assert.Equal((0, 0L), (assembler.InProgress, assembler.BytesHeld));
    }

    [Fact]
    public void A_transfer_whose_chunks_add_up_to_more_than_the_max_snapshot_is_dropped_and_its_bytes_released()
    {
        var assembler = Assembler();
        // 16 chunks of 5000 bytes would be 80 000 bytes: the 14th passes 64 KiB.
        for (var i = 0; i < 13; i++) Assert.Null(assembler.Add(Chunk(1, i, 16, 5000)));
        Assert.Equal(65_000L, assembler.BytesHeld);
        var ex = Assert.Throws<RaftCodecException>(() => assembler.Add(Chunk(1, 13, 16, 5000)));
        Assert.Contains("more than 65536", ex.Message);
        Assert.Equal((0, 0L, 0), (assembler.InProgress, assembler.BytesHeld, assembler.NextIndex(2, 1)));
    }

    [Fact]
    public void A_well_formed_transfer_still_completes_after_hostile_chunks()
    {
        var assembler = Assembler();
        Assert.Throws<RaftCodecException>(() => assembler.Add(Chunk(1, 0, int.MaxValue, 100)));
        var message = new Message
        {
            Type = MessageType.Snapshot, From = 1, To = 2, Term = 3,
            Snapshot = new Snapshot(new SnapshotMetadata(9, 3, ConfState.OfVoters(1, 2, 3)), new byte[20_000]),
        };
        Message? whole = null;
        foreach (var chunk in SnapshotChunker.Split(2, 7, 2, message, ChunkBytes)) whole ??= assembler.Add(chunk);
        Assert.Equal(9UL, whole?.Snapshot?.Metadata.Index);
    }

    [Fact]
    public async Task The_coordinator_logs_and_drops_a_chunk_with_a_huge_count_and_keeps_taking_chunks()
    {
        var coordinator = AkkaRaftExtension.Get(Sys).StartNode(1).Coordinator;
        await EventFilter.Warning(contains: "announces 2147483647 chunks").ExpectOneAsync(async () =>
        {
            coordinator.Tell(new SnapshotChunk(2, 7, 1, 0, int.MaxValue, new byte[100]), TestActor);
            await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        });
        // The coordinator is alive and still assembles: the first of two chunks is acknowledged.
        coordinator.Tell(new SnapshotChunk(2, 7, 2, 0, 2, new byte[100]), TestActor);
        Assert.Equal(new SnapshotChunkAck(1, 7, 2, 1), await ExpectMsgAsync<SnapshotChunkAck>());
    }
}
