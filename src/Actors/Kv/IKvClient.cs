namespace AkkaRaft.Actors.Kv;

/// <summary>Outcome class of a KV request, chosen so a protocol front end (RESP) can map it without parsing text.</summary>
public enum KvErrorCode : byte
{
    /// <summary>Certainly not applied: no region (or no leader) took the request within the deadline; retry later (RESP -TRYAGAIN).</summary>
    Unavailable,
    /// <summary>Certainly not applied: too many requests are queued; back off (RESP -BUSY).</summary>
    Busy,
    /// <summary>
    /// The write may or may not have been applied (accepted into a region's log, then no result in time, or the replica
    /// failed): read before retrying (RESP -UNKNOWN). Never answered for reads.
    /// </summary>
    OutcomeUnknown,
    /// <summary>The stored value is not an integer (INCR on text).</summary>
    NotAnInteger,
    /// <summary>INCR would overflow a signed 64-bit integer.</summary>
    Overflow,
    /// <summary>The key or value exceeds the configured limit.</summary>
    TooLarge,
    /// <summary>The request is malformed (bad arguments).</summary>
    InvalidRequest,
    /// <summary>A Redis error reply; <see cref="KvReply.Error.Message"/> is the whole line with its prefix (<c>WRONGTYPE ...</c>, <c>ERR ...</c>, <c>CROSSSLOT ...</c>).</summary>
    CommandError,
}

/// <summary>Options of SET (Redis semantics).</summary>
public readonly record struct SetOptions(long? ExpireAfterMs = null, bool OnlyIfAbsent = false, bool OnlyIfPresent = false, bool ReturnOld = false);

/// <summary>The answer to one KV request: exactly one of a value, an integer, OK, or a typed error.</summary>
public abstract record KvReply
{
    private KvReply()
    {
    }

    /// <summary>The shared OK reply.</summary>
    public static OkReply Ok { get; } = new();

    /// <summary>Plain success.</summary>
    public sealed record OkReply : KvReply;

    /// <summary>A value; null means nil (absent, or a conditional SET that did nothing).</summary>
    public sealed record Value(byte[]? Data) : KvReply;

    /// <summary>An integer (DEL, EXISTS, INCR, DBSIZE).</summary>
    public sealed record Integer(long Number) : KvReply;

    /// <summary>A failure the caller can act on; <see cref="Message"/> is for humans.</summary>
    public sealed record Error(KvErrorCode Code, string Message) : KvReply;

    /// <summary>
    /// An array of replies (HGETALL, LRANGE, ...); <see cref="Items"/> null is Redis's nil array. <see cref="Shape"/> says
    /// how RESP3 sends it (map, set, pairs); RESP2 sends the flat array.
    /// </summary>
    public sealed record Array(IReadOnlyList<KvReply>? Items, Core.Kv.ArrayShape Shape = Core.Kv.ArrayShape.List) : KvReply;

    /// <summary>A score (ZSCORE, WITHSCORES): a bulk string in RESP2, a double in RESP3.</summary>
    public sealed record Double(double Number) : KvReply;

    /// <summary>A status line other than OK (TYPE's <c>hash</c>).</summary>
    public sealed record Status(string Text) : KvReply;
}

/// <summary>
/// One page of a key scan: the keys found, where the scan goes on (<see cref="NextStartKey"/>, null at the end of the
/// keyspace), or the error that stopped it.
/// </summary>
public sealed record KeyScanPage(IReadOnlyList<byte[]> Keys, byte[]? NextStartKey, KvReply.Error? Error = null);

/// <summary>Summary of one region as the router sees it (for INFO, admin APIs and dashboards).</summary>
public sealed record RegionSummary(ulong Id, byte[] StartKey, byte[] EndKey, string Epoch, ulong LeaderStore, IReadOnlyList<ulong> Stores, long ApproximateSizeBytes);

/// <summary>
/// A linearizable key-value client over all regions: resolves key → region → leader, retries through region changes
/// and leader changes within its deadline, and answers with one <see cref="KvReply"/> per request. Disposing it ends its
/// waiting requests (a write among them answers <see cref="KvErrorCode.OutcomeUnknown"/>) and refuses new ones.
/// </summary>
public interface IKvClient : IAsyncDisposable
{
    /// <summary>GET key.</summary>
    Task<KvReply> GetAsync(byte[] key, CancellationToken cancellationToken = default);

    /// <summary>GET key, the key given as memory (copied once into the request).</summary>
    Task<KvReply> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => GetAsync(key.ToArray(), cancellationToken);

    /// <summary>SET key value [EX|PX] [NX|XX] [GET].</summary>
    Task<KvReply> SetAsync(byte[] key, byte[] value, SetOptions options = default, CancellationToken cancellationToken = default);

