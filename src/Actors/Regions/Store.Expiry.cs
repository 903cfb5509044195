using Akka.Actor;
using Akka.Event;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// Active expiry (Redis's expire cycle, replicated): every <c>expiry-sweep-interval</c> the store looks, on each awake region
/// it leads, for up to <c>expiry-sweep-keys</c> keys whose expiry passed on the leader's state machine, and proposes their
/// removal through Raft as <see cref="PurgeExpiredCommand"/>s. Replicas never decide on their own, so they stay identical;
/// the purge removes a key only if it is still expired when applied. Followers and hibernating groups are left alone (a
/// status look first, then a read in place, neither of which wakes a group): a sleeping region is swept in the first round
/// after something wakes it. One sweep per region at a time.
/// </summary>
internal sealed partial class Store
{
    private const string ExpirySweepTimer = "expiry-sweep";
    // Regions with a sweep in flight; bounded by the regions this store hosts.
    private readonly HashSet<ulong> _sweeping = [];

    private void ReceiveExpiryMessages()
    {
        // One look at the coordinator's awake set per round: with thousands of sleeping regions a round costs one ask, not one per region.
        Receive<ExpirySweepTick>(_ => _coordinator.Ask<HostedGroups>(GetHostedGroups.Instance, _replicaTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully ? new ExpirySweepAwake(t.Result.AwakeGroupIds) : new ExpirySweepAwake([]), TaskScheduler.Default)
            .PipeTo(Self));
        Receive<ExpirySweepAwake>(awake => SweepExpired(awake.GroupIds));
        Receive<ExpirySweepDone>(done =>
        {
            _sweeping.Remove(done.RegionId);
            if (done.Removed > 0) _log.Debug("[region {0}] expiry sweep removed {1} expired keys", done.RegionId, done.Removed);
            else if (done.Failure is not null) _log.Debug("[region {0}] expiry sweep did not finish: {1}", done.RegionId, done.Failure);
        });
    }

    private void StartExpirySweeps() =>
        Timers.StartPeriodicTimer(ExpirySweepTimer, ExpirySweepTick.Instance, _settings.ExpirySweepInterval);

    private void SweepExpired(IReadOnlyList<ulong> awakeGroupIds)
    {
        var awake = awakeGroupIds.ToHashSet();
        var coordinator = _coordinator;
        var timeout = _replicaTimeout;
        var max = _settings.ExpirySweepKeys;
        var maxBatchBytes = Math.Max(1024, _settings.MaxEntryBytes / 2);
        var now = ExpiryNowMs();
        foreach (var region in _regions.Values.Where(r => awake.Contains(r.Id) && !_splitting.Contains(r.Id) && !_sweeping.Contains(r.Id)))
        {
            var id = region.Id;
            _sweeping.Add(id);
            SweepAsync(coordinator, id, now, max, maxBatchBytes, timeout)
                .ContinueWith(t => new ExpirySweepDone(id, t.IsCompletedSuccessfully ? t.Result : 0, t.Exception?.GetBaseException().Message), TaskScheduler.Default)
                .PipeTo(Self);
        }
    }

    /// <summary>On an awake leader: finds expired keys in place and proposes their purge in batches; the number removed.</summary>
    private static async Task<long> SweepAsync(IActorRef coordinator, ulong regionId, long nowMs, int max, long maxBatchBytes, TimeSpan timeout)
    {
        if (await coordinator.Ask<object>(new GetGroupStatus(regionId), timeout).ConfigureAwait(false) is not GroupStatus { Role: StateRole.Leader, Hibernating: false })
            return 0;
        var found = await coordinator.Ask<object>(new PeekState(regionId, sm =>
        {
            var machine = (KvStateMachine)sm;
            return (machine.Region, machine.FindExpiredKeys(nowMs, max));
        }), timeout).ConfigureAwait(false);
        if (found is not ReadSucceeded { Value: (Core.Regions.Region region, IReadOnlyList<byte[]> keys) } || keys.Count == 0) return 0;
        long removed = 0;
        foreach (var batch in Batches(keys, maxBatchBytes))
        {
            var purge = new PurgeExpiredCommand(region.Id, region.Epoch, nowMs, [.. batch]);
            var reply = await coordinator.Ask<object>(new Propose(regionId, KvCommandCodec.Encode(purge)), timeout).ConfigureAwait(false);
            // Anything but a count (lost leadership, a split in between: EpochNotMatch) ends this round; the next one looks again.
            if (reply is not ProposeSucceeded { Result: KvResult.IntegerResult count }) break;
            removed += count.Value;
        }
        return removed;
    }

    /// <summary>Consecutive runs of keys under both the purge's key limit and a byte budget (so no proposal nears the entry limit).</summary>
    private static IEnumerable<List<byte[]>> Batches(IReadOnlyList<byte[]> keys, long maxBytes)
    {
        var batch = new List<byte[]>();
        long bytes = 0;
        foreach (var key in keys)
        {
            if (batch.Count > 0 && (batch.Count == PurgeExpiredCommand.MaxKeys || bytes + key.Length + 8 > maxBytes))
            {
                yield return batch;
                (batch, bytes) = ([], 0);
            }
            batch.Add(key);
            bytes += key.Length + 8;
        }
        if (batch.Count > 0) yield return batch;
    }

    private sealed record ExpirySweepTick : INoSerializationVerificationNeeded
    {
        public static ExpirySweepTick Instance { get; } = new();
    }

    private sealed record ExpirySweepAwake(IReadOnlyList<ulong> GroupIds) : INoSerializationVerificationNeeded;

    private sealed record ExpirySweepDone(ulong RegionId, long Removed, string? Failure) : INoSerializationVerificationNeeded;
}
