namespace AkkaRaft.Host.Resp;

/// <summary>
/// When a connection is closed for silence: after <see cref="RespServerOptions.IdleTimeout"/> without input, and, while it is
/// not authenticated, at <see cref="RespServerOptions.AuthTimeout"/> after it opened. <see cref="Token"/> (linked to the
/// connection's own) fires at the deadline; the handler arms it before every read and disarms it once bytes arrive.
/// </summary>
internal sealed class RespConnectionDeadline : IDisposable
{
    private readonly RespServerOptions options;
    private readonly TimeProvider clock;
    private readonly long openedAt;
    private readonly CancellationTokenSource source;

    /// <summary>Starts the clock of a connection that opened now.</summary>
    public RespConnectionDeadline(RespServerOptions options, CancellationToken connectionClosed, TimeProvider? clock = null)
    {
        this.options = options;
        this.clock = clock ?? TimeProvider.System;
        openedAt = this.clock.GetTimestamp();
        source = CancellationTokenSource.CreateLinkedTokenSource(connectionClosed);
    }

    /// <summary>Cancelled at the deadline or when the connection closes.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Why the deadline closed the connection (for the log), once <see cref="Token"/> fired for it.</summary>
    public string Reason { get; private set; } = "";

    /// <summary>Arms the deadline before waiting for input.</summary>
    public void Arm(bool authenticated, bool passwordSet)
    {
        var wait = Timeout.InfiniteTimeSpan;
        Reason = "";
        if (options.IdleTimeout > TimeSpan.Zero)
        {
            wait = options.IdleTimeout;
            Reason = $"idle for {options.IdleTimeout.TotalSeconds:0.###} s";
        }
        if (!authenticated && passwordSet && options.AuthTimeout > TimeSpan.Zero)
        {
            var left = options.AuthTimeout - clock.GetElapsedTime(openedAt);
            if (left < TimeSpan.FromMilliseconds(1)) left = TimeSpan.FromMilliseconds(1);
            if (wait == Timeout.InfiniteTimeSpan || left < wait)
            {
                wait = left;
                Reason = $"not authenticated within {options.AuthTimeout.TotalSeconds:0.###} s";
            }
        }
        if (wait != Timeout.InfiniteTimeSpan) source.CancelAfter(wait);
    }

    /// <summary>Disarms it: input arrived, the connection is busy with it.</summary>
    public void Disarm() => source.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <inheritdoc />
    public void Dispose() => source.Dispose();
}
