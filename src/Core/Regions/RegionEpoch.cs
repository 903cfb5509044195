namespace AkkaRaft.Core.Regions;

/// <summary>
/// A region's epoch: <see cref="ConfVersion"/> grows with every membership change,
/// <see cref="Version"/> with every range change (split, merge).
/// </summary>
internal readonly record struct RegionEpoch(ulong ConfVersion, ulong Version)
{
    /// <summary>The epoch every region of the initial layout starts with.</summary>
    public static RegionEpoch Initial => new(1, 1);

    /// <summary>True when either component is behind <paramref name="other"/> (TiKV's rule: any lag makes the epoch stale).</summary>
    public bool IsStaleComparedTo(RegionEpoch other) => ConfVersion < other.ConfVersion || Version < other.Version;

    /// <summary>True when this epoch is at least as new as <paramref name="other"/> in both components and newer in one.</summary>
    public bool IsNewerThan(RegionEpoch other) => !IsStaleComparedTo(other) && this != other;

    /// <summary>The epoch after a range change (split or merge).</summary>
    public RegionEpoch WithNextVersion() => this with { Version = Version + 1 };

    /// <summary>The epoch after a membership change.</summary>
    public RegionEpoch WithNextConfVersion() => this with { ConfVersion = ConfVersion + 1 };

    /// <summary>Renders as <c>v{ConfVersion}/{Version}</c>.</summary>
    public override string ToString() => $"v{ConfVersion}/{Version}";
}
