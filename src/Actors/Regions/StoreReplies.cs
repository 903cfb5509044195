using System.Collections.Immutable;
using Akka.Actor;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// The one place the region path's outcomes are mapped: a replica's answer (<see cref="RaftFailure"/> or a state machine
/// result) to a <see cref="StoreReply"/>, a store reply to the caller's <see cref="KvReply"/>, and which kinds the
/// router retries. An unknown write outcome stays <see cref="StoreReplyKind.OutcomeUnknown"/> → <see cref="KvErrorCode.OutcomeUnknown"/>
/// (RESP -UNKNOWN) and is never retried; only what certainly was not applied ends as <see cref="KvErrorCode.Unavailable"/>
/// (RESP -TRYAGAIN). Also the per-region heartbeat probe.
/// </summary>
internal static class StoreReplies
{
    /// <summary>
    /// Largest encoded reply tree a region answers with (below the default 4 MiB remoting frame, which would drop a larger
    /// reply on its way to another node's router). A larger one (HGETALL of a huge hash) is answered with an error that
    /// says to read the collection in parts, never dropped.
    /// </summary>
    public const int MaxReplyBytes = 3 * 1024 * 1024;

    /// <summary>Errors that say the router's view (region, epoch, leader) is outdated or a store is overloaded: certainly not applied, so retried.</summary>
    public static bool IsRoutingError(StoreReplyKind kind) => kind is StoreReplyKind.NotLeader or StoreReplyKind.RegionNotFound
        or StoreReplyKind.KeyNotInRegion or StoreReplyKind.EpochNotMatch or StoreReplyKind.ServerIsBusy or StoreReplyKind.Retry;

    /// <summary>True for every kind but the three results (OK, value, integer).</summary>
    public static bool IsError(StoreReplyKind kind) => kind is not (StoreReplyKind.Ok or StoreReplyKind.Value or StoreReplyKind.Integer or StoreReplyKind.Reply);

    /// <summary>The router's answer when a store or replica did not answer within the attempt: a write's fate is unknown, a read changed nothing.</summary>
    public static StoreReply NoAnswer(ulong regionId, string why, bool isWrite) => isWrite
        ? StoreReply.Of(StoreReplyKind.OutcomeUnknown, $"[region {regionId}] {why}: the write may or may not have been applied")
        : StoreReply.Of(StoreReplyKind.Retry, $"[region {regionId}] {why}");

    /// <summary>The router's overflow answer: <paramref name="capacity"/> requests already wait, so this one was not sent.</summary>
    public static StoreReply RouterFull(int capacity) =>
        StoreReply.Of(StoreReplyKind.ServerIsBusy, $"the router already has {capacity} requests in flight (akka-raft.router.max-in-flight); request not sent");

    /// <summary>The answer when the deadline ends a retry loop: the last error, as a final one.</summary>
    public static StoreReply AtDeadline(StoreReply last) => last.Kind == StoreReplyKind.ServerIsBusy
        ? last
        : StoreReply.Of(StoreReplyKind.Retry, $"deadline exceeded; last error: {last.Kind} {last.Detail}");

    /// <summary>Maps a final store reply to the caller's reply (null: the keys no longer lay in one region).</summary>
    public static KvReply ToKvReply(StoreReply? reply) => reply switch
    {
        null => new KvReply.Error(KvErrorCode.Unavailable, "regions changed while routing; retry"),
        { Kind: StoreReplyKind.Ok } => KvReply.Ok,
        { Kind: StoreReplyKind.Value } => new KvReply.Value(reply.Value),
        { Kind: StoreReplyKind.Integer } => new KvReply.Integer(reply.Number),
        { Kind: StoreReplyKind.NotAnInteger } => new KvReply.Error(KvErrorCode.NotAnInteger, reply.Detail),
        { Kind: StoreReplyKind.Overflow } => new KvReply.Error(KvErrorCode.Overflow, reply.Detail),
        { Kind: StoreReplyKind.InvalidRequest } => new KvReply.Error(KvErrorCode.InvalidRequest, reply.Detail),
        { Kind: StoreReplyKind.TooLarge } => new KvReply.Error(KvErrorCode.TooLarge, reply.Detail),
        { Kind: StoreReplyKind.OutcomeUnknown } => new KvReply.Error(KvErrorCode.OutcomeUnknown, reply.Detail),
        { Kind: StoreReplyKind.ServerIsBusy } => new KvReply.Error(KvErrorCode.Busy, reply.Detail),
        { Kind: StoreReplyKind.Reply } => FromReplyTree(reply.Value),
        // Routing errors left at the deadline: certainly not applied.
        _ => new KvReply.Error(KvErrorCode.Unavailable, reply.Detail),
    };

