namespace AkkaRaft.Actors.Placement;

/// <summary>
/// Which stores the scheduler considers down: a store whose heartbeat count placement records has not changed for
/// <c>store-down-after</c>, on the injected clock. Counts restart with each scheduler's activity (a new placement leader
/// declares a store down only after a full period of its own).
/// </summary>
internal sealed class StoreLiveness(TimeSpan downAfter, TimeProvider time)
{
    private readonly Dictionary<ulong, (int Count, DateTimeOffset ChangedAt)> _seen = [];
    // Stores last reported down by ChangedSinceLastCall.
    private readonly HashSet<ulong> _reportedDown = [];

    /// <summary>Placement's heartbeat count of <paramref name="storeId"/> as read now.</summary>
    public void Observe(ulong storeId, int heartbeatCount)
    {
        if (!_seen.TryGetValue(storeId, out var seen) || seen.Count != heartbeatCount) _seen[storeId] = (heartbeatCount, time.GetUtcNow());
    }

    /// <summary>True when <paramref name="storeId"/>'s heartbeats stopped for longer than the down period.</summary>
    public bool IsDown(ulong storeId) => SilentFor(storeId) > downAfter;

    /// <summary>How long no new heartbeat of <paramref name="storeId"/> was seen (zero when never observed).</summary>
    public TimeSpan SilentFor(ulong storeId) => _seen.TryGetValue(storeId, out var seen) ? time.GetUtcNow() - seen.ChangedAt : TimeSpan.Zero;

    /// <summary>
    /// Whether <paramref name="storeId"/>'s down state changed since this was last asked for it: true with the new state
    /// (down, or heartbeating again), false when it stayed as it was.
    /// </summary>
    public bool ChangedSinceLastCall(ulong storeId, out bool down)
    {
        down = IsDown(storeId);
        return down ? _reportedDown.Add(storeId) : _reportedDown.Remove(storeId);
    }

    /// <summary>Forgets every store (this scheduler stopped being active).</summary>
    public void Clear()
    {
        _seen.Clear();
        _reportedDown.Clear();
    }
}
