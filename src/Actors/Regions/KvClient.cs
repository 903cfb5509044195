using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using AkkaRaft.Actors.Client;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// The router behind <see cref="IKvClient"/>: keeps a region cache, resolves key → region → leader store, sends the
/// command (encoded once, stamped with the region's epoch; the leader's store stamps the time) through the local store, refreshes its cache from
/// typed errors and retries with backoff within the request deadline. Only what certainly was not applied is retried: a
/// write whose outcome is unknown is answered <see cref="KvErrorCode.OutcomeUnknown"/> at once. Reads are ReadIndex reads on the leader.
/// Multi-key commands are split by region and are atomic per region only. Thread-safe.
/// </summary>
/// <remarks>
/// No Ask on the data path: each request gets an id in a bounded table of waiting calls (<see cref="PendingCalls{TReply}"/>),
/// goes out with this router's one inbox actor as sender, and the reply (from the store, or straight from the region's
/// replica) names the id. A full table answers ServerIsBusy without sending; a call without a reply by its attempt
/// timeout ends as an unknown outcome (write) or a retry (read).
/// </remarks>
public sealed partial class KvClient : IKvClient
{
    private static int _inboxes;
    private readonly IActorRef _store;
    private readonly IActorRef _inbox;
    private readonly PendingCalls<StoreReply> _calls;
    private readonly IActorRef _placement;
    private readonly RegionSettings _settings;
    private readonly TimeProvider _clock;
    private readonly StoreLossTokens? _losses;
    private readonly ConcurrentDictionary<ulong, ulong> _leaders = new();
    private readonly object _cacheGate = new();
    private RoutingTable _cache = RoutingTable.Empty;
    private int _leaderGuess;
    private int _disposed;

    /// <summary>
    /// A router of <paramref name="system"/> sending through the local <paramref name="store"/> and asking the local
    /// <paramref name="placement"/> service; its inbox is a system actor of <paramref name="system"/>. <paramref name="losses"/>
    /// (signalled by that store) ends requests to a store whose node was lost without waiting out the attempt.
    /// </summary>
    public KvClient(ActorSystem system, IActorRef store, IActorRef placement, RegionSettings settings, TimeProvider? clock = null, StoreLossTokens? losses = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        _store = store;
        _placement = placement;
        _settings = settings;
        _clock = clock ?? TimeProvider.System;
        // Timeouts are noticed within a tenth of an attempt (at least every 100 ms, at most every 5 ms).
        var sweep = TimeSpan.FromTicks(Math.Clamp(settings.AttemptTimeout.Ticks / 10, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(100).Ticks));
        _calls = new PendingCalls<StoreReply>(settings.RouterMaxInFlight, sweep, _clock);
        _inbox = ((ExtendedActorSystem)system).SystemActorOf(ClientInbox<StoreReply>.Props(_calls), $"akka-raft-router-inbox-{Interlocked.Increment(ref _inboxes)}");
        _losses = losses;
    }

    /// <summary>Requests waiting for their reply now (for diagnostics).</summary>
    public int InFlight => _calls.Count;

    /// <summary>The regions currently cached (for diagnostics).</summary>
    public RoutingTable CachedRegions => Volatile.Read(ref _cache);

    /// <inheritdoc />
    public async Task<KvReply> GetAsync(byte[] key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var reply = await CallAsync([key], r => Request(r, new GetCommand(r.Id, r.Epoch, key)), false, StartDeadline(), cancellationToken).ConfigureAwait(false);
        return StoreReplies.ToKvReply(reply);
    }

    /// <inheritdoc />
    public Task<KvReply> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => GetAsync(key.ToArray(), cancellationToken);

