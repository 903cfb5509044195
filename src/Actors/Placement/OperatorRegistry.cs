using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Placement;

/// <summary>The registry's knobs (<c>akka-raft.scheduler</c>).</summary>
/// <param name="OperatorTimeout">An operator that made no progress for this long is cancelled.</param>
/// <param name="History">Finished operators remembered (oldest dropped first).</param>
/// <param name="OrphanGrace">How long a learner no operator owns is left alone before it is removed.</param>
internal sealed record OperatorRegistryLimits(TimeSpan OperatorTimeout, int History, TimeSpan OrphanGrace)
{
    /// <summary>
    /// The orphan grace for a schedule interval and operator timeout: long enough for an operator of a deposed scheduler to
    /// finish or stall, short enough that repair is not held up (3 intervals at least, else the timeout up to 10 s).
    /// </summary>
    public static TimeSpan OrphanGraceFor(TimeSpan scheduleInterval, TimeSpan operatorTimeout) =>
        TimeSpan.FromTicks(Math.Max(scheduleInterval.Ticks * 3, Math.Min(operatorTimeout.Ticks, TimeSpan.FromSeconds(10).Ticks)));
}

/// <summary>
/// The operators of one scheduler: running ones (at most one per region), recent ones (bounded by the history, oldest
/// dropped), progress and stall detection, and the grace clock of orphan learners — on the injected clock. Plain class
/// owned by the scheduler actor. Operator ids are unique across schedulers (node id × 1,000,000 + sequence): operators
/// outlive placement leader changes.
/// </summary>
internal sealed class OperatorRegistry(ulong nodeId, OperatorRegistryLimits limits, TimeProvider time)
{
    private readonly Dictionary<ulong, Entry> _running = [];
    private readonly LinkedList<OperatorView> _recent = new();
    // Region → when it was first seen with a learner that no operator of this scheduler owns.
    private readonly Dictionary<ulong, DateTimeOffset> _orphanSince = [];
    private long _nextId = (long)nodeId * 1_000_000 + 1;

    /// <summary>Running operators by region id → operator id (the planner's view).</summary>
    public IReadOnlyDictionary<ulong, long> RunningByRegion => _running.ToDictionary(r => r.Key, r => r.Value.View.Id);

    /// <summary>Running operators, oldest first.</summary>
    public IReadOnlyList<OperatorView> Running => [.. _running.Values.Select(r => r.View).OrderBy(v => v.Id)];

    /// <summary>Finished operators, newest first.</summary>
    public IReadOnlyList<OperatorView> Recent => [.. _recent];

    /// <summary>Number of running operators.</summary>
    public int Count => _running.Count;

    /// <summary>The running operator of <paramref name="regionId"/>, if any.</summary>
    public OperatorView? RunningFor(ulong regionId) => _running.TryGetValue(regionId, out var entry) ? entry.View : null;

    /// <summary>Registers a new running operator for <paramref name="planned"/> and returns its view (with its id).</summary>
    public OperatorView Start(PlannedOperator planned)
    {
        ArgumentNullException.ThrowIfNull(planned);
        // Invariant: one operator per region.
        if (_running.TryGetValue(planned.RegionId, out var busy))
            throw new InvalidOperationException($"[region {planned.RegionId}] operator {busy.View.Id} is running: no second one");
        var now = time.GetUtcNow();
        var view = new OperatorView(_nextId++, planned.Kind, planned.RegionId, planned.FromStore, planned.ToStore, OperatorStep.Planned, OperatorState.Running, "",
            now.ToUnixTimeMilliseconds(), 0, 0, 0, 0, 0);
        _running[planned.RegionId] = new Entry(view, now);
        _orphanSince.Remove(planned.RegionId);
        return view;
    }

    /// <summary>Records a progress report; true when it is progress (a new step, or the learner or its snapshot got further).</summary>
    public bool Report(OperatorProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var entry = _running.Values.FirstOrDefault(r => r.View.Id == progress.OperatorId);
        if (entry is null) return false;
        var moved = entry.View.Step != progress.Step || progress.LearnerMatch > entry.View.LearnerMatch || progress.SnapshotBytesSent > entry.View.SnapshotBytesSent;
        if (moved) entry.LastProgressAt = time.GetUtcNow();
        entry.View = entry.View with
        {
            Step = progress.Step, Detail = progress.Detail, LearnerMatch = progress.LearnerMatch, LeaderLastIndex = progress.LeaderLastIndex,
            SnapshotBytesSent = progress.SnapshotBytesSent, SnapshotBytesTotal = progress.SnapshotBytesTotal,
        };
        return moved;
    }

    /// <summary>Moves operator <paramref name="operatorId"/> to the recent ones with its outcome; null when it is not running.</summary>
    public OperatorView? Finish(long operatorId, OperatorOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var regionId = _running.FirstOrDefault(r => r.Value.View.Id == operatorId).Key;
        if (!_running.Remove(regionId, out var entry) || entry.View.Id != operatorId) return null;
        var view = entry.View with { State = outcome.State, Detail = outcome.Detail, FinishedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
        _recent.AddFirst(view);
        while (_recent.Count > limits.History) _recent.RemoveLast();
        return view;
    }

    /// <summary>Running operators without progress for the operator timeout, each returned once (the caller cancels them).</summary>
    public IReadOnlyList<OperatorView> TakeStalled()
    {
        var now = time.GetUtcNow();
        var stalled = _running.Values.Where(r => !r.CancelRequested && now - r.LastProgressAt > limits.OperatorTimeout).ToList();
        foreach (var entry in stalled) entry.CancelRequested = true;
        return [.. stalled.Select(r => r.View)];
    }

    /// <summary>
    /// Of the regions holding an orphan learner now, those seen so for at least the grace period; regions no longer in
    /// <paramref name="orphanRegions"/> are forgotten (their clock starts again when seen again).
    /// </summary>
    public IReadOnlySet<ulong> OrphanLearnersDue(IEnumerable<ulong> orphanRegions)
    {
        ArgumentNullException.ThrowIfNull(orphanRegions);
        var now = time.GetUtcNow();
        var current = orphanRegions.ToHashSet();
        foreach (var gone in _orphanSince.Keys.Where(id => !current.Contains(id)).ToList()) _orphanSince.Remove(gone);
        var due = new HashSet<ulong>();
        foreach (var regionId in current)
        {
            var since = _orphanSince.TryGetValue(regionId, out var seen) ? seen : _orphanSince[regionId] = now;
            if (now - since >= limits.OrphanGrace) due.Add(regionId);
        }
        return due;
    }

    /// <summary>Forgets orphan clocks (this scheduler stopped being active; running operators go on).</summary>
    public void ForgetOrphans() => _orphanSince.Clear();

    private sealed class Entry(OperatorView view, DateTimeOffset startedAt)
    {
        public OperatorView View { get; set; } = view;
        public DateTimeOffset LastProgressAt { get; set; } = startedAt;
        public bool CancelRequested { get; set; }
    }
}
