using Akka.Event;
using AkkaRaft.Host.Hosting;

namespace AkkaRaft.Host.Tests;

/// <summary>Which of Akka's routine warnings the host keeps quiet, and when.</summary>
public sealed class QuietAkkaLoggerTests
{
    private static Warning Warn(string message) => new("source", typeof(QuietAkkaLoggerTests), message);

    [Fact]
    public void LateHeartbeatsAreQuietWhileStartingAndLoudOnceRunningInNodeMode()
    {
        var late = Warn("heartbeat interval is growing too large for address akka.tcp://akkaraft@127.0.0.1:2552: 2345 millis");
        var delayed = Warn("Cluster Node [x] - Scheduled sending of heartbeat was delayed. Previous heartbeat was sent [2500] ms ago");

        Assert.True(QuietAkkaLogger.IsRoutine(late, HostPhase.Starting, quietHeartbeats: false));
        Assert.True(QuietAkkaLogger.IsRoutine(delayed, HostPhase.Starting, quietHeartbeats: false));
        Assert.False(QuietAkkaLogger.IsRoutine(late, HostPhase.Running, quietHeartbeats: false));
        Assert.True(QuietAkkaLogger.IsRoutine(late, HostPhase.Running, quietHeartbeats: true));
    }

    [Fact]
    public void PeersGoingAwayAreQuietOnlyWhileThisProcessStops()
    {
        var gone = Warn("Association with remote system akka.tcp://akkaraft@127.0.0.1:2552 has failed; address is now gated for 5000 ms.");

        Assert.True(QuietAkkaLogger.IsRoutine(gone, HostPhase.Stopping, quietHeartbeats: false));
        Assert.False(QuietAkkaLogger.IsRoutine(gone, HostPhase.Running, quietHeartbeats: false));
    }

    [Fact]
    public void MessagesForReplicasNotYetRecreatedAreQuietOnlyWhileStarting()
    {
        var early = Warn("[group 2] message Heartbeat from node 2 for a group this node does not host");

        Assert.True(QuietAkkaLogger.IsRoutine(early, HostPhase.Starting, quietHeartbeats: false));
        Assert.False(QuietAkkaLogger.IsRoutine(early, HostPhase.Running, quietHeartbeats: false));
    }

    [Fact]
    public void OtherWarningsAndErrorsAlwaysShow()
    {
        Assert.False(QuietAkkaLogger.IsRoutine(Warn("[region 1] journal write failed"), HostPhase.Starting, quietHeartbeats: true));
        Assert.False(QuietAkkaLogger.IsRoutine(new Error(null, "source", typeof(QuietAkkaLoggerTests), "boom"), HostPhase.Stopping, quietHeartbeats: true));
    }
}
