using System.Globalization;
using AkkaRaft.Core.Kv.Redis;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// The key-value state machine of one region: an ordered map of the region's keys, applied from committed Raft
/// entries. Commands routed with a stale epoch or with keys outside the range are rejected on apply, never applied.
/// </summary>
/// <remarks>
/// Storage is a <see cref="SortedDictionary{TKey,TValue}"/> (a red-black tree) ordered by <see cref="ByteKeyComparer"/>:
/// O(log n) inserts and deletes at any key, in-order enumeration for snapshots and splits. A SortedList would make
/// every insert in the middle O(n) array shifting, which random client keys would hit constantly.
/// Time: each write carries the stamp its leader's store gave it (NowMs); the machine keeps the highest stamp applied so
/// far as its logical clock and judges writes' expiry by it, so replicas agree and logical time never runs backwards
/// across leader changes. The stamp is not clamped here: only the leader can tell an idle hour from a clock that is an
/// hour fast (the apply cannot), so the bound is kept where stamps are made (see <see cref="ExpiryClock"/>). A stamp
/// behind the clock changes nothing. Relative expiries (EX/PX) count from the clock after the stamp is applied.
/// </remarks>
internal sealed partial class KvStateMachine : IRaftStateMachine
{
    /// <summary>Bytes counted per entry on top of its key and value (tree node, entry fields).</summary>
    public const int EntryOverheadBytes = 48;

    /// <summary>
    /// Raft index (and term, <see cref="SplitInitialTerm"/>) at which a region created by a split starts on every replica:
    /// its data is the state at this index, its log begins after it. Above 0 so a replica created empty (index 0) can
    /// never win an election against an initialized one and is brought up by snapshot instead (TiKV's RAFT_INIT_LOG_INDEX).
    /// </summary>
    public const ulong SplitInitialIndex = 5;

    /// <summary>Raft term of the initial state of a region created by a split (see <see cref="SplitInitialIndex"/>).</summary>
    public const ulong SplitInitialTerm = 5;

    private SortedDictionary<byte[], StoredValue> _entries = new(ByteKeyComparer.Instance);

    /// <summary>A fresh, empty state machine for <paramref name="region"/>.</summary>
    public KvStateMachine(Region region)
    {
        ArgumentNullException.ThrowIfNull(region);
        Region = region;
    }

    /// <summary>
    /// The state of every replica of a region created empty by the initial layout: no data, at
    /// <see cref="SplitInitialIndex"/>, so the region's log starts after it and a replica added later (created empty at
    /// index 0) must be brought up by the leader's snapshot, never by replaying a log written under older epochs.
    /// </summary>
    public static KvStateMachine NewRegion(Region region) => new(region) { AppliedIndex = SplitInitialIndex };

    /// <summary>The region as this replica knows it: range and epoch every command is checked against.</summary>
    public Region Region { get; private set; }

    /// <inheritdoc />
    public ulong AppliedIndex { get; private set; }

    /// <summary>The highest write stamp applied so far; expiry is judged against it (or a later read clock).</summary>
    public long LogicalNowMs { get; private set; } = long.MinValue;

    /// <summary>Sum over stored entries of key bytes + value bytes + <see cref="EntryOverheadBytes"/>; tracked incrementally.</summary>
    public long ApproximateSizeBytes { get; private set; }

    /// <summary>Number of stored entries, including expired ones not yet reclaimed by a write or snapshot.</summary>
    public int KeyCount => _entries.Count;

