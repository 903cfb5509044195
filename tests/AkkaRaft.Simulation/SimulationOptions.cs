namespace AkkaRaft.Simulation;

/// <summary>What one simulated run does; everything else follows from <see cref="Seed"/>.</summary>
public sealed record SimulationOptions
{
    /// <summary>Seed of the only source of randomness (System.Random).</summary>
    public required int Seed { get; init; }
    /// <summary>Steps of the fault phase (one tick per step).</summary>
    public int FaultSteps { get; init; } = 300;
    /// <summary>Ticks allowed after healing for every group to elect a leader and commit a fresh proposal.</summary>
    public int LivenessTicks { get; init; } = 300;
    /// <summary>Replicas ask for pre-votes before campaigning (off: removed or partitioned replicas can raise terms freely).</summary>
    public bool PreVote { get; init; } = true;
    /// <summary>Leaders step down without a quorum, and followers that heard from one recently ignore vote requests.</summary>
    public bool CheckQuorum { get; init; }
    /// <summary>
    /// The transport tells replicas when their leader's node crashed, and now and then suspects a live leader for nothing
    /// (<see cref="AkkaRaft.Core.Raft.RaftNode.LeaderSuspected"/>): suspicions may speed elections up but never break safety.
    /// </summary>
    public bool LeaderSuspicions { get; init; }
    /// <summary>Where to write the event trace, or null for none.</summary>
    public TextWriter? Trace { get; init; }
}

/// <summary>Outcome of one run: the first violation (null when none), the steps executed and a hash of the state after every step.</summary>
public sealed record SimulationResult(int Seed, string? Violation, long Steps, ulong TraceHash)
{
    /// <summary>True when no invariant broke and liveness held.</summary>
    public bool Passed => Violation is null;

    /// <summary>What the run exercised: answers by kind and outcome, journal writes, hibernations, snapshot streams.</summary>
    public IReadOnlyDictionary<string, long> Counts { get; init; } = new Dictionary<string, long>();

    /// <summary>The command that replays this seed with a trace.</summary>
    public string ReplayCommand => $"dotnet run -c Release --project tests/AkkaRaft.Simulation -- --seed {Seed} --verbose";

    /// <summary><see cref="ReplayCommand"/> with the options of <paramref name="options"/> that differ from the defaults.</summary>
    public string ReplayCommandFor(SimulationOptions options) => ReplayCommand
        + (options.PreVote ? "" : " --no-prevote") + (options.CheckQuorum ? " --check-quorum" : "") + (options.LeaderSuspicions ? " --suspicions" : "");
}

/// <summary>Raised by the checker when a safety or liveness property is broken.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);
