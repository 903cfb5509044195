using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>
/// The router resends only what certainly was not applied, and says so when it cannot know: driven against a scripted
/// store (one store, two regions split at "m") so every answer is chosen by the test.
/// </summary>
public sealed class RouterOutcomeTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly Region Left = new(1, [], "m"u8, RegionEpoch.Initial, [new RegionPeer(1, 11, PeerRole.Voter)]);
    private static readonly Region Right = new(2, "m"u8, [], RegionEpoch.Initial, [new RegionPeer(1, 12, PeerRole.Voter)]);

    private static readonly RegionSettings Settings = RegionSettings.Create(ConfigurationFactory.ParseString(
        "akka-raft.router { request-timeout = 3s, attempt-timeout = 300ms, min-backoff = 10ms, max-backoff = 50ms }"));

    [Fact]
    public async Task A_write_whose_outcome_is_unknown_is_answered_OutcomeUnknown_and_sent_only_once()
    {
        var (client, store) = Start(_ => StoreReply.Of(StoreReplyKind.OutcomeUnknown, "entry 7 not applied within 50 ticks; outcome unknown"));

        var reply = Assert.IsType<KvReply.Error>(await client.IncrementAsync(K("a"), 1));

        Assert.Equal(KvErrorCode.OutcomeUnknown, reply.Code);
        Assert.Equal(1, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_value_over_the_entry_limit_is_refused_TooLarge_at_once_and_never_sent()
    {
        var (client, store) = Start(_ => StoreReply.Of(StoreReplyKind.Ok, ""));
        var limit = (int)Settings.MaxEntryBytes;

        var tooLarge = Assert.IsType<KvReply.Error>(await client.SetAsync(K("a"), new byte[limit + 1]));
        var msetTooLarge = Assert.IsType<KvReply.Error>(await client.SetManyAsync([new(K("a"), new byte[limit / 2]), new(K("b"), new byte[limit / 2])]));

        Assert.Equal(KvErrorCode.TooLarge, tooLarge.Code);
        Assert.Contains("max-entry-bytes", tooLarge.Message);
        Assert.Equal(KvErrorCode.TooLarge, msetTooLarge.Code);
        Assert.Equal(0, store.Count(Left.Id));
        Assert.Equal(KvReply.Ok, await client.SetAsync(K("a"), new byte[limit - 64]));
        Assert.Equal(1, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_write_the_store_never_answers_is_answered_OutcomeUnknown_and_sent_only_once()
    {
        var (client, store) = Start(_ => null);

        var reply = Assert.IsType<KvReply.Error>(await client.SetAsync(K("a"), K("v")));

        Assert.Equal(KvErrorCode.OutcomeUnknown, reply.Code);
        Assert.Equal(1, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_write_in_flight_to_a_store_whose_node_is_lost_is_answered_OutcomeUnknown_at_once_not_at_the_attempt_timeout()
    {
        var losses = new StoreLossTokens();
        var (client, store) = Start(_ => null, PatientSettings, losses);

        var write = client.SetAsync(K("a"), K("v"));
        await AwaitConditionAsync(() => Task.FromResult(store.Count(Left.Id) == 1), TimeSpan.FromSeconds(10));
        losses.Lost(1);

        // The attempt timeout is a minute: an answer within seconds comes from the loss.
        Assert.Same(write, await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(20))));
        var reply = Assert.IsType<KvReply.Error>(await write);
        Assert.Equal(KvErrorCode.OutcomeUnknown, reply.Code);
        Assert.Equal(1, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_read_in_flight_to_a_store_whose_node_is_lost_is_sent_again_at_once()
    {
        var losses = new StoreLossTokens();
        var attempts = 0;
        var (client, store) = Start(_ => Interlocked.Increment(ref attempts) == 1 ? null : new StoreReply(StoreReplyKind.Value, "v"u8.ToArray(), 0, 0, [], ""),
            PatientSettings, losses);

        var read = client.GetAsync(K("a"));
        await AwaitConditionAsync(() => Task.FromResult(store.Count(Left.Id) == 1), TimeSpan.FromSeconds(10));
        losses.Lost(1);

        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.Equal("v", ValueOf(await read));
        Assert.Equal(2, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_read_the_store_never_answers_is_sent_again_and_ends_as_Unavailable()
    {
        var (client, store) = Start(_ => null);

        var reply = Assert.IsType<KvReply.Error>(await client.GetAsync(K("a")));

        Assert.Equal(KvErrorCode.Unavailable, reply.Code);
        Assert.True(store.Count(Left.Id) >= 2, $"the read was sent {store.Count(Left.Id)} time(s)");
    }

    [Fact]
    public async Task A_write_refused_before_it_entered_a_log_is_sent_again_and_succeeds()
    {
        var refusals = 0;
        var (client, store) = Start(_ => Interlocked.Increment(ref refusals) <= 2
            ? StoreReply.Of(StoreReplyKind.Retry, "no leader yet")
            : new StoreReply(StoreReplyKind.Integer, null, 1, 0, [], ""));

        Assert.Equal(new KvReply.Integer(1), await client.IncrementAsync(K("a"), 1));
        Assert.Equal(3, store.Count(Left.Id));
    }

    [Fact]
    public async Task A_write_applied_in_one_region_but_never_taken_by_another_is_answered_OutcomeUnknown_not_Unavailable()
    {
        // DEL a z: the left region removes "a", the right one never finds a leader. Resending the DEL would count "a" again.
        var (client, store) = Start(request => request.RegionId == Left.Id
            ? new StoreReply(StoreReplyKind.Integer, null, 1, 0, [], "")
            : StoreReply.Of(StoreReplyKind.Retry, "no leader"));

        var reply = Assert.IsType<KvReply.Error>(await client.DeleteAsync([K("a"), K("z")]));

        Assert.Equal(KvErrorCode.OutcomeUnknown, reply.Code);
        Assert.Equal(1, store.Count(Left.Id));
        Assert.True(store.Count(Right.Id) >= 2, "the region that certainly did not apply it is retried within the deadline");
    }

    [Fact]
    public async Task A_write_no_region_took_stays_Unavailable_so_clients_may_retry_it()
    {
        var (client, _) = Start(_ => StoreReply.Of(StoreReplyKind.NotLeader, "no leader"));

        var reply = Assert.IsType<KvReply.Error>(await client.DeleteAsync([K("a"), K("z")]));

        Assert.Equal(KvErrorCode.Unavailable, reply.Code);
    }

    /// <summary>
    /// Regression: after a move, a router whose cached region predates it ignored a leader hint naming the new store (not
    /// among the cached peers) and kept guessing among the old ones until its deadline.
    /// </summary>
    [Fact]
    public async Task A_leader_hint_naming_a_store_outside_the_cached_region_reloads_the_region_and_reaches_the_leader()
    {
        var before = new Region(1, [], "m"u8, RegionEpoch.Initial,
            [new RegionPeer(1, 11, PeerRole.Voter), new RegionPeer(2, 21, PeerRole.Voter), new RegionPeer(3, 31, PeerRole.Voter)]);
        var after = new Region(1, [], "m"u8, new RegionEpoch(RegionEpoch.Initial.ConfVersion + 2, RegionEpoch.Initial.Version),
            [new RegionPeer(2, 21, PeerRole.Voter), new RegionPeer(3, 31, PeerRole.Voter), new RegionPeer(4, 41, PeerRole.Voter)]);
        var lookups = 0;
        var placement = Sys.ActorOf(Props.Create(() => new ScriptedPlacement(() =>
            Interlocked.Increment(ref lookups) == 1 ? RegionDescriptor.From(before, leaderStore: 1) : RegionDescriptor.From(after, leaderStore: 0))));
        var store = new ScriptedStore(request => request.TargetStore == 4
            ? new StoreReply(StoreReplyKind.Integer, null, 1, 0, [], "")
            : StoreReply.Of(StoreReplyKind.NotLeader, "not the leader", leaderStore: 4));
        var client = new KvClient(Sys, Sys.ActorOf(Props.Create(() => new ScriptedStoreActor(store))), placement, Settings);

        Assert.Equal(new KvReply.Integer(1), await client.IncrementAsync(K("a"), 1));
        Assert.True(lookups >= 2, "placement was asked again");
    }

    [Fact]
    public async Task A_router_with_every_place_taken_answers_Busy_without_sending_the_request()
    {
        // One place; the silent store keeps it taken by a read until that read's deadline (3 s: the write below must be
        // sent while the read still waits, however slowly this test runs). The backoff outlasts the deadline, so the
        // refused write is tried exactly once.
        var settings = RegionSettings.Create(ConfigurationFactory.ParseString(
            "akka-raft.router { max-in-flight = 1, request-timeout = 3s, attempt-timeout = 3s, min-backoff = 10s, max-backoff = 10s }"));
        var store = new ScriptedStore(_ => null);
        var client = new KvClient(Sys, Sys.ActorOf(Props.Create(() => new ScriptedStoreActor(store))), Sys.ActorOf(Props.Create(() => new FixedPlacement())), settings);
        var read = client.GetAsync(K("a"));
        await AwaitAssertAsync(() => Assert.Equal(1, store.Count(Left.Id)), TimeSpan.FromSeconds(5));

        var write = Assert.IsType<KvReply.Error>(await client.IncrementAsync(K("b"), 1));

        Assert.Equal(KvErrorCode.Busy, write.Code);
        Assert.Contains("max-in-flight", write.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Count(Left.Id));
        Assert.Equal(KvErrorCode.Unavailable, Assert.IsType<KvReply.Error>(await read).Code);
    }

    [Fact]
    public void Replica_failures_map_to_store_replies_by_whether_the_write_can_have_been_applied()
    {
        StoreReply Map(RaftFailure failure, bool isWrite) =>
            StoreReplies.FromReplica(new ProposeFailed(Left.Id, failure, 0, "detail"), Left, 1, isWrite);

        Assert.Equal(StoreReplyKind.OutcomeUnknown, Map(RaftFailure.OutcomeUnknown, isWrite: true).Kind);
        Assert.Equal(StoreReplyKind.Retry, Map(RaftFailure.Dropped, isWrite: true).Kind);
        Assert.Equal(StoreReplyKind.Retry, Map(RaftFailure.Refused, isWrite: true).Kind);
        Assert.Equal(StoreReplyKind.NotLeader, Map(RaftFailure.NotLeader, isWrite: true).Kind);
        Assert.Equal(StoreReplyKind.ServerIsBusy, Map(RaftFailure.Busy, isWrite: true).Kind);
        Assert.Equal(StoreReplyKind.Retry, Map(RaftFailure.Timeout, isWrite: false).Kind);
        Assert.Equal(StoreReplyKind.Retry, Map(RaftFailure.Dropped, isWrite: false).Kind);
        // A write never gets a read's timeout; if it did, nothing would prove it stayed out of the log.
        Assert.Equal(StoreReplyKind.OutcomeUnknown, Map(RaftFailure.Timeout, isWrite: true).Kind);
    }

    // Attempts that would wait a minute: only something else can end them sooner.
    private static readonly RegionSettings PatientSettings = RegionSettings.Create(ConfigurationFactory.ParseString(
        "akka-raft.router { request-timeout = 120s, attempt-timeout = 60s, min-backoff = 10ms, max-backoff = 50ms }"));

    private (KvClient Client, ScriptedStore Store) Start(Func<StoreRequest, StoreReply?> answer, RegionSettings? settings = null, StoreLossTokens? losses = null)
    {
        var store = new ScriptedStore(answer);
        var storeRef = Sys.ActorOf(Props.Create(() => new ScriptedStoreActor(store)));
        var placement = Sys.ActorOf(Props.Create(() => new FixedPlacement()));
        return (new KvClient(Sys, storeRef, placement, settings ?? Settings, losses: losses), store);
    }

    /// <summary>The requests a scripted store saw, per region, and how it answers them (null: no answer).</summary>
    private sealed class ScriptedStore(Func<StoreRequest, StoreReply?> answer)
    {
        private readonly ConcurrentDictionary<ulong, int> _counts = new();

        public int Count(ulong regionId) => _counts.GetValueOrDefault(regionId);

        public StoreReply? Receive(StoreRequest request)
        {
            _counts.AddOrUpdate(request.RegionId, 1, (_, n) => n + 1);
            return answer(request);
        }
    }

    private sealed class ScriptedStoreActor : ReceiveActor
    {
        public ScriptedStoreActor(ScriptedStore store) =>
            Receive<StoreRequest>(request =>
            {
                if (store.Receive(request) is { } reply) Sender.Tell(reply with { RequestId = request.RequestId });
            });
    }

    private sealed class ScriptedPlacement : ReceiveActor
    {
        public ScriptedPlacement(Func<RegionDescriptor> left) =>
            Receive<PlacementLookup>(_ => Sender.Tell(new PlacementLookupReply(PlacementLookupStatus.Ok,
                [left(), RegionDescriptor.From(Right, leaderStore: 1)], 1, 100, 1, "")));
    }

    private sealed class FixedPlacement : ReceiveActor
    {
        public FixedPlacement() =>
            Receive<PlacementLookup>(_ => Sender.Tell(new PlacementLookupReply(PlacementLookupStatus.Ok,
                [RegionDescriptor.From(Left, leaderStore: 1), RegionDescriptor.From(Right, leaderStore: 1)], 1, 100, 1, "")));
    }
}