    /// <inheritdoc />
    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new object?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var committed = batch[i];
            // Invariant: entries arrive once each, in index order.
            if (committed.Index <= AppliedIndex)
                throw new InvalidOperationException($"[region {Region.Id}] apply of index {committed.Index} after index {AppliedIndex}: entries must arrive in increasing index order");
            results[i] = ApplyOne(committed.Data, committed.Index);
            AppliedIndex = committed.Index;
        }
        return results;
    }

    /// <summary>Applies one encoded command; undecodable bytes are rejected the same way on every replica.</summary>
    private KvResult ApplyOne(byte[] data, ulong index)
    {
        KvCommand command;
        try
        {
            command = KvCommandCodec.Decode(data);
        }
        catch (KvCodecException e)
        {
            return new KvResult.InvalidCommand($"undecodable command: {e.Message}");
        }
        return command is KvWriteCommand write
            ? Execute(write, index)
            : new KvResult.InvalidCommand($"{command.GetType().Name} is a read: serve it with Read, not through the log");
    }

    /// <summary>Executes a decoded write (the same path <see cref="Apply"/> takes after decoding).</summary>
    private KvResult Execute(KvWriteCommand command, ulong index)
    {
        if (Check(command) is { } rejection) return rejection;
        var now = LogicalNowMs = Math.Max(LogicalNowMs, command.NowMs);
        _applyingIndex = index;
        var result = command switch
        {
            SetCommand set => ExecuteSet(set, now),
            DeleteCommand delete => ExecuteDelete(delete, now),
            IncrByCommand incr => ExecuteIncrBy(incr, now),
            MSetCommand mset => ExecuteMSet(mset),
            SplitCommand split => ExecuteSplit(split),
            RedisWriteCommand redis => ExecuteRedis(redis.Args, now, RedisKeyspace.SeedOf(index, command.NowMs), readOnly: false),
            FlushCommand => ExecuteFlush(),
            PurgeExpiredCommand purge => ExecutePurgeExpired(purge, now),
            TransactionCommand transaction => ExecuteTransaction(transaction, now, index),
            _ => new KvResult.InvalidCommand($"unknown write {command.GetType().Name}"),
        };
        StampKeys(command, result, index);
        return result;
    }

    /// <summary>
    /// Applies a committed membership change to the region (TiKV's conf change apply): added voters and learners join the
    /// peers with the store <paramref name="peerNodes"/> names, a voter removed in a joint change stays as
    /// <see cref="PeerRole.Demoting"/> until the joint configuration is left, a plain removal goes at once; the conf version
    /// goes up by one for every change, leaving a joint configuration included.
    /// </summary>
    public object? ApplyMembership(ulong index, ConfChange change, IReadOnlyDictionary<ulong, ulong> peerNodes)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(peerNodes);
        if (index <= AppliedIndex)
            throw new InvalidOperationException($"[region {Region.Id}] membership change at index {index} after index {AppliedIndex}");
        var joint = change.JointMode().UseJoint;
        var peers = Region.Peers.ToList();
        if (change.IsLeaveJoint)
        {
            peers.RemoveAll(p => p.Role == PeerRole.Demoting);
        }
        foreach (var step in change.Changes)
        {
            var at = peers.FindIndex(p => p.PeerId == step.NodeId);
            var store = at >= 0 ? peers[at].StoreId : peerNodes.GetValueOrDefault(step.NodeId);
            RegionPeer? next = step.Type switch
            {
                ConfChangeType.AddNode => new RegionPeer(store, step.NodeId, PeerRole.Voter),
                ConfChangeType.AddLearnerNode => new RegionPeer(store, step.NodeId, PeerRole.Learner),
                _ when joint && at >= 0 && peers[at].Role == PeerRole.Voter => peers[at] with { Role = PeerRole.Demoting },
                _ => null,
            };
            if (at >= 0 && next is { } replaced) peers[at] = replaced;
            else if (at >= 0) peers.RemoveAt(at);
            else if (next is { } added) peers.Add(added);
        }
        Region = Region.WithPeers(peers).WithEpoch(Region.Epoch.WithNextConfVersion());
        AppliedIndex = index;
        return new KvResult.MembershipChanged(Region, Region.Peers.Any(p => p.Role == PeerRole.Demoting));
    }

    /// <summary>Serves a read without changing anything; <paramref name="nowMs"/> is the reader's logical clock.</summary>
    public KvResult Read(KvReadCommand command, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Check(command) is { } rejection) return rejection;
        var now = Math.Max(LogicalNowMs, nowMs);
        switch (command)
        {
            case GetCommand get:
                if (!TryGetLive(get.Key, now, out var value)) return new KvResult.ValueResult(null);
                return value.Value is byte[] bytes ? new KvResult.ValueResult((byte[])bytes.Clone()) : RedisErrors.WrongType;
            case RedisReadCommand redis:
                return ExecuteRedis(redis.Args, now, RedisKeyspace.SeedOf(AppliedIndex, now), readOnly: true);
            case WatchStampsCommand watch:
                return new KvResult.ArrayResult([.. watch.KeyList.Select(key => new KvResult.IntegerResult(unchecked((long)WatchStampOf(key, now))))]);
            case ExistsCommand exists:
                long count = 0;
                foreach (var key in exists.KeyList)
                    if (TryGetLive(key, now, out _)) count++;
                return new KvResult.IntegerResult(count);
            case ScanCommand scan:
                return ExecuteScan(scan, now);
            default:
                return new KvResult.InvalidCommand($"unknown read {command.GetType().Name}");
        }
    }

    /// <summary>
    /// Moves every entry at or after <paramref name="splitKey"/> into a new state machine for
    /// <paramref name="newRegion"/> (which must be [splitKey, this end)); this region shrinks to [start, splitKey)
    /// and its version goes up by one. The new machine is at applied index <see cref="SplitInitialIndex"/>: the start of another group's log.
    /// </summary>
    public KvStateMachine SplitOff(byte[] splitKey, Region newRegion)
    {
        ArgumentNullException.ThrowIfNull(splitKey);
        ArgumentNullException.ThrowIfNull(newRegion);
        if (!IsStrictlyInside(splitKey))
            throw new ArgumentException($"split key {KeyText.Quote(splitKey)} must lie strictly inside {Region}", nameof(splitKey));
        if (!ByteKeyComparer.Instance.Equals(newRegion.StartKey, splitKey) || !ByteKeyComparer.Instance.Equals(newRegion.EndKey, Region.EndKey))
            throw new ArgumentException($"{newRegion} must span {KeyText.Range(splitKey, Region.EndKey)}", nameof(newRegion));
        if (newRegion.Id == Region.Id)
            throw new ArgumentException($"{newRegion} must have a new id, not {Region.Id}", nameof(newRegion));

        var right = new KvStateMachine(newRegion) { LogicalNowMs = LogicalNowMs, AppliedIndex = SplitInitialIndex };
        var moving = _entries.Keys.Where(key => ByteKeyComparer.Instance.Compare(key, splitKey) >= 0).ToList();
        foreach (var key in moving)
        {
            var value = _entries[key];
            Remove(key);
            right.Put(key, value);
        }
        Region = Region.WithRange(Region.StartKey, splitKey).WithEpoch(Region.Epoch.WithNextVersion());
        return right;
    }

    /// <summary>
    /// A split key near the middle of the data by bytes: entries are grouped into at most <paramref name="maxSamples"/>
    /// consecutive runs and <see cref="SplitPlanning.ChooseSplitKey"/> picks among the runs' first keys. Never the region's
    /// start, never a key that leaves a half empty; null when the region holds fewer than two keys.
    /// </summary>
    public byte[]? ChooseSplitKey(int maxSamples = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 2);
        var stride = Math.Max(1, (_entries.Count + maxSamples - 1) / maxSamples);
        var samples = new List<KeySize>(Math.Min(_entries.Count, maxSamples));
        byte[]? runStart = null;
        long runBytes = 0;
        var position = 0;
        foreach (var (key, value) in _entries)
        {
            if (position++ % stride == 0)
            {
                if (runStart is not null) samples.Add(new KeySize(runStart, runBytes));
                (runStart, runBytes) = (key, 0);
            }
            runBytes += Cost(key, value);
        }
        if (runStart is not null) samples.Add(new KeySize(runStart, runBytes));
        return SplitPlanning.ChooseSplitKey(Region, samples);
    }

    /// <summary>Rejects a command for another region or epoch, or with a key outside the range; null when it may run.</summary>
    private KvResult? Check(KvCommand command)
    {
        // Data commands check only the version (range changes); membership changes (conf version) do not move keys,
        // so writes in flight across a conf change stay valid. Splits change the range and must match exactly.
        var epochMatches = command is SplitCommand
            ? command.Epoch == Region.Epoch
            : command.Epoch.Version == Region.Epoch.Version;
        if (command.RegionId != Region.Id || !epochMatches) return new KvResult.EpochNotMatch(Region);
        foreach (var key in command.Keys)
            if (!Region.Contains(key)) return new KvResult.KeyNotInRegion((byte[])key.Clone(), Region);
        return null;
    }

    private KvResult ExecuteSet(SetCommand set, long now)
    {
        var exists = TryGetLive(set.Key, now, out var old);
        // SET ... GET on another type fails without setting (Redis checks the old value's type first).
        if (exists && set.GetOld && old.Value is not byte[]) return RedisErrors.WrongType;
        var oldValue = exists && set.GetOld ? (byte[])((byte[])old.Value).Clone() : null;
        var allowed = set.Condition switch
        {
            SetCondition.IfAbsent => !exists,
            SetCondition.IfPresent => exists,
            _ => true,
        };
        if (allowed)
        {
            var expireAt = set.ExpireAfterMs is { } after ? SaturatingAdd(now, after) : set.ExpireAtMs;
            // An expiry already in the past leaves nothing to store.
            if (expireAt is { } at && at <= now) Remove(set.Key);
            else Put(set.Key, new StoredValue(set.Value, expireAt));
        }
        if (set.GetOld) return new KvResult.ValueResult(oldValue);
        return allowed ? KvResult.Ok : new KvResult.ValueResult(null);
    }

    private KvResult.IntegerResult ExecuteDelete(DeleteCommand delete, long now)
    {
        long removed = 0;
        foreach (var key in delete.KeyList)
        {
            if (TryGetLive(key, now, out _)) removed++;
            Remove(key); // also reclaims an expired entry
        }
        return new KvResult.IntegerResult(removed);
    }

    private KvResult ExecuteIncrBy(IncrByCommand incr, long now)
    {
        long current = 0;
        long? expireAt = null;
        if (TryGetLive(incr.Key, now, out var stored))
        {
            if (stored.Value is not byte[] text) return RedisErrors.WrongType;
            if (!TryParseInteger(text, out current)) return new KvResult.NotAnInteger();
            expireAt = stored.ExpireAtMs;
        }
        if ((incr.Delta > 0 && current > long.MaxValue - incr.Delta) || (incr.Delta < 0 && current < long.MinValue - incr.Delta))
            return new KvResult.Overflow();
        var next = current + incr.Delta;
        Put(incr.Key, new StoredValue(FormatInteger(next), expireAt));
        return new KvResult.IntegerResult(next);
    }

    private KvResult.OkResult ExecuteMSet(MSetCommand mset)
    {
        foreach (var pair in mset.Pairs) Put(pair.Key, new StoredValue(pair.Value, null));
        return KvResult.Ok;
    }

    private KvResult ExecuteSplit(SplitCommand split)
    {
        if (!IsStrictlyInside(split.SplitKey))
            return new KvResult.InvalidCommand($"split key {KeyText.Quote(split.SplitKey)} is not strictly inside {Region}");
        if (split.NewPeerIds.Length != Region.Peers.Length)
            return new KvResult.InvalidCommand($"split of {Region} needs {Region.Peers.Length} new peer ids, got {split.NewPeerIds.Length}");
        if (split.NewRegionId == Region.Id)
            return new KvResult.InvalidCommand($"split of {Region} must name a new region id");
        // A split copies the peers as voters: with a learner or a joint change in progress it waits (the move finishes first).
        if (Region.Peers.Any(p => p.Role != PeerRole.Voter))
            return new KvResult.EpochNotMatch(Region);
        var rightPeers = Region.Peers.Select((peer, i) => peer with { PeerId = split.NewPeerIds[i] });
        var rightRegion = new Region(split.NewRegionId, split.SplitKey, Region.EndKey, Region.Epoch.WithNextVersion(), rightPeers);
        var rightHalf = SplitOff(split.SplitKey, rightRegion);
        return new KvResult.SplitResult(Region, rightRegion, rightHalf);
    }

    private bool IsStrictlyInside(byte[] key) =>
        ByteKeyComparer.Instance.Compare(key, Region.StartKey) > 0 && ByteKeyComparer.IsBeforeEnd(key, Region.EndKey);

    private bool TryGetLive(byte[] key, long now, out StoredValue value) =>
        _entries.TryGetValue(key, out value) && !value.IsExpiredAt(now);

    /// <summary>Runs a command of the Redis table; a write settles sizes and drops emptied collections afterwards.</summary>
    private KvResult ExecuteRedis(System.Collections.Immutable.ImmutableArray<byte[]> args, long now, ulong seed, bool readOnly)
    {
        if (RedisCommandTable.Find(args[0]) is not { } spec || spec.IsWrite == readOnly)
            return new KvResult.InvalidCommand($"'{KeyText.Quote(args[0])}' is not a Redis {(readOnly ? "read" : "write")} of this build");
        if (!spec.ArityAccepts(args.Length)) return RedisErrors.WrongArity(spec.Name);
        var keyspace = new RedisKeyspace(this, now, seed, readOnly);
        try
        {
            return spec.Execute(keyspace, args);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InvalidOperationException))
        {
            // An executor bug must not stop every replica on the same entry: the failure is deterministic (same entry,
            // same state everywhere), so answering it as an error keeps the replicas equal. Broken invariants still throw.
            return new KvResult.ErrorResult($"ERR internal error in '{spec.Name}': {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (!readOnly) keyspace.Settle();
        }
    }

    /// <summary>The live entry at <paramref name="key"/> for the Redis keyspace (expired = absent).</summary>
    internal bool TryGetEntry(byte[] key, long now, out StoredValue value) => TryGetLive(key, now, out value);

    /// <summary>Stores an entry (replacing any), keeping the size estimate.</summary>
    internal void PutEntry(byte[] key, StoredValue value) => Put(key, value);

    /// <summary>Removes an entry (live or expired), keeping the size estimate.</summary>
    internal void RemoveEntry(byte[] key) => Remove(key);

    /// <summary>Adds <paramref name="delta"/> to the size estimate after a collection changed in place.</summary>
    internal void AdjustSize(long delta) => ApproximateSizeBytes += delta;

    /// <summary>Entry cost as the size estimate counts it.</summary>
    internal static long CostOf(byte[] key, StoredValue value) => Cost(key, value);

    private void Put(byte[] key, StoredValue value)
    {
        StoredValue? previous = null;
        if (_entries.TryGetValue(key, out var old))
        {
            ApproximateSizeBytes -= Cost(key, old);
            previous = old;
        }
        else _keySetVersion++;
        _entries[key] = value;
        ApproximateSizeBytes += Cost(key, value);
        IndexExpiry(key, previous, value);
    }

    private void Remove(byte[] key)
    {
        if (!_entries.Remove(key, out var old)) return;
        ApproximateSizeBytes -= Cost(key, old);
        _keySetVersion++;
        IndexExpiry(key, old, null);
        ForgetStamp(key, old);
    }

    private static long Cost(byte[] key, StoredValue value) => key.Length + value.SizeBytes + EntryOverheadBytes;

    /// <summary>Redis's integer rule: optional '-', decimal digits, no '+', spaces or leading zeros, within 64 bits.</summary>
    internal static bool TryParseInteger(ReadOnlySpan<byte> bytes, out long value)
    {
        value = 0;
        if (bytes.Length is 0 or > 20) return false;
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            && text == value.ToString(CultureInfo.InvariantCulture); // canonical form only: "+1", "01", "-0" are not integers
    }

    private static long SaturatingAdd(long a, long b) =>
        b > 0 && a > long.MaxValue - b ? long.MaxValue : b < 0 && a < long.MinValue - b ? long.MinValue : a + b;

    internal static byte[] FormatInteger(long value) => System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>
/// A stored value and its absolute expiry on the logical clock (null = never). <see cref="Value"/> is a byte[] (string)
/// or a <see cref="RedisCollection"/> (hash, list, set, sorted set).
/// </summary>
internal readonly record struct StoredValue(object Value, long? ExpireAtMs)
{
    public bool IsExpiredAt(long now) => ExpireAtMs is { } expireAt && expireAt <= now;

    /// <summary>The Redis type of the value.</summary>
    public RedisType Type => Value is RedisCollection collection ? collection.Type : RedisType.String;

    /// <summary>Payload bytes of the value.</summary>
    public long SizeBytes => Value is byte[] bytes ? bytes.Length : ((RedisCollection)Value).SizeBytes;
}