    /// <inheritdoc />
    public Task<KvReply> SetAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, SetOptions options = default, CancellationToken cancellationToken = default) =>
        SetAsync(key.ToArray(), value.ToArray(), options, cancellationToken);

    /// <summary>
    /// Stops this router's inbox and ends its waiting requests (a write among them answers OutcomeUnknown: it may have been
    /// applied); later requests throw <see cref="ObjectDisposedException"/>. The node's store and regions keep running.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return ValueTask.CompletedTask;
        _calls.EndAll();
        _inbox.Tell(PoisonPill.Instance);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<KvReply> SetAsync(byte[] key, byte[] value, SetOptions options = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (options.OnlyIfAbsent && options.OnlyIfPresent) return Invalid("NX and XX options at the same time are not compatible");
        if (options.ExpireAfterMs is <= 0) return Invalid("invalid expire time in 'set' command");
        var condition = options.OnlyIfAbsent ? SetCondition.IfAbsent : options.OnlyIfPresent ? SetCondition.IfPresent : SetCondition.None;
        // EX/PX travel as a duration: the leader's store stamps the time it counts from.
        var reply = await CallAsync([key], r => Request(r, new SetCommand(r.Id, r.Epoch, 0, key, value, null, condition, options.ReturnOld, options.ExpireAfterMs)),
            true, StartDeadline(), cancellationToken).ConfigureAwait(false);
        return StoreReplies.ToKvReply(reply);
    }

    /// <inheritdoc />
    public async Task<KvReply> IncrementAsync(byte[] key, long delta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var reply = await CallAsync([key], r => Request(r, new IncrByCommand(r.Id, r.Epoch, 0, key, delta)), true, StartDeadline(), cancellationToken)
            .ConfigureAwait(false);
        return StoreReplies.ToKvReply(reply);
    }

    /// <inheritdoc />
    public Task<KvReply> DeleteAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return SumPerRegionAsync(keys, (r, part) => Request(r, new DeleteCommand(r.Id, r.Epoch, 0, [.. part])), true, "del", cancellationToken);
    }

    /// <inheritdoc />
    public Task<KvReply> ExistsAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return SumPerRegionAsync(keys, (r, part) => Request(r, new ExistsCommand(r.Id, r.Epoch, [.. part])), false, "exists", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<KvReply>> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var replies = await Task.WhenAll(keys.Select(key => GetAsync(key, cancellationToken))).ConfigureAwait(false);
        // Redis's MGET answers nil for a key holding another type, not WRONGTYPE.
        for (var i = 0; i < replies.Length; i++)
            if (replies[i] is KvReply.Error { Code: KvErrorCode.CommandError } error && error.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
                replies[i] = new KvReply.Value(null);
        return replies;
    }

    /// <inheritdoc />
    public async Task<KvReply> SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return Invalid("wrong number of arguments for 'mset' command");
        var keys = pairs.Select(p => p.Key).ToList();
        var outcome = await CallPerRegionAsync(keys, Enumerable.Range(0, keys.Count).ToArray(),
            (r, indexes) => Request(r, new MSetCommand(r.Id, r.Epoch, 0, [.. indexes.Select(i => new KeyValue(pairs[i].Key, pairs[i].Value))])),
            true, StartDeadline(), cancellationToken).ConfigureAwait(false);
        return outcome.Error is { } error ? StoreReplies.ToKvReply(error) : KvReply.Ok;
    }

    /// <inheritdoc />
    public async Task<KvReply> CountKeysAsync(CancellationToken cancellationToken = default)
    {
        var deadline = StartDeadline();
        var regions = await LookupAllAsync(deadline, cancellationToken).ConfigureAwait(false);
        if (regions is null) return new KvReply.Error(KvErrorCode.Unavailable, "placement did not answer within the deadline");
        var counts = await Task.WhenAll(regions.Select(d => d.ToRegion()).Select(region =>
            CallAsync([region.StartKey], r => new StoreRequest(0, r.Id, null, r.Epoch.ConfVersion, r.Epoch.Version), false, deadline, cancellationToken)))
            .ConfigureAwait(false);
        long total = 0;
        foreach (var count in counts)
        {
            if (count is not { Kind: StoreReplyKind.Integer }) return StoreReplies.ToKvReply(count ?? StoreReply.Of(StoreReplyKind.Retry, "regions changed while counting"));
            total += count.Number;
        }
        return new KvReply.Integer(total);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RegionSummary>> RegionsAsync(CancellationToken cancellationToken = default)
    {
        var regions = await LookupAllAsync(StartDeadline(), cancellationToken).ConfigureAwait(false);
        if (regions is null)
        {
            return [.. CachedRegions.Regions.Select(r => new RegionSummary(r.Id, r.StartKey, r.EndKey, r.Epoch.ToString(),
                _leaders.GetValueOrDefault(r.Id), [.. r.Peers.Select(p => p.StoreId)], -1))];
        }
        return [.. regions.Select(d => new RegionSummary(d.Id, d.StartKey, d.EndKey, d.ToRegion().Epoch.ToString(), d.LeaderStore, d.PeerStores, d.ApproximateSizeBytes))];
    }

    /// <inheritdoc />
    public async Task<KvReply> ExecuteAsync(IReadOnlyList<byte[]> arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Count == 0 || RedisCommandTable.Find(arguments[0]) is not { } spec) return Invalid("unknown command");
        var args = arguments.ToImmutableArray();
        // Arity, syntax and number errors need no data: answered here, never proposed.
        if (RedisCommandTable.ArgumentError(args) is { } argumentError) return new KvReply.Error(KvErrorCode.CommandError, argumentError);
        var keys = RedisCommandTable.KeysOf(args).ToList();
        if (keys.Count == 0) return Invalid($"'{spec.Name}' names no key");
        var deadline = StartDeadline();
        while (!deadline.IsOver(_clock))
        {
            var region = await ResolveAsync(keys[0], deadline, cancellationToken).ConfigureAwait(false);
            if (region is null) break;
            // A command runs in one region, atomically there; keys of several regions are refused as Redis Cluster refuses several slots.
            if (!keys.All(k => region.Contains(k)))
                return new KvReply.Error(KvErrorCode.CommandError, CrossRegionError);
            var reply = await CallAsync(keys, r => Request(r, spec.IsWrite ? new RedisWriteCommand(r.Id, r.Epoch, 0, args) : new RedisReadCommand(r.Id, r.Epoch, args)),
                spec.IsWrite, deadline, cancellationToken).ConfigureAwait(false);
            // Null: the region changed under the keys (a split); look again.
            if (reply is not null) return StoreReplies.ToKvReply(reply);
        }
        return new KvReply.Error(KvErrorCode.Unavailable, $"no region for key {KeyText.Quote(keys[0])} within the deadline");
    }

    /// <summary>The error of a typed command whose keys lie in several regions (Redis Cluster's CROSSSLOT, for regions).</summary>
    public const string CrossRegionError = "CROSSSLOT Keys in request don't hash to the same region";

    // ---- Multi-key: split by region ----

    private async Task<KvReply> SumPerRegionAsync(IReadOnlyList<byte[]> keys, Func<Region, IEnumerable<byte[]>, StoreRequest> build, bool isWrite, string verb, CancellationToken ct)
    {
        if (keys.Count == 0) return Invalid($"wrong number of arguments for '{verb}' command");
        var outcome = await CallPerRegionAsync(keys, Enumerable.Range(0, keys.Count).ToArray(), (r, indexes) => build(r, indexes.Select(i => keys[i])),
            isWrite, StartDeadline(), ct).ConfigureAwait(false);
        if (outcome.Error is { } error) return StoreReplies.ToKvReply(error);
        return new KvReply.Integer(outcome.Parts.Sum(p => p.Number));
    }

    /// <summary>Groups the keys at <paramref name="indexes"/> by region and calls each region once; regroups when a region changed.</summary>
    private async Task<(List<StoreReply> Parts, StoreReply? Error)> CallPerRegionAsync(
        IReadOnlyList<byte[]> keys, int[] indexes, Func<Region, int[], StoreRequest> build, bool isWrite, Deadline deadline, CancellationToken ct)
    {
        var groups = new Dictionary<ulong, List<int>>();
        foreach (var index in indexes)
        {
            var region = await ResolveAsync(keys[index], deadline, ct).ConfigureAwait(false);
            if (region is null) return ([], StoreReply.Of(StoreReplyKind.Retry, $"no region for key {KeyText.Quote(keys[index])} within the deadline"));
            if (!groups.TryGetValue(region.Id, out var group)) groups[region.Id] = group = [];
            group.Add(index);
        }
        var results = await Task.WhenAll(groups.Values.Select(async group =>
        {
            var part = group.ToArray();
            var reply = await CallAsync([.. part.Select(i => keys[i])], r => build(r, part), isWrite, deadline, ct).ConfigureAwait(false);
            return reply is null
                ? await CallPerRegionAsync(keys, part, build, isWrite, deadline, ct).ConfigureAwait(false)
                : StoreReplies.IsError(reply.Kind) ? ([], reply) : ([reply], null);
        })).ConfigureAwait(false);
        var parts = results.SelectMany(r => r.Parts).ToList();
        var errors = results.Select(r => r.Error).OfType<StoreReply>().ToList();
        if (errors.Count == 0) return (parts, null);
        // An unknown outcome wins over "not applied"; so does a write that some regions applied while another could not:
        // retrying it would apply those parts twice.
        var error = errors.FirstOrDefault(e => e.Kind == StoreReplyKind.OutcomeUnknown) ?? errors[0];
        if (isWrite && parts.Count > 0 && error.IsRoutingError)
            error = StoreReply.Of(StoreReplyKind.OutcomeUnknown, $"applied in {parts.Count} of {parts.Count + errors.Count} regions, not in another: {error.Kind} {error.Detail}");
        return (parts, error);
    }

    // ---- One region: resolve, send, learn, retry ----

    /// <summary>
    /// Sends to the leader of the region holding <paramref name="keys"/> until a final answer or the deadline; null when the
    /// keys no longer lie in one region (the caller regroups).
    /// </summary>
    private async Task<StoreReply?> CallAsync(IReadOnlyList<byte[]> keys, Func<Region, StoreRequest> build, bool isWrite, Deadline deadline, CancellationToken ct)
    {
        var last = StoreReply.Of(StoreReplyKind.Retry, "no attempt made");
        for (var attempt = 0; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            if (deadline.IsOver(_clock)) return StoreReplies.AtDeadline(last);
            var region = await ResolveAsync(keys[0], deadline, ct).ConfigureAwait(false);
            if (region is null) return StoreReplies.AtDeadline(StoreReply.Of(StoreReplyKind.Retry, $"no region for key {KeyText.Quote(keys[0])} within the deadline; last error: {last.Detail}"));
            if (!keys.All(k => region.Contains(k))) return null;
            var store = LeaderOf(region);
            var request = build(region);
            // A command over the entry limit would be refused by the leader, or dropped by remoting on the way to it: refuse it here.
            if (request.Command is { Length: var size } && size > _settings.MaxEntryBytes)
                return StoreReply.Of(StoreReplyKind.TooLarge, $"[region {region.Id}] command of {size} bytes exceeds akka-raft.max-entry-bytes ({_settings.MaxEntryBytes})");
            // Cancelled when this node's transport loses that store's node: the attempt ends then, not at its timeout.
            var lost = _losses?.For(store) ?? CancellationToken.None;
            StoreReply? reply;
            var why = $"no answer from store {store} in time";
            try
            {
                using var linked = lost.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(ct, lost) : null;
                reply = await SendAsync(request, store, deadline, isWrite, linked?.Token ?? ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                reply = null;
                why = $"store {store}'s node was lost before it answered";
            }
            if (reply is null)
            {
                // Whatever the outcome, the next request should not wait on the same silent (or lost) store first.
                // A write's answer is final (outcome unknown); a read's is a retry.
                _leaders.TryRemove(region.Id, out _);
                reply = StoreReplies.NoAnswer(region.Id, why, isWrite);
                if (!reply.IsRoutingError) return reply;
            }
            else if (!reply.IsRoutingError)
            {
                // Only the leader answers a request: remember it, so the next one does not guess (and maybe hit a silent store).
                if (store != 0) _leaders[region.Id] = store;
                return reply;
            }
            last = reply;
            var pause = Learn(region, store, reply);
            // An attempt begun with no time left could only end "no answer" (for a write: outcome unknown): end with the last error.
            if (pause && !await BackoffAsync(attempt, deadline, ct).ConfigureAwait(false)) return StoreReplies.AtDeadline(last);
        }
    }

    /// <summary>
    /// One attempt: <paramref name="request"/> to <paramref name="store"/> through the local store, the reply to this
    /// router's inbox; null when none came in time. A read waits one attempt timeout (then it is simply sent again); a
    /// write waits for the rest of the request's deadline: the leader answers every proposal (applied, refused, or
    /// unknown at its own deadline), and a store whose node is lost ends the wait at once (the loss token), so a slow
    /// answer from a live leader is not turned into "outcome unknown" early. A full table answers ServerIsBusy without sending.
    /// </summary>
    private async Task<StoreReply?> SendAsync(StoreRequest request, ulong store, Deadline deadline, bool isWrite, CancellationToken ct)
    {
        var wait = isWrite ? deadline.Cap(deadline.Budget, _clock) : deadline.Cap(_settings.AttemptTimeout, _clock);
        if (!_calls.TryStart(wait, ct, out var id, out var reply)) return StoreReplies.RouterFull(_calls.Capacity);
        _store.Tell(request with { TargetStore = store, RequestId = id }, _inbox);
        return await reply.ConfigureAwait(false);
    }

    /// <summary>Updates the cache from a routing error; true when the next attempt should wait first.</summary>
    private bool Learn(Region region, ulong store, StoreReply reply)
    {
        switch (reply.Kind)
        {
            case StoreReplyKind.NotLeader when reply.LeaderStore != 0 && reply.LeaderStore != store && region.Peers.Any(p => p.StoreId == reply.LeaderStore):
                _leaders[region.Id] = reply.LeaderStore;
                return false;
            case StoreReplyKind.NotLeader when reply.LeaderStore != 0 && reply.LeaderStore != store:
                // A leader on a store the cached region does not have: its membership changed (a move). Ask placement again.
                Invalidate(region.Id);
                return false;
            case StoreReplyKind.NotLeader:
            case StoreReplyKind.Retry:
                _leaders.TryRemove(region.Id, out _);
                return true;
            case StoreReplyKind.RegionNotFound:
                Invalidate(region.Id);
                return true;
            case StoreReplyKind.KeyNotInRegion:
            case StoreReplyKind.EpochNotMatch:
                Invalidate(region.Id);
                Remember(reply.Regions);
                return true;
            default:
                return true;
        }
    }

    private ulong LeaderOf(Region region)
    {
        if (_leaders.TryGetValue(region.Id, out var leader) && leader != 0) return leader;
        var voters = region.Peers.Where(p => p.Role == PeerRole.Voter).ToList();
        if (voters.Count == 0) return 0;
        // No leader known: guess, starting somewhere else each time so one silent store does not catch every first try.
        var guess = (uint)Interlocked.Increment(ref _leaderGuess);
        return voters[(int)(guess % (uint)voters.Count)].StoreId;
    }

    private async Task<Region?> ResolveAsync(byte[] key, Deadline deadline, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (CachedRegions.Find(key) is { } cached) return cached;
            if (deadline.IsOver(_clock)) return null;
            var reply = await LookupAsync(new PlacementLookup(PlacementLookupKind.ByKey, key, 0), deadline, ct).ConfigureAwait(false);
            if (reply is { Status: PlacementLookupStatus.Ok }) Remember(reply.Regions);
            else if (!await BackoffAsync(attempt, deadline, ct).ConfigureAwait(false)) return null;
        }
    }

    private async Task<RegionDescriptor[]?> LookupAllAsync(Deadline deadline, CancellationToken ct)
    {
        for (var attempt = 0; !deadline.IsOver(_clock); attempt++)
        {
            var reply = await LookupAsync(new PlacementLookup(PlacementLookupKind.All, [], 0), deadline, ct).ConfigureAwait(false);
            if (reply is { Status: PlacementLookupStatus.Ok })
            {
                Remember(reply.Regions);
                return reply.Regions;
            }
            if (!await BackoffAsync(attempt, deadline, ct).ConfigureAwait(false)) return null;
        }
        return null;
    }

    private async Task<PlacementLookupReply?> LookupAsync(PlacementLookup lookup, Deadline deadline, CancellationToken ct)
    {
        try
        {
            return await _placement.Ask<PlacementLookupReply>(lookup, deadline.Cap(_settings.AttemptTimeout, _clock), ct).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private void Remember(IEnumerable<RegionDescriptor> descriptors)
    {
        var regions = descriptors.Select(d => (Region: d.ToRegion(), d.LeaderStore)).ToList();
        lock (_cacheGate) _cache = _cache.Replace(regions.Select(r => r.Region));
        foreach (var (region, leader) in regions)
            if (leader != 0) _leaders.TryAdd(region.Id, leader);
    }

    private void Invalidate(ulong regionId)
    {
        lock (_cacheGate) _cache = new RoutingTable(_cache.Regions.Where(r => r.Id != regionId));
        _leaders.TryRemove(regionId, out _);
    }

    /// <summary>Waits before the next attempt; false (without waiting) when that attempt would start at or past the deadline.</summary>
    private async Task<bool> BackoffAsync(int attempt, Deadline deadline, CancellationToken ct)
    {
        var doubled = _settings.MinBackoff.Ticks * (1L << Math.Min(attempt, 16));
        var ceiling = Math.Min(doubled, _settings.MaxBackoff.Ticks);
        var jittered = TimeSpan.FromTicks((long)(ceiling * (0.5 + (Random.Shared.NextDouble() / 2))));
        if (jittered >= deadline.Remaining(_clock)) return false;
        await Task.Delay(jittered, _clock, ct).ConfigureAwait(false);
        return true;
    }

    private Deadline StartDeadline() => new(_clock.GetTimestamp(), _settings.RequestTimeout);

    private static StoreRequest Request(Region region, KvCommand command) =>
        new(0, region.Id, KvCommandCodec.Encode(command), region.Epoch.ConfVersion, region.Epoch.Version);

    private static KvReply.Error Invalid(string message) => new(KvErrorCode.InvalidRequest, message);

    /// <summary>A request's deadline on the caller's clock.</summary>
    private readonly record struct Deadline(long StartTimestamp, TimeSpan Budget)
    {
        public TimeSpan Remaining(TimeProvider clock) => Budget - clock.GetElapsedTime(StartTimestamp);

        public bool IsOver(TimeProvider clock) => Remaining(clock) <= TimeSpan.Zero;

        /// <summary><paramref name="wanted"/>, but never past the deadline (and at least 1 ms so Ask accepts it).</summary>
        public TimeSpan Cap(TimeSpan wanted, TimeProvider clock)
        {
            var remaining = Remaining(clock);
            var capped = remaining < wanted ? remaining : wanted;
            return capped > TimeSpan.FromMilliseconds(1) ? capped : TimeSpan.FromMilliseconds(1);
        }
    }
}
