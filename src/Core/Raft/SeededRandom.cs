namespace AkkaRaft.Core.Raft;

/// <summary>
/// The replica's source of election jitter: SplitMix64 over one 64-bit state, deterministic for a seed. A struct field
/// of 8 bytes instead of a seeded <see cref="System.Random"/> (~300 bytes with its state array) per replica.
/// </summary>
internal struct SeededRandom(int seed)
{
    // The seed is scrambled first: nearby seeds (replica ids) must not start on the same sequence a few steps apart.
    private ulong _state = Mix(unchecked((ulong)(uint)seed + 0x632BE59BD9B4E019UL));

    /// <summary>A number in [0, <paramref name="maxExclusive"/>); 0 when <paramref name="maxExclusive"/> is 0 or less.</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) return 0;
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            return (int)((Mix(_state) >> 1) % (ulong)maxExclusive);
        }
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
