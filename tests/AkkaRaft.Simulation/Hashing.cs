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

    public static ulong Of(byte[] data)
    {
        var hash = Seed;
        foreach (var b in data) hash = (hash ^ b) * 1099511628211UL;
        return Mix(hash, (ulong)data.Length);
    }

    public static ulong Of(Entry entry) => Mix(Of(entry.Data), (ulong)entry.Type);

    /// <summary>The state machine chain after applying content <paramref name="content"/> at <paramref name="index"/>.</summary>
    public static ulong Chain(ulong previous, ulong index, ulong content) => Mix(Mix(previous, index), content);
}
