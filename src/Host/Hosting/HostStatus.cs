namespace AkkaRaft.Host.Hosting;

/// <summary>Whether the host finished starting and whether it is stopping (for /readyz).</summary>
internal sealed class HostStatus
{
    private int state;

    /// <summary>A status that is ready from the start (hosts that do their own start-up, such as tests).</summary>
    public static HostStatus CreateReady()
    {
        var status = new HostStatus();
        status.MarkReady();
        return status;
    }

    /// <summary>True once every region had a leader after start-up ("ready" was printed).</summary>
    public bool IsReady => Volatile.Read(ref state) == 1;

    /// <summary>True once the shutdown sequence began.</summary>
    public bool IsStopping => Volatile.Read(ref state) == 2;

    /// <summary>Start-up finished.</summary>
    public void MarkReady() => Interlocked.CompareExchange(ref state, 1, 0);

    /// <summary>The shutdown began; never ready again.</summary>
    public void MarkStopping() => Volatile.Write(ref state, 2);
}
