using System.Runtime.Serialization;
using Akka.Serialization;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Settings;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Serialization;

/// <summary>The streamed-snapshot wire messages: SnapshotChunk ("SC") and SnapshotChunkAck ("SA").</summary>
public sealed class SnapshotChunkSerializationTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public SnapshotChunkSerializationTests(ITestOutputHelper output)
        : base(RaftReferenceConfig.Value, nameof(SnapshotChunkSerializationTests), output)
    {
        _output = output;
    }

    private static IEnumerable<object> Samples() =>
    [
        new SnapshotChunk(3, ulong.MaxValue, 1UL << 60, 6, 7, [1, 2, 3, 0, 255]),
        new SnapshotChunk(1, 0, 0, 0, 1, []),
        new SnapshotChunkAck(2, ulong.MaxValue, 1UL << 60, 7),
        new SnapshotChunkAck(2, 5, 9, 0),
        new SnapshotChunkAck(2, 5, 9, int.MaxValue),
    ];

    private RaftWireSerializer Wire => (RaftWireSerializer)Sys.Serialization.FindSerializerForType(typeof(SnapshotChunkAck));

    [Fact]
    public void Chunks_and_acks_are_bound_to_the_wire_serializer_and_round_trip_through_the_actor_system()
    {
        foreach (var message in Samples())
        {
            var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<RaftWireSerializer>(serializer);
            var manifest = serializer.Manifest(message);
            var bytes = serializer.ToBinary(message);
            var copy = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            Assert.Equal(bytes, serializer.ToBinary(copy));
            if (message is SnapshotChunkAck ack) Assert.Equal(ack, copy);
            if (message is SnapshotChunk chunk)
            {
                var chunkCopy = Assert.IsType<SnapshotChunk>(copy);
                Assert.Equal((chunk.FromNode, chunk.GroupId, chunk.TransferId, chunk.Index, chunk.Count), (chunkCopy.FromNode, chunkCopy.GroupId, chunkCopy.TransferId, chunkCopy.Index, chunkCopy.Count));
                Assert.Equal(chunk.Data, chunkCopy.Data);
            }
        }
        Assert.Equal("SA", Wire.Manifest(new SnapshotChunkAck(1, 1, 1, 1)));
    }

    [Fact]
    public void Out_of_range_indexes_fail_with_serialization_exceptions()
    {
        var chunk = Wire.ToBinary(new SnapshotChunk(1, 2, 3, 0, 1, [9]));
        chunk[4] = 1; // index 1 of 1
        Assert.Contains("out of range", Assert.Throws<SerializationException>(() => Wire.FromBinary(chunk, "SC")).Message);

        var w = new Core.Raft.WireWriter();
        w.Byte(1);
        w.VarUInt(1);
        w.VarUInt(2);
        w.VarUInt(3);
        w.VarUInt((ulong)int.MaxValue + 1);
        Assert.Contains("out of range", Assert.Throws<SerializationException>(() => Wire.FromBinary(w.ToArray(), "SA")).Message);

        var ack = Wire.ToBinary(new SnapshotChunkAck(1, 2, 3, 4));
        ack[0] = 2;
        Assert.Contains("version 2", Assert.Throws<SerializationException>(() => Wire.FromBinary(ack, "SA")).Message);
    }

    [Fact]
    public void A_chunk_count_above_max_bytes_over_chunk_bytes_fails_before_the_data_is_read()
    {
        // reference.conf: 1 GiB max snapshot in 1 MiB chunks.
        Assert.Equal(1024, SnapshotChunker.MaxChunks(RaftSettings.Default.SnapshotMaxBytes, RaftSettings.Default.SnapshotChunkBytes));
        foreach (var count in new ulong[] { 1025, int.MaxValue })
        {
            var ex = Assert.Throws<SerializationException>(() => Wire.FromBinary(ChunkPayload(0, count, [1, 2, 3]), "SC"));
            Assert.Contains($"count {count} exceeds 1024", ex.Message);
        }
        Assert.Equal(1024, Assert.IsType<SnapshotChunk>(Wire.FromBinary(ChunkPayload(1023, 1024, [1, 2, 3]), "SC")).Count);
    }

    [Fact]
    public void A_chunk_whose_data_length_exceeds_the_payload_fails_without_allocating_it()
    {
        foreach (var length in new ulong[] { 4, int.MaxValue, ulong.MaxValue })
        {
            var w = new Core.Raft.WireWriter();
            w.Byte(1);
            w.VarUInt(1);
            w.VarUInt(2);
            w.VarUInt(3);
            w.VarUInt(0);
            w.VarUInt(2);
            w.VarUInt(length);
            w.Byte(9);
            var ex = Assert.Throws<SerializationException>(() => Wire.FromBinary(w.ToArray(), "SC"));
            Assert.Contains("exceeds the remaining", ex.Message);
        }
    }

    private static byte[] ChunkPayload(ulong index, ulong count, byte[] data)
    {
        var w = new Core.Raft.WireWriter();
        w.Byte(1);
        w.VarUInt(1);
        w.VarUInt(2);
        w.VarUInt(3);
        w.VarUInt(index);
        w.VarUInt(count);
        w.Bytes(data);
        return w.ToArray();
    }

    [Fact]
    public void Random_bytes_truncations_and_bit_flips_fail_only_with_serialization_exceptions()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        foreach (var manifest in new[] { "SC", "SA" })
        {
            for (var i = 0; i < 5_000; i++)
            {
                var bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = 1;
                Decode(bytes, manifest, $"seed {seed}, manifest {manifest}, input {i}");
            }
        }
        foreach (var message in Samples())
        {
            var manifest = Wire.Manifest(message);
            var valid = Wire.ToBinary(message);
            for (var length = 0; length < valid.Length; length++)
            {
                Assert.Throws<SerializationException>(() => Wire.FromBinary(valid[..length], manifest));
            }
            for (var i = 0; i < 2_000; i++)
            {
                var flipped = (byte[])valid.Clone();
                for (var f = random.Next(1, 4); f > 0; f--) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                Decode(flipped, manifest, $"seed {seed}, manifest {manifest}, flip {i}");
            }
        }
    }

    private void Decode(byte[] bytes, string manifest, string replay)
    {
        try
        {
            Wire.FromBinary(bytes, manifest);
        }
        catch (SerializationException)
        {
        }
        catch (Exception e)
        {
            _output.WriteLine($"replay with {replay}: {Convert.ToHexString(bytes)}");
            Assert.Fail($"{e.GetType().Name} instead of SerializationException ({replay}): {e.Message}");
        }
    }
}
