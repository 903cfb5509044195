using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Resp;

/// <summary>What every connection of one RESP endpoint shares: the KV client, the options and the counters INFO reports.</summary>
internal sealed class RespServerState
{
    private long connectedClients;
    private long totalConnections;
    private long totalCommands;
    private long protocolErrors;
    private readonly CancellationTokenSource failPending = new();

    /// <summary>Creates the shared state of an endpoint serving <paramref name="client"/>.</summary>
    public RespServerState(IKvClient client, RespServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Client = client;
        Options = options;
        Password = options.Password is null ? null : new Security.SecretDigest(options.Password);
    }

    /// <summary>The configured password as a digest (compared in constant time); null when AUTH is off.</summary>
    internal Security.SecretDigest? Password { get; }

    /// <summary>The store the commands go to.</summary>
    public IKvClient Client { get; }

    /// <summary>The endpoint's settings.</summary>
    public RespServerOptions Options { get; }

    /// <summary>The SCAN cursors handed out by this endpoint.</summary>
    internal ScanCursorTable ScanCursors { get; } = new();

    /// <summary>When the endpoint was created.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The port actually bound (differs from <see cref="RespServerOptions.Port"/> when that is 0); 0 before start.</summary>
    public int BoundPort => (ListenOptions?.EndPoint as System.Net.IPEndPoint)?.Port ?? 0;

    /// <summary>Kestrel's listen options of the endpoint; Kestrel replaces their end point with the bound one at start.</summary>
    internal Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? ListenOptions { get; set; }

    /// <summary>Connections open now.</summary>
    public long ConnectedClients => Interlocked.Read(ref connectedClients);

    /// <summary>Connections accepted since start.</summary>
    public long TotalConnections => Interlocked.Read(ref totalConnections);

    /// <summary>Commands executed since start.</summary>
    public long TotalCommands => Interlocked.Read(ref totalCommands);

    /// <summary>Connections closed because of malformed input since start.</summary>
    public long ProtocolErrors => Interlocked.Read(ref protocolErrors);

    /// <summary>Cancelled by <see cref="FailPending"/>: sessions stop waiting for the store and answer what is pending with an error.</summary>
    internal CancellationToken PendingFailed => failPending.Token;

    /// <summary>
    /// Shutdown: every connection answers the commands it still waits for with an error (-UNKNOWN for a write, whose
    /// outcome is then unknown; -TRYAGAIN for a read) and closes, instead of waiting for the store.
    /// </summary>
    public void FailPending() => failPending.Cancel();

    internal long OnConnected()
    {
        Interlocked.Increment(ref connectedClients);
        return Interlocked.Increment(ref totalConnections);
    }

    internal void OnDisconnected() => Interlocked.Decrement(ref connectedClients);

    internal void OnCommands(long count) => Interlocked.Add(ref totalCommands, count);

    internal void OnProtocolError() => Interlocked.Increment(ref protocolErrors);
}
