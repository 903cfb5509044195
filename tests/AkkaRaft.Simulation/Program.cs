using System.Diagnostics;
using System.Globalization;

namespace AkkaRaft.Simulation;

/// <summary>
/// Command line: <c>--seeds N [--start S] [--steps K] [--no-prevote] [--check-quorum] [--suspicions]</c> sweeps seeds and prints one JSON line plus a replay command per
/// failing seed; <c>--seed N [--verbose] [--steps K]</c> replays one seed (with a trace when verbose).
/// Exit code 1 when any seed violates an invariant, 2 on bad arguments.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        int? seed = null, seeds = null;
        var start = 0;
        var steps = new SimulationOptions { Seed = 0 }.FaultSteps;
        var verbose = false;
        var preVote = true;
        var checkQuorum = false;
        var suspicions = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seed" when i + 1 < args.Length: seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seeds" when i + 1 < args.Length: seeds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--start" when i + 1 < args.Length: start = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps" when i + 1 < args.Length: steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--verbose": verbose = true; break;
                case "--no-prevote": preVote = false; break;
                case "--check-quorum": checkQuorum = true; break;
                case "--suspicions": suspicions = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: --seeds N [--start S] [--steps K] [--no-prevote] [--check-quorum] [--suspicions] | --seed N [--verbose] [--steps K] [same flags]");
                    return 2;
            }
        }
        if (seed is { } one)
        {
            var result = Simulation.Run(new SimulationOptions
            {
                Seed = one, FaultSteps = steps, PreVote = preVote, CheckQuorum = checkQuorum, LeaderSuspicions = suspicions, Trace = verbose ? Console.Out : null,
            });
            Console.WriteLine(result.Passed
                ? $"seed {one}: ok, {result.Steps} steps, trace hash {result.TraceHash:x16}"
                : $"seed {one}: VIOLATION {result.Violation}");
            return result.Passed ? 0 : 1;
        }
        return Sweep(start, seeds ?? 100, new SimulationOptions { Seed = 0, FaultSteps = steps, PreVote = preVote, CheckQuorum = checkQuorum, LeaderSuspicions = suspicions });
    }

    private static int Sweep(int start, int count, SimulationOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        long totalSteps = 0;
        var failures = new List<SimulationResult>();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var seed = start; seed < start + count; seed++)
        {
            var result = Simulation.Run(options with { Seed = seed });
            totalSteps += result.Steps;
            foreach (var (what, n) in result.Counts) counts[what] = counts.GetValueOrDefault(what) + n;
            if (!result.Passed) failures.Add(result);
        }
        var elapsed = stopwatch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
        var exercised = string.Join(",", counts.Select(c => $"\"{c.Key}\":{c.Value}"));
        Console.WriteLine($"{{\"seeds\":{count},\"violations\":{failures.Count},\"steps\":{totalSteps},\"elapsed_s\":{elapsed},\"counts\":{{{exercised}}}}}");
        var stepsArgument = options.FaultSteps == new SimulationOptions { Seed = 0 }.FaultSteps ? "" : $" --steps {options.FaultSteps}";
        foreach (var failure in failures) Console.WriteLine($"{failure.ReplayCommandFor(options)}{stepsArgument}    # {failure.Violation}");
        return failures.Count == 0 ? 0 : 1;
    }
}
