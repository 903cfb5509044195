using AkkaRaft.Core.Kv;

namespace AkkaRaft.Actors.Kv;

/// <summary>
/// Keys WATCHed by one client connection and the modification stamps they had then, all in region
/// <see cref="RegionId"/> at version <see cref="RegionVersion"/>; or <see cref="Error"/> when the keys could not be watched
/// (several regions, no leader in time). A transaction carrying it does nothing (nil array) if any stamp changed.
/// </summary>
public sealed record KvWatch(ulong RegionId, ulong RegionVersion, IReadOnlyList<WatchedKey> Keys, KvReply.Error? Error = null)
{
    /// <summary>A failed WATCH.</summary>
    public static KvWatch Failed(KvReply.Error error) => new(0, 0, [], error);

    /// <summary>
    /// This watch and <paramref name="next"/> (a later WATCH of the same connection) together: the first stamp of a key
    /// watched twice is kept, as Redis keeps watching from the first WATCH. Keys of two regions give a CROSSSLOT error.
    /// </summary>
    public KvWatch Merge(KvWatch next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (Error is not null) return this;
        if (next.Error is not null) return next;
        if (next.RegionId != RegionId || next.RegionVersion != RegionVersion)
            return Failed(new KvReply.Error(KvErrorCode.CommandError, "CROSSSLOT WATCHed keys don't hash to the same region"));
        var merged = Keys.ToList();
        foreach (var key in next.Keys)
            if (!merged.Any(k => k.Key.AsSpan().SequenceEqual(key.Key))) merged.Add(key);
        return this with { Keys = merged };
    }
}
