using System.Runtime.Serialization;
using Akka.Serialization;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Serialization;

public sealed class RaftWireSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private const int FuzzInputsPerManifest = 5_000;
    private static readonly string[] Manifests = ["RB", "UG", "NH", "LW", "GS"];

    private readonly ITestOutputHelper _output;

    public RaftWireSerializerTests(ITestOutputHelper output)
        : base(RaftReferenceConfig.Value, nameof(RaftWireSerializerTests), output)
    {
        _output = output;
    }

    private static readonly ConfState JointMembership = new([1, 2, 3], [1, 2, 4], [5], [4], AutoLeave: true);

    private static readonly Snapshot SampleSnapshot = new(new SnapshotMetadata(1_000_000, 42, JointMembership), [9, 8, 7, 0, 255]);

    private static readonly Entry[] SampleEntries =
    [
        Entry.Normal(3, 10),
        Entry.Normal(3, 11, [1, 2, 3]),
        new Entry(ulong.MaxValue, 12, EntryType.ConfChange, new byte[300]),
    ];

    /// <summary>One message of every type, each with every field set, so a field the codec forgets fails the round trip.</summary>
    private static IEnumerable<Message> EveryMessageType() =>
        Enum.GetValues<MessageType>().Select((type, i) => new Message
        {
            Type = type,
            To = (ulong)i + 2,
            From = (ulong)i + 1,
            Term = 7 + (ulong)i,
            LogTerm = 6,
            Index = 1UL << 40,
            Commit = 99,
            Reject = i % 2 == 0,
            RejectHint = 5,
            Context = i % 3 == 0 ? [] : [(byte)i, 1, 2],
            Entries = type == MessageType.Append ? SampleEntries : [],
            Snapshot = type == MessageType.Snapshot ? SampleSnapshot : null,
        });

    private static RaftBatch SampleBatch() => new(3, EveryMessageType().Select((m, i) => new GroupMessage((ulong)i * 1000, m)).ToList());

    private static RaftLogWritten SampleLogWritten() =>
        new(new HardState(42, 2, 11), SampleEntries, SampleSnapshot, new Dictionary<ulong, ulong> { [1] = 1, [2] = 7, [300] = ulong.MaxValue });

    private static RaftGroupSnapshot SampleGroupSnapshot() =>
        new(SampleSnapshot, SampleEntries, new HardState(43, 0, 1_000_000), new Dictionary<ulong, ulong> { [1] = 1 });

    private static IEnumerable<object> EveryMessage() =>
    [
        SampleBatch(),
        new RaftBatch(1, []),
        new UnknownGroupReply(2, ulong.MaxValue, 3),
        new NodeHello(17),
        SampleLogWritten(),
        new RaftLogWritten(null, [], null, new Dictionary<ulong, ulong>()),
        SampleGroupSnapshot(),
    ];

    private Serializer Bound(object message) => Sys.Serialization.FindSerializerFor(message);

    private RaftWireSerializer Wire => (RaftWireSerializer)Sys.Serialization.FindSerializerForType(typeof(NodeHello));

    [Fact]
    public void Reference_conf_binds_every_hot_path_type_to_the_wire_serializer_with_fixed_id_4712()
    {
        foreach (var message in EveryMessage())
        {
            var serializer = Bound(message);
            Assert.IsType<RaftWireSerializer>(serializer);
            Assert.Equal(4712, serializer.Identifier);
        }
    }

    [Fact]
    public void Every_manifest_round_trips_through_the_actor_system_serialization()
    {
        foreach (var message in EveryMessage())
        {
            var serializer = (SerializerWithStringManifest)Bound(message);
            var manifest = serializer.Manifest(message);
            var bytes = serializer.ToBinary(message);

            // Through the system's own entry point, as remoting and the journal do it.
            var copy = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

            Assert.IsType(message.GetType(), copy);
            // The encoding is deterministic, so equal bytes after a second trip mean no field was lost.
            Assert.Equal(bytes, serializer.ToBinary(copy));
        }
    }

    [Fact]
    public void Batch_round_trip_keeps_every_field_of_every_message_type()
    {
        var batch = SampleBatch();
        var copy = Assert.IsType<RaftBatch>(Wire.FromBinary(Wire.ToBinary(batch), "RB"));

        Assert.Equal(batch.FromNode, copy.FromNode);
        Assert.Equal(Enum.GetValues<MessageType>().Length, copy.Messages.Count);
        foreach (var (expected, actual) in batch.Messages.Zip(copy.Messages))
        {
            Assert.Equal(expected.GroupId, actual.GroupId);
            Assert.Equal(Render(expected.Message), Render(actual.Message));
        }
        var snapshotMessage = copy.Messages.Single(m => m.Message.Type == MessageType.Snapshot).Message;
        Assert.Equal(SampleSnapshot.Data, snapshotMessage.Snapshot!.Data);
        Assert.True(JointMembership.SameAs(snapshotMessage.Snapshot.Metadata.ConfState));
        var append = copy.Messages.Single(m => m.Message.Type == MessageType.Append).Message;
        Assert.Equal(SampleEntries.Select(Render), append.Entries.Select(Render));
    }

    [Fact]
    public void Journal_event_and_snapshot_round_trip_keep_hard_state_entries_snapshot_and_peers()
    {
        var written = SampleLogWritten();
        var writtenCopy = Assert.IsType<RaftLogWritten>(Wire.FromBinary(Wire.ToBinary(written), "LW"));
        Assert.Equal(written.HardState, writtenCopy.HardState);
        Assert.Equal(written.Entries.Select(Render), writtenCopy.Entries.Select(Render));
        Assert.Equal(SampleSnapshot.Metadata.Index, writtenCopy.Snapshot!.Metadata.Index);
        Assert.Equal(written.PeerNodes.OrderBy(p => p.Key), writtenCopy.PeerNodes.OrderBy(p => p.Key));

        var empty = Assert.IsType<RaftLogWritten>(Wire.FromBinary(Wire.ToBinary(new RaftLogWritten(null, [], null, new Dictionary<ulong, ulong>())), "LW"));
        Assert.Null(empty.HardState);
        Assert.Null(empty.Snapshot);

        var snapshot = SampleGroupSnapshot();
        var snapshotCopy = Assert.IsType<RaftGroupSnapshot>(Wire.FromBinary(Wire.ToBinary(snapshot), "GS"));
        Assert.Equal(snapshot.HardState, snapshotCopy.HardState);
        Assert.Equal(snapshot.Tail.Select(Render), snapshotCopy.Tail.Select(Render));
        Assert.Equal(snapshot.Snapshot.Data, snapshotCopy.Snapshot.Data);
        Assert.Equal(snapshot.PeerNodes, snapshotCopy.PeerNodes);

        var reply = Assert.IsType<UnknownGroupReply>(Wire.FromBinary(Wire.ToBinary(new UnknownGroupReply(2, ulong.MaxValue, 3)), "UG"));
        Assert.Equal(new UnknownGroupReply(2, ulong.MaxValue, 3), reply);
        Assert.Equal(new NodeHello(17), Wire.FromBinary(Wire.ToBinary(new NodeHello(17)), "NH"));
    }

    [Fact]
    public void Unknown_manifest_fails_with_a_serialization_exception_naming_it()
    {
        var bytes = Wire.ToBinary(new NodeHello(1));
        var error = Assert.Throws<SerializationException>(() => Wire.FromBinary(bytes, "XX"));
        Assert.Contains("XX", error.Message);
    }

    [Fact]
    public void Unknown_format_version_fails_with_a_serialization_exception_naming_it()
    {
        foreach (var message in EveryMessage())
        {
            var manifest = Wire.Manifest(message);
            var bytes = Wire.ToBinary(message);
            bytes[0] = 2;
            var error = Assert.Throws<SerializationException>(() => Wire.FromBinary(bytes, manifest));
            Assert.Contains("version 2", error.Message);
        }
    }

    [Fact]
    public void Serializing_a_foreign_type_fails_with_a_serialization_exception()
    {
        Assert.Throws<SerializationException>(() => Wire.ToBinary("not a raft message"));
        Assert.Throws<SerializationException>(() => Wire.Manifest(42));
    }

    [Fact]
    public void Random_bytes_for_every_manifest_fail_only_with_serialization_exceptions()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        foreach (var manifest in Manifests)
        {
            for (var i = 0; i < FuzzInputsPerManifest; i++)
            {
                var bytes = new byte[random.Next(0, 96)];
                random.NextBytes(bytes);
                // Half the inputs get a valid version byte so the fuzz reaches the body decoders.
                if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = 1;
                DecodeExpectingOnlySerializationException(bytes, manifest, $"seed {seed}, manifest {manifest}, input {i}");
            }
        }
    }

    [Fact]
    public void Truncations_and_bit_flips_of_valid_payloads_fail_only_with_serialization_exceptions()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        foreach (var message in EveryMessage())
        {
            var manifest = Wire.Manifest(message);
            var valid = Wire.ToBinary(message);
            for (var length = 0; length < valid.Length; length++)
            {
                // Every proper prefix is missing bytes the decoder needs (the format has no optional tail).
                Assert.Throws<SerializationException>(() => Wire.FromBinary(valid[..length], manifest));
            }
            for (var i = 0; i < 2_000; i++)
            {
                var flipped = (byte[])valid.Clone();
                var flips = random.Next(1, 4);
                for (var f = 0; f < flips; f++) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                DecodeExpectingOnlySerializationException(flipped, manifest, $"seed {seed}, manifest {manifest}, flip {i}");
            }
        }
    }

    private void DecodeExpectingOnlySerializationException(byte[] bytes, string manifest, string replay)
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

    private static string Render(Entry e) => $"{e.Term}/{e.Index}/{e.Type}/{Convert.ToHexString(e.Data)}";

    private static string Render(Message m) =>
        $"{m} ctx={Convert.ToHexString(m.Context)} entries=[{string.Join(",", m.Entries.Select(Render))}] " +
        $"snap={(m.Snapshot is null ? "-" : $"{m.Snapshot.Metadata} {Convert.ToHexString(m.Snapshot.Data)}")}";
}
