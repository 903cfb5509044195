using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>FNV-1a style 64-bit mixing, deterministic across runs and platforms.</summary>
internal static class Hashing
{
    public const ulong Seed = 14695981039346656037UL;

    public static ulong Mix(ulong hash, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash ^= (value >> (i * 8)) & 0xff;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    public static ulong Of(Entry entry)
    {
        var hash = Mix(Seed, (ulong)entry.Type);
        foreach (var b in entry.Data) hash = (hash ^ b) * 1099511628211UL;
        return Mix(hash, (ulong)entry.Data.Length);
    }

    /// <summary>The state machine chain after applying <paramref name="entry"/>.</summary>
    public static ulong Chain(ulong previous, Entry entry) => Mix(Mix(Mix(previous, entry.Index), entry.Term), Of(entry));
}
