using System.Diagnostics;
using Akka.Configuration;
using AkkaRaft.Host.Hosting;

namespace AkkaRaft.Host.Tests;

/// <summary>The shutdown sequence's deadlines: per phase, overall, and what it reports.</summary>
public sealed class ShutdownSequenceTests
{
    private static ShutdownPhase Done(string name, List<string> ran) =>
        new(name, TimeSpan.FromSeconds(5), (_, _) =>
        {
            ran.Add(name);
            return Task.FromResult($"{name} ok");
        }, () => "nothing");

    /// <summary>A phase that never finishes by itself (a connection that never closes, a node that never leaves).</summary>
    private static ShutdownPhase Stuck(string name, TimeSpan? budget, List<string> ran, string pending) =>
        new(name, budget, (_, _) =>
        {
            ran.Add(name);
            return new TaskCompletionSource<string>().Task;
        }, () => pending);

    [Fact]
    public async Task EveryPhaseRunsInOrderAndTheSequenceExitsZero()
    {
        var ran = new List<string>();
        var output = new StringWriter();

        var code = await new ShutdownSequence(TimeSpan.FromSeconds(10), output).RunAsync([Done("a", ran), Done("b", ran), Done("c", ran)]);

        Assert.Equal(0, code);
        Assert.Equal(["a", "b", "c"], ran);
        Assert.Contains("shutdown: b in ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("(b ok)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("stopped in ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APhaseOverrunningItsOwnBudgetIsReportedAndTheNextPhaseStillRuns()
    {
        var ran = new List<string>();
        var output = new StringWriter();

        var code = await new ShutdownSequence(TimeSpan.FromSeconds(20), output)
            .RunAsync([Stuck("drain", TimeSpan.FromMilliseconds(200), ran, "1 RESP connection(s) still open"), Done("leave", ran)]);

        Assert.Equal(0, code);
        Assert.Equal(["drain", "leave"], ran);
        Assert.Contains("shutdown: drain not finished after", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 RESP connection(s) still open; going on", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PastTheOverallDeadlineTheSequenceReportsWhatIsPendingAndExitsNonZero()
    {
        var ran = new List<string>();
        var output = new StringWriter();
        var clock = Stopwatch.StartNew();

        var code = await new ShutdownSequence(TimeSpan.FromMilliseconds(600), output)
            .RunAsync([Done("drain", ran), Stuck("leave", null, ran, "node 2 has not terminated"), Done("journal", ran)]);

        Assert.Equal(1, code);
        Assert.Equal(["drain", "leave"], ran);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the sequence took {clock.Elapsed} with a 0.6 s deadline");
        Assert.Contains("deadline of 0.6 s passed", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("still pending: leave: node 2 has not terminated; journal: not started", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APhaseThatGivesUpWhenItsBudgetIsCutIsReportedWithWhatIsPending()
    {
        var ran = new List<string>();
        var output = new StringWriter();
        var leave = new ShutdownPhase("cluster", null, async (_, cut) =>
        {
            await Task.Delay(Timeout.Infinite, cut);
            return "";
        }, () => "node 3 has not terminated");

        var code = await new ShutdownSequence(TimeSpan.FromMilliseconds(500), output).RunAsync([leave, Done("journal", ran)]);

        Assert.Equal(1, code);
        Assert.Contains("still pending: cluster: node 3 has not terminated; journal: not started", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailingPhaseIsReportedAndTheNextPhaseStillRuns()
    {
        var ran = new List<string>();
        var output = new StringWriter();
        var failing = new ShutdownPhase("leaderships", TimeSpan.FromSeconds(1), (_, _) => throw new InvalidOperationException("boom"), () => "");

        var code = await new ShutdownSequence(TimeSpan.FromSeconds(10), output).RunAsync([failing, Done("leave", ran)]);

        Assert.Equal(0, code);
        Assert.Equal(["leave"], ran);
        Assert.Contains("shutdown: leaderships failed after", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("boom", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ShutdownDeadlinesComeFromTheConfigFileAndTheCommandLineWins()
    {
        var config = ConfigurationFactory.ParseString("akka-raft.host.shutdown { timeout = 30s, drain-timeout = 5s }");

        var fromFile = ShutdownSettings.From(config);
        var fromFlag = ShutdownSettings.From(config, TimeSpan.FromSeconds(4));

        Assert.Equal(new ShutdownSettings(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3)), fromFile);
        Assert.Equal(TimeSpan.FromSeconds(4), fromFlag.Timeout);
        Assert.Equal(ShutdownSettings.Default, ShutdownSettings.From(null));
        Assert.Throws<ArgumentException>(() => ShutdownSettings.From(null, TimeSpan.Zero));
    }
}
