using System.Text.Json;
using AkkaRaft.Bench;
using Xunit.Abstractions;

namespace AkkaRaft.Host.Tests;

/// <summary>
/// A rolling restart as an operator runs one: three `akkaraft node` processes, each in turn stopped with SIGTERM and
/// started again while clients write through every node's RESP port (the bench's rolling-restart scenario).
/// </summary>
[Collection(NodeProcessesCollection.Name)]
public sealed class RollingRestartTests(ITestOutputHelper log)
{
    [Fact]
    public async Task RollingRestartWithSigtermLosesNoAcknowledgedWriteAndFailsFewerThanOneInAThousand()
    {
        var result = await RollingRestartScenario.Run(clientsPerNode: 2, settle: TimeSpan.FromSeconds(3), log.WriteLine);

        log.WriteLine(JsonSerializer.Serialize(result));
        Assert.Equal(0, result.Lost);
        Assert.Equal([0, 0, 0], result.ExitCodes);
        Assert.All(result.ShutdownSeconds, s => Assert.True(s <= 12, $"a node took {s} s to stop after SIGTERM (deadline 10 s)"));
        Assert.True(result.Acknowledged >= 300, $"only {result.Acknowledged} writes were acknowledged: too few to judge");
        Assert.True(result.SuccessPercent >= 99.9, $"{result.SuccessPercent}% of {result.Writes} writes succeeded: {string.Join("; ", result.ErrorExamples)}");
    }
}
