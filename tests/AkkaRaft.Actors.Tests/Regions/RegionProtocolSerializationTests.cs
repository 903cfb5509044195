using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class RegionProtocolSerializationTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(RaftReferenceConfig.Value, nameof(RegionProtocolSerializationTests), output)
{
    private static readonly Region Sample = new(7, "a"u8, "m"u8, new RegionEpoch(2, 3),
        [new RegionPeer(1, 11, PeerRole.Voter), new RegionPeer(2, 12, PeerRole.Learner)]);

    private T RoundTrip<T>(T message) where T : class
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<RemoteMessageSerializer>(serializer);
        return Assert.IsType<T>(serializer.FromBinary(serializer.ToBinary(message), typeof(T)));
    }

    private T RoundTripWire<T>(T message) where T : class
    {
        var serializer = Assert.IsType<StoreWireSerializer>(Sys.Serialization.FindSerializerFor(message));
        return Assert.IsType<T>(serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message)));
    }

    [Fact]
    public void Store_requests_and_replies_cross_nodes_intact_through_the_binary_serializer()
    {
        var request = new StoreRequest(2, 7, [1, 2, 3], 2, 3) { RequestId = long.MaxValue - 5 };
        var requestCopy = RoundTripWire(request);
        Assert.Equal(request with { Command = null }, requestCopy with { Command = null });
        Assert.Equal(request.Command, requestCopy.Command);
        var count = RoundTripWire(new StoreRequest(2, 7, null, 2, 3) { RequestId = -1 });
        Assert.Equal((null, -1L), (count.Command, count.RequestId));

        var reply = new StoreReply(StoreReplyKind.EpochNotMatch, [9], -42, 3, [RegionDescriptor.From(Sample, 1, 99), RegionDescriptor.From(Sample)], "stale ü") { RequestId = 77 };
        var replyCopy = RoundTripWire(reply);
        Assert.Equal((reply.Kind, reply.Number, reply.LeaderStore, reply.Detail, reply.RequestId),
            (replyCopy.Kind, replyCopy.Number, replyCopy.LeaderStore, replyCopy.Detail, replyCopy.RequestId));
        Assert.Equal(reply.Value, replyCopy.Value);
        Assert.Equal([Sample, Sample], replyCopy.Regions.Select(r => r.ToRegion()));
        Assert.Equal((1UL, 99L), (replyCopy.Regions[0].LeaderStore, replyCopy.Regions[0].ApproximateSizeBytes));
        Assert.Null(RoundTripWire(StoreReply.Of(StoreReplyKind.Value, "")).Value);
    }

    [Fact]
    public void A_typed_reply_tree_crosses_nodes_intact_and_maps_to_the_callers_reply()
    {
        var tree = new AkkaRaft.Core.Kv.KvResult.ArrayResult(
        [
            new AkkaRaft.Core.Kv.KvResult.ValueResult("f"u8.ToArray()),
            new AkkaRaft.Core.Kv.KvResult.ArrayResult(null),
            new AkkaRaft.Core.Kv.KvResult.ErrorResult("WRONGTYPE Operation against a key holding the wrong kind of value"),
            new AkkaRaft.Core.Kv.KvResult.StatusResult("zset"),
        ]);
        var reply = new StoreReply(StoreReplyKind.Reply, AkkaRaft.Core.Kv.Redis.RedisReplyCodec.Encode(tree), 0, 0, [], "") { RequestId = 5 };
        var copy = RoundTripWire(reply);
        Assert.Equal(StoreReplyKind.Reply, copy.Kind);
        var mapped = Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Array>(StoreReplies.ToKvReply(copy));
        Assert.Equal("f"u8.ToArray(), Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Value>(mapped.Items![0]).Data);
        Assert.Null(Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Array>(mapped.Items[1]).Items);
        Assert.Equal(AkkaRaft.Actors.Kv.KvErrorCode.CommandError, Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Error>(mapped.Items[2]).Code);
        Assert.Equal(new AkkaRaft.Actors.Kv.KvReply.Status("zset"), mapped.Items[3]);
        var garbled = StoreReplies.ToKvReply(reply with { Value = [1, 99] });
        Assert.Equal(AkkaRaft.Actors.Kv.KvErrorCode.InvalidRequest, Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Error>(garbled).Code);
    }

    [Fact]
    public void A_reply_tree_too_large_for_a_remoting_frame_is_answered_as_an_error_not_dropped()
    {
        var big = new AkkaRaft.Core.Kv.KvResult.ArrayResult([.. Enumerable.Range(0, 4).Select(_ => (AkkaRaft.Core.Kv.KvResult)new AkkaRaft.Core.Kv.KvResult.ValueResult(new byte[1024 * 1024]))]);
        var reply = StoreReplies.FromReplica(new AkkaRaft.Actors.Runtime.ReadSucceeded(Sample.Id, big), Sample, 1, isWrite: false);
        var error = Assert.IsType<AkkaRaft.Actors.Kv.KvReply.Error>(StoreReplies.ToKvReply(reply));
        Assert.Contains($"exceeds the {StoreReplies.MaxReplyBytes} bytes", error.Message);
        Assert.True(RoundTripWire(reply).Value!.Length < 1024);
    }

    [Fact]
    public void Malformed_store_payloads_are_refused_with_a_serialization_error()
    {
        var serializer = (StoreWireSerializer)Sys.Serialization.FindSerializerForType(typeof(StoreReply));
        var reply = serializer.ToBinary(new StoreReply(StoreReplyKind.Ok, null, 0, 0, [RegionDescriptor.From(Sample)], "ok") { RequestId = 1 });

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(reply[..^3], "SP"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([.. reply, 0], "SP"));
        var badKind = (byte[])reply.Clone();
        badKind[2] = 200; // format version, request id 1 (one byte), then the kind
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(badKind, "SP"));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(reply, "XX"));
    }

    [Fact]
    public void Placement_lookups_replies_heartbeats_and_hellos_cross_nodes_intact()
    {
        var lookup = RoundTrip(new PlacementLookup(PlacementLookupKind.ByKey, "k"u8.ToArray(), 0, Hops: 1));
        Assert.Equal((PlacementLookupKind.ByKey, 1), (lookup.Kind, lookup.Hops));
        Assert.Equal("k"u8.ToArray(), lookup.Key);

        var reply = RoundTrip(new PlacementLookupReply(PlacementLookupStatus.Ok, [RegionDescriptor.From(Sample)], 2, 40, 3, ""));
        Assert.Equal((PlacementLookupStatus.Ok, 2UL, 40UL, 3UL), (reply.Status, reply.LeaderNode, reply.NextId, reply.BootstrappedAtIndex));
        Assert.Equal(Sample, Assert.Single(reply.Regions).ToRegion());

        var heartbeat = new StoreHeartbeatCommand(3, [new RegionHeartbeat(7, new RegionEpoch(2, 3), true, 5, 1000, [1])]);
        var report = RoundTrip(new StoreHeartbeatReport(3, PlacementCodec.Encode(heartbeat)));
        Assert.Equal(heartbeat, PlacementCodec.Decode(report.Command));

        Assert.Equal(new PlacementHello(4), RoundTrip(new PlacementHello(4)));
        Assert.Equal(new StoreHello(5), RoundTrip(new StoreHello(5)));
        Assert.Equal(new ClockProbe(5, 1_700_000_000_000, 42), RoundTrip(new ClockProbe(5, 1_700_000_000_000, 42)));
        Assert.Equal(new ClockEcho(6, 1_700_000_000_000, 42, -7), RoundTrip(new ClockEcho(6, 1_700_000_000_000, 42, -7)));
    }

    [Fact]
    public void Operator_requests_and_typed_replies_cross_nodes_intact()
    {
        Assert.Equal(new MoveRegion(7, 1, 4, Hops: 1), RoundTrip(new MoveRegion(7, 1, 4, Hops: 1)));
        var refused = RoundTrip(new OperatorReply(OperatorReplyStatus.UnknownRegion, 0, "region 7 does not exist"));
        Assert.Equal((OperatorReplyStatus.UnknownRegion, false, false), (refused.Status, refused.Accepted, refused.NotReady));

        var view = new OperatorView(1_000_003, OperatorKind.Repair, 7, 3, 4, OperatorStep.CatchUp, OperatorState.Running, "learner 9 at 5 of 12",
            1700000000000, 0, 5, 12, 4096, 8192);
        var store = new StoreView(4, StoreState.Removing, true, 1500, 2, 1);
        var reply = RoundTrip(new OperatorsReply([view], [view with { State = OperatorState.Done, Step = OperatorStep.RemoveSource }], [store], 2, ""));
        Assert.Equal(view, Assert.Single(reply.Running));
        Assert.Equal((OperatorState.Done, OperatorStep.RemoveSource), (Assert.Single(reply.Recent).State, reply.Recent[0].Step));
        Assert.Equal(store, Assert.Single(reply.Stores));
    }

    [Fact]
    public void Split_requests_replies_id_allocations_and_split_reports_cross_nodes_intact()
    {
        var split = RoundTrip(new SplitRegion(7, "k"u8.ToArray(), Forwarded: true));
        Assert.Equal((7UL, true), (split.RegionId, split.Forwarded));
        Assert.Equal("k"u8.ToArray(), split.Key);
        Assert.Null(RoundTrip(new SplitRegion(7, null)).Key);

        var reply = RoundTrip(new SplitRegionReply(SplitRegionStatus.Ok, [RegionDescriptor.From(Sample)], "done"));
        Assert.Equal((SplitRegionStatus.Ok, "done"), (reply.Status, reply.Detail));
        Assert.Equal(Sample, Assert.Single(reply.Regions).ToRegion());

        Assert.Equal(new PlacementAllocateIds(4, 2), RoundTrip(new PlacementAllocateIds(4, 2)));
        Assert.Equal(new PlacementIdsReply(true, 40, 4, ""), RoundTrip(new PlacementIdsReply(true, 40, 4, "")));
        Assert.Equal(new PlacementSplitReply(PlacementSplitStatus.Rejected, "newer"), RoundTrip(new PlacementSplitReply(PlacementSplitStatus.Rejected, "newer")));

        var command = new ReportSplitCommand(Sample.WithRange("a"u8, "f"u8), new Region(9, "f"u8, "m"u8, new RegionEpoch(2, 3), Sample.Peers));
        var report = RoundTrip(new PlacementReportSplit(PlacementCodec.Encode(command)));
        Assert.Equal(command, PlacementCodec.Decode(report.Command));
    }
}
