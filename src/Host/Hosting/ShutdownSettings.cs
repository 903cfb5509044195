using Akka.Configuration;

namespace AkkaRaft.Host.Hosting;

/// <summary>
/// Deadlines of the shutdown sequence (<c>akka-raft.host.shutdown</c>): the whole sequence, draining the front ends, and
/// handing leaderships away; leaving the cluster and closing the journal get whatever the overall deadline leaves.
/// </summary>
internal sealed record ShutdownSettings(TimeSpan Timeout, TimeSpan DrainTimeout, TimeSpan TransferLeadersTimeout)
{
    /// <summary>10 s in all, at most 3 s to drain connections and 3 s to hand leaderships away.</summary>
    public static ShutdownSettings Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3));

    /// <summary>Reads <c>akka-raft.host.shutdown</c> from <paramref name="config"/> (defaults where absent); <paramref name="timeout"/> wins over the file.</summary>
    /// <exception cref="ArgumentException">A deadline is not positive.</exception>
    public static ShutdownSettings From(Config? config, TimeSpan? timeout = null)
    {
        var settings = Default;
        if (config is not null)
        {
            settings = new ShutdownSettings(
                config.GetTimeSpan("akka-raft.host.shutdown.timeout", Default.Timeout),
                config.GetTimeSpan("akka-raft.host.shutdown.drain-timeout", Default.DrainTimeout),
                config.GetTimeSpan("akka-raft.host.shutdown.transfer-leaders-timeout", Default.TransferLeadersTimeout));
        }
        if (timeout is { } overall) settings = settings with { Timeout = overall };
        settings.Validate();
        return settings;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a deadline is zero or negative.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"the shutdown timeout must be positive, got {Timeout}");
        if (DrainTimeout <= TimeSpan.Zero) throw new ArgumentException($"akka-raft.host.shutdown.drain-timeout must be positive, got {DrainTimeout}");
        if (TransferLeadersTimeout <= TimeSpan.Zero) throw new ArgumentException($"akka-raft.host.shutdown.transfer-leaders-timeout must be positive, got {TransferLeadersTimeout}");
    }
}
