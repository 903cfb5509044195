using System.Net;

namespace AkkaRaft.Host.Resp;

/// <summary>Settings of the RESP (Redis protocol) endpoint: where it listens, who may talk to it, and the bounds of every buffer.</summary>
internal sealed record RespServerOptions
{
    /// <summary>Address to listen on (default loopback).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port (default 6379; 0 picks a free port, see <see cref="RespServerState.BoundPort"/>).</summary>
    public int Port { get; init; } = 6379;

    /// <summary>Password of the default user; null means no AUTH is required.</summary>
    public string? Password { get; init; }

    /// <summary>Largest accepted bulk string (a key or a value) in bytes; a longer one is a protocol error.</summary>
    public int MaxBulkLength { get; init; } = 8 * 1024 * 1024;

    /// <summary>Largest accepted number of arguments in one command.</summary>
    public int MaxMultiBulkCount { get; init; } = 1024 * 1024;

    /// <summary>Longest accepted inline command line (telnet style) in bytes.</summary>
    public int MaxInlineLength { get; init; } = 64 * 1024;

    /// <summary>Largest accepted command (sum of its argument lengths) in bytes.</summary>
    public long MaxRequestBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Commands of one connection parsed but not yet answered; at the bound the connection stops reading until replies are written.</summary>
    public int MaxPipelineDepth { get; init; } = 1024;

    /// <summary>Arguments of one command before AUTH (as Redis: 10); more close the connection with a protocol error.</summary>
    public int UnauthenticatedMaxArguments { get; init; } = 10;

    /// <summary>Bytes of one command before AUTH (as Redis: 16 KiB), counted from its headers before anything is allocated.</summary>
    public int UnauthenticatedMaxRequestBytes { get; init; } = 16 * 1024;

    /// <summary>Connections served at once (Redis's maxclients); one more gets "-ERR max number of clients reached" and is closed.</summary>
    public int MaxClients { get; init; } = 10_000;

    /// <summary>A connection that sends nothing for this long is closed (Redis's timeout); zero keeps idle connections open.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>With a password, a connection not authenticated this long after it opened is closed; zero turns this off.</summary>
    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>FLUSHDB and FLUSHALL remove every key only when this is on (<c>akka-raft.host.allow-flush</c>, default off).</summary>
    public bool AllowFlush { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a bound is not positive or the bounds contradict each other.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBulkLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMultiBulkCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInlineLength, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, MaxBulkLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPipelineDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(UnauthenticatedMaxArguments);
        ArgumentOutOfRangeException.ThrowIfLessThan(UnauthenticatedMaxRequestBytes, 64);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxClients);
        ArgumentOutOfRangeException.ThrowIfLessThan(IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(AuthTimeout, TimeSpan.Zero);
        if (Password is { Length: 0 }) throw new ArgumentException("the password must not be empty (leave it unset to turn AUTH off)", nameof(Password));
    }
}