    /// <summary>Maps a replica's answer (proposal or read outcome) to a store reply; peer-id leader hints become store ids.</summary>
    public static StoreReply FromReplica(object answer, Region region, ulong storeId, bool isWrite) => answer switch
    {
        ProposeSucceeded succeeded => FromResult(succeeded.Result, region),
        ReadSucceeded read => FromResult(read.Value, region),
        ProposeFailed failed => failed.Failure switch
        {
            RaftFailure.NotLeader => StoreReply.Of(StoreReplyKind.NotLeader,
                $"[region {region.Id}] store {storeId} is not the leader: {failed.Detail}", StoreOfPeer(region, failed.LeaderHint)),
            RaftFailure.GroupNotFound => StoreReply.Of(StoreReplyKind.RegionNotFound, $"[region {region.Id}] replica not running on store {storeId}"),
            RaftFailure.Busy => StoreReply.Of(StoreReplyKind.ServerIsBusy, $"[region {region.Id}] {failed.Detail}"),
            RaftFailure.TooLarge => StoreReply.Of(StoreReplyKind.TooLarge, $"[region {region.Id}] {failed.Detail}"),
            RaftFailure.Dropped or RaftFailure.Refused => StoreReply.Of(StoreReplyKind.Retry, $"[region {region.Id}] {failed.Failure}: {failed.Detail}"),
            // A read that timed out changed nothing: it is safe to retry.
            RaftFailure.Timeout when !isWrite => StoreReply.Of(StoreReplyKind.Retry, $"[region {region.Id}] {failed.Detail}"),
            RaftFailure.OutcomeUnknown => StoreReply.Of(StoreReplyKind.OutcomeUnknown, $"[region {region.Id}] {failed.Detail}"),
            // Anything else on a write: nothing says it stayed out of the log, so it is not reported as safe to retry.
            _ => StoreReply.Of(isWrite ? StoreReplyKind.OutcomeUnknown : StoreReplyKind.Retry, $"[region {region.Id}] {failed.Failure}: {failed.Detail}"),
        },
        _ => StoreReply.Of(StoreReplyKind.InvalidRequest, $"[region {region.Id}] unexpected answer {answer.GetType().Name}"),
    };

    private static StoreReply FromResult(object? result, Region region) => result switch
    {
        KvResult.OkResult or KvResult.SplitResult => StoreReply.Of(StoreReplyKind.Ok, ""),
        KvResult.ValueResult value => new StoreReply(StoreReplyKind.Value, value.Data, 0, 0, [], ""),
        KvResult.IntegerResult integer => new StoreReply(StoreReplyKind.Integer, null, integer.Value, 0, [], ""),
        KvResult.KeyNotInRegion notIn => new StoreReply(StoreReplyKind.KeyNotInRegion, null, 0, 0, [RegionDescriptor.From(notIn.Region)], notIn.ToString()),
        KvResult.EpochNotMatch stale => new StoreReply(StoreReplyKind.EpochNotMatch, null, 0, 0, [RegionDescriptor.From(stale.Current)], stale.ToString()),
        KvResult.NotAnInteger => StoreReply.Of(StoreReplyKind.NotAnInteger, "value is not an integer or out of range"),
        KvResult.Overflow => StoreReply.Of(StoreReplyKind.Overflow, "increment or decrement would overflow"),
        KvResult.InvalidCommand invalid => StoreReply.Of(StoreReplyKind.InvalidRequest, invalid.Reason),
        KvResult reply when RedisReplyCodec.CanEncode(reply) => ReplyTree(RedisReplyCodec.Encode(reply), region),
        _ => StoreReply.Of(StoreReplyKind.InvalidRequest, $"[region {region.Id}] unexpected result {result?.GetType().Name ?? "null"}"),
    };

