using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace AkkaRaft.Host.Hosting;

/// <summary>What the host is doing, for <see cref="QuietAkkaLogger"/>: which of Akka's routine warnings are noise now.</summary>
internal enum HostPhase
{
    /// <summary>Nodes start (JIT, joining): late heartbeats are expected.</summary>
    Starting,
    /// <summary>Serving.</summary>
    Running,
    /// <summary>Shutting down: peers going away are expected.</summary>
    Stopping,
}

/// <summary>
/// The host's Akka logger (not used with --verbose): prints log events like Akka's default logger, except routine warnings
/// a user cannot act on, which it treats as debug (not printed): late heartbeats while nodes start (and always between the
/// embedded host's nodes, which share one process), Raft messages for replicas a restarting node has not recreated yet,
/// and remote associations failing while this process stops.
/// </summary>
internal sealed class QuietAkkaLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static int phase = (int)HostPhase.Starting;

    /// <summary>Creates the logger (Akka does, from <c>akka.loggers</c>).</summary>
    public QuietAkkaLogger()
    {
        var quietHeartbeats = Context.System.Settings.Config.GetBoolean("akka-raft.host.quiet-heartbeat-warnings", false);
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (!IsRoutine(e, Phase, quietHeartbeats)) Console.Out.WriteLine(e.ToString());
        });
    }

    /// <summary>The process's phase (shared by every actor system of the process).</summary>
    public static HostPhase Phase
    {
        get => (HostPhase)Volatile.Read(ref phase);
        set => Volatile.Write(ref phase, (int)value);
    }

    /// <summary>True for a routine event that is treated as debug in <paramref name="now"/>.</summary>
    internal static bool IsRoutine(LogEvent e, HostPhase now, bool quietHeartbeats)
    {
        if (e.LogLevel() < Akka.Event.LogLevel.WarningLevel) return false;
        var message = e.Message?.ToString() ?? "";
        var lateHeartbeat = message.Contains("heartbeat interval is growing too large", StringComparison.Ordinal)
            || message.Contains("heartbeat was delayed", StringComparison.Ordinal);
        if (lateHeartbeat) return quietHeartbeats || now == HostPhase.Starting;
        // A restarted node hears from its peers before its store recreated the replicas from the layout.
        if (message.Contains("for a group this node does not host", StringComparison.Ordinal)) return now == HostPhase.Starting;
        if (now != HostPhase.Stopping) return false;
        return (e.Cause?.GetType().Name ?? "") is "EndpointDisassociatedException" or "InvalidAssociationException"
            || message.Contains("Disassociated", StringComparison.Ordinal)
            || message.Contains("address is now gated", StringComparison.Ordinal)
            || message.Contains("Association with remote system", StringComparison.Ordinal);
    }
}
