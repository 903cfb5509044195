namespace AkkaRaft.Core.Kv.Redis;

/// <summary>
/// What a Redis command executor sees of the state machine: live entries only (expired ones are absent), typed lookups
/// that answer WRONGTYPE, and a deterministic random source. Collections changed in place are settled afterwards:
/// their size is recounted and an emptied one is removed with its key (Redis never keeps an empty collection).
/// </summary>
internal sealed class RedisKeyspace
{
    private readonly KvStateMachine _machine;
    private readonly Dictionary<byte[], long> _touched = new(Regions.ByteKeyComparer.Instance);
    private readonly bool _readOnly;

    public RedisKeyspace(KvStateMachine machine, long nowMs, ulong seed, bool readOnly)
    {
        _machine = machine;
        NowMs = nowMs;
        Seed = seed;
        _readOnly = readOnly;
    }

    /// <summary>The logical time the command runs at.</summary>
    public long NowMs { get; }

    /// <summary>Seed for deterministic choices (SPOP): the same on every replica applying this entry.</summary>
    public ulong Seed { get; }

    /// <summary>A seed from an entry's index and stamp: replicas applying the same entry agree on it.</summary>
    public static ulong SeedOf(ulong index, long nowMs) => (index * 0x9E3779B97F4A7C15UL) ^ (ulong)nowMs;

    /// <summary>The live value at <paramref name="key"/>.</summary>
    public bool TryGet(byte[] key, out StoredValue value) => _machine.TryGetEntry(key, NowMs, out value);

    public bool Exists(byte[] key) => TryGet(key, out _);

    /// <summary>
    /// The collection of type <typeparamref name="T"/> at <paramref name="key"/> (null when absent); WRONGTYPE when the
    /// key holds another type. With <paramref name="forWrite"/> the caller may change it in place.
    /// </summary>
    public KvResult? Find<T>(byte[] key, out T? collection, bool forWrite = false) where T : RedisCollection
    {
        collection = null;
        if (!TryGet(key, out var stored)) return null;
        if (stored.Value is not T typed) return RedisErrors.WrongType;
        if (forWrite) Touch(key, stored);
        collection = typed;
        return null;
    }

    /// <summary>The collection at <paramref name="key"/>, created empty when absent (removed again if left empty); WRONGTYPE on another type.</summary>
    public KvResult? FindOrCreate<T>(byte[] key, out T collection) where T : RedisCollection, new()
    {
        if (Find(key, out T? found, forWrite: true) is { } error)
        {
            collection = null!;
            return error;
        }
        if (found is not null)
        {
            collection = found;
            return null;
        }
        collection = new T();
        Put(key, new StoredValue(collection, null));
        Touch(key, new StoredValue(collection, null));
        return null;
    }

    /// <summary>The string at <paramref name="key"/> (null when absent); WRONGTYPE on a collection.</summary>
    public KvResult? FindString(byte[] key, out byte[]? value)
    {
        value = null;
        if (!TryGet(key, out var stored)) return null;
        if (stored.Value is not byte[] bytes) return RedisErrors.WrongType;
        value = bytes;
        return null;
    }

    /// <summary>Stores a value under <paramref name="key"/>, replacing any type.</summary>
    public void Put(byte[] key, StoredValue value)
    {
        EnsureWritable();
        SettleSize(key);
        _machine.PutEntry(key, value);
    }

    /// <summary>Removes <paramref name="key"/>; true when a live value was there.</summary>
    public bool Delete(byte[] key)
    {
        EnsureWritable();
        var existed = TryGet(key, out _);
        SettleSize(key);
        _machine.RemoveEntry(key);
        return existed;
    }

    /// <summary>Sets or clears the expiry of a live key; an expiry not after now deletes it.</summary>
    public void SetExpiry(byte[] key, long? expireAtMs)
    {
        if (!TryGet(key, out var stored)) return;
        if (expireAtMs is { } at && at <= NowMs) Delete(key);
        else Put(key, stored with { ExpireAtMs = expireAtMs });
    }

    /// <summary>Recounts the sizes of collections changed in place and removes emptied ones.</summary>
    public void Settle()
    {
        foreach (var (key, oldCost) in _touched)
        {
            if (!_machine.TryGetEntry(key, NowMs, out var stored) || stored.Value is not RedisCollection collection) continue;
            // The estimate still holds the cost from when the collection was first touched: bring it up to date, then
            // remove an emptied collection (which subtracts its current cost).
            _machine.AdjustSize(KvStateMachine.CostOf(key, stored) - oldCost);
            if (collection.Count == 0) _machine.RemoveEntry(key);
        }
        _touched.Clear();
    }

    /// <summary>
    /// Brings the size estimate up to date for a collection changed in place, before it is replaced or removed (which
    /// subtract its current cost) — otherwise the estimate would keep the cost it had when first touched.
    /// </summary>
    private void SettleSize(byte[] key)
    {
        if (!_touched.Remove(key, out var oldCost)) return;
        if (_machine.TryGetEntry(key, NowMs, out var stored)) _machine.AdjustSize(KvStateMachine.CostOf(key, stored) - oldCost);
    }

    private void Touch(byte[] key, StoredValue stored)
    {
        EnsureWritable();
        _touched.TryAdd(key, KvStateMachine.CostOf(key, stored));
    }

    private void EnsureWritable()
    {
        // Invariant: a read (served on the leader without the log) never changes state.
        if (_readOnly) throw new InvalidOperationException("a Redis read command tried to change the keyspace");
    }
}