    private static StoreReply ReplyTree(byte[] encoded, Region region) => encoded.Length <= MaxReplyBytes
        ? new StoreReply(StoreReplyKind.Reply, encoded, 0, 0, [], "")
        : new StoreReply(StoreReplyKind.Reply, RedisReplyCodec.Encode(new KvResult.ErrorResult(
            $"ERR [region {region.Id}] reply of {encoded.Length} bytes exceeds the {MaxReplyBytes} bytes a reply may carry; read the collection in parts (LRANGE, ZRANGE ranges)")), 0, 0, [], "");

    /// <summary>Decodes a reply tree carried by a <see cref="StoreReplyKind.Reply"/>.</summary>
    private static KvReply FromReplyTree(byte[]? encoded)
    {
        try
        {
            return ToKvReply(RedisReplyCodec.Decode(encoded ?? []));
        }
        catch (KvCodecException e)
        {
            return new KvReply.Error(KvErrorCode.InvalidRequest, $"undecodable reply: {e.Message}");
        }
    }

    /// <summary>A reply tree as the caller's reply.</summary>
    public static KvReply ToKvReply(KvResult result) => result switch
    {
        KvResult.OkResult => KvReply.Ok,
        KvResult.ValueResult value => new KvReply.Value(value.Data),
        KvResult.IntegerResult integer => new KvReply.Integer(integer.Value),
        KvResult.StatusResult status => new KvReply.Status(status.Text),
        KvResult.ErrorResult error => new KvReply.Error(KvErrorCode.CommandError, error.Message),
        KvResult.DoubleResult number => new KvReply.Double(number.Value),
        KvResult.ArrayResult { Items: null } => new KvReply.Array(null),
        KvResult.ArrayResult array => new KvReply.Array([.. array.Items.Select(ToKvReply)], array.Shape),
        _ => new KvReply.Error(KvErrorCode.InvalidRequest, $"unexpected result {result.GetType().Name}"),
    };

    private static ulong StoreOfPeer(Region region, ulong peerId) =>
        peerId == 0 ? 0 : region.Peers.FirstOrDefault(p => p.PeerId == peerId).StoreId;

    /// <summary>What this store's replica knows about a region: role and term, and (on the leader) epoch and size.</summary>
    public static async Task<RegionHeartbeat?> CollectAsync(IActorRef coordinator, Region region, IReadOnlySet<ulong> downStores, TimeSpan timeout)
    {
        try
        {
            if (await coordinator.Ask<object>(new GetGroupStatus(region.Id), timeout).ConfigureAwait(false) is not GroupStatus status) return null;
            var isLeader = status.Role == Core.Raft.StateRole.Leader;
            if (!isLeader) return new RegionHeartbeat(region.Id, region.Epoch, false, status.Term, 0, []);
            // The leader's applied state, read in place: a ReadIndex here would wake every hibernating region each heartbeat.
            var read = await coordinator.Ask<object>(new PeekState(region.Id, sm => (((KvStateMachine)sm).Region, ((KvStateMachine)sm).ApproximateSizeBytes)), timeout)
                .ConfigureAwait(false);
            if (read is not ReadSucceeded { Value: (Region current, long size) }) return new RegionHeartbeat(region.Id, region.Epoch, false, status.Term, 0, []);
            var down = current.Peers.Where(p => downStores.Contains(p.StoreId)).Select(p => p.StoreId).ToImmutableArray();
            return new RegionHeartbeat(region.Id, current.Epoch, true, status.Term, size, down);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