    /// <summary>SET key value, key and value given as memory (copied once into the request).</summary>
    Task<KvReply> SetAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, SetOptions options = default, CancellationToken cancellationToken = default) =>
        SetAsync(key.ToArray(), value.ToArray(), options, cancellationToken);

    /// <summary>DEL keys (keys may span regions); the number of keys removed.</summary>
    Task<KvReply> DeleteAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default);

    /// <summary>EXISTS keys (keys may span regions); how many exist.</summary>
    Task<KvReply> ExistsAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default);

    /// <summary>INCRBY key delta; the new value.</summary>
    Task<KvReply> IncrementAsync(byte[] key, long delta, CancellationToken cancellationToken = default);

    /// <summary>MGET: one reply per key, in order (keys may span regions).</summary>
    Task<IReadOnlyList<KvReply>> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default);

    /// <summary>MSET: atomic per region, not across regions.</summary>
    Task<KvReply> SetManyAsync(IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs, CancellationToken cancellationToken = default);

    /// <summary>
    /// Any command of the typed keyspace (<see cref="Core.Kv.Redis.RedisCommandTable"/>: hashes, lists, sets, sorted sets,
    /// expiry, ...) as its argument vector, verb first. All its keys must lie in one region, else a <c>CROSSSLOT</c>
    /// <see cref="KvErrorCode.CommandError"/>. Redis errors come back as <see cref="KvErrorCode.CommandError"/> with Redis's text.
    /// </summary>
    Task<KvReply> ExecuteAsync(IReadOnlyList<byte[]> arguments, CancellationToken cancellationToken = default) =>
        Task.FromResult<KvReply>(new KvReply.Error(KvErrorCode.InvalidRequest, "this client does not execute typed commands"));

    /// <summary>
    /// WATCH: reads the modification stamps of <paramref name="keys"/> (all in one region) on the region's leader, for a
    /// later <see cref="ExecuteTransactionAsync"/>.
    /// </summary>
    Task<KvWatch> WatchAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default) =>
        Task.FromResult(KvWatch.Failed(new KvReply.Error(KvErrorCode.InvalidRequest, "this client does not support WATCH")));

    /// <summary>
    /// MULTI ... EXEC: <paramref name="commands"/> (argument vectors, verb first; see <see cref="Core.Kv.TransactionVerbs"/>)
    /// applied in order as one entry of one region: an <see cref="KvReply.Array"/> with one reply per command (an error among
    /// them does not stop the others), or a nil array when a key of <paramref name="watch"/> changed since it was watched.
    /// Keys of several regions (or watched keys of another region) give a <c>CROSSSLOT</c> <see cref="KvErrorCode.CommandError"/>.
    /// </summary>
    Task<KvReply> ExecuteTransactionAsync(IReadOnlyList<IReadOnlyList<byte[]>> commands, KvWatch? watch = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<KvReply>(new KvReply.Error(KvErrorCode.InvalidRequest, "this client does not execute transactions"));

    /// <summary>Number of keys over all regions (DBSIZE; approximate while writes are in flight).</summary>
    Task<KvReply> CountKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>The regions as currently known.</summary>
    Task<IReadOnlyList<RegionSummary>> RegionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Live keys in key order from <paramref name="startKey"/> within the one region holding it (a linearizable read on its
    /// leader): at most <paramref name="limit"/> keys visited, after skipping <paramref name="skip"/> stored entries, of
    /// <paramref name="type"/> only when given. <see cref="KeyScanPage.NextStartKey"/> says where to go on (null: the end of
    /// the keyspace), so a walk stays valid when regions split or merge between pages.
    /// </summary>
    Task<KeyScanPage> ScanRegionAsync(byte[] startKey, int limit, string? type = null, long skip = 0, CancellationToken cancellationToken = default) =>
        Task.FromResult(new KeyScanPage([], null, new KvReply.Error(KvErrorCode.InvalidRequest, "this client cannot scan keys")));

    /// <summary>A live key chosen at random over all regions (RANDOMKEY); nil when there is none.</summary>
    Task<KvReply> RandomKeyAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<KvReply>(new KvReply.Error(KvErrorCode.InvalidRequest, "this client cannot pick random keys"));

    /// <summary>
    /// FLUSHDB: empties every region, each through its own Raft log (atomic per region, not across regions); the answer is
    /// OK once every region applied it.
    /// </summary>
    Task<KvReply> FlushAllAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<KvReply>(new KvReply.Error(KvErrorCode.InvalidRequest, "this client cannot flush"));

    /// <summary>Default for clients that hold nothing to release (test doubles).</summary>
    ValueTask IAsyncDisposable.DisposeAsync() => ValueTask.CompletedTask;
}
