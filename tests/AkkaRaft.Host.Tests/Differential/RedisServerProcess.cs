using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Host.Tests.Differential;

/// <summary>
/// A real redis-server (Debian package redis-server; test.sh installs it) on a free loopback port, with no persistence,
/// owned by the test: killed on dispose.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcess process;

    private RedisServerProcess(ChildProcess process, int port, string version)
    {
        this.process = process;
        Port = port;
        Version = version;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>redis_version from INFO server.</summary>
    public string Version { get; }

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public static async Task<RedisServerProcess> StartAsync()
    {
        var port = FreePort();
        ChildProcess process;
        try
        {
            process = ChildProcess.Start("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", Path.GetTempPath()]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: ./test.sh installs it (Debian package redis-server)", e);
        }

        try
        {
            var version = await Eventually.UntilAsync(async _ =>
            {
                if (process.HasExited) throw new InvalidOperationException($"redis-server exited: {process.Output}");
                await using var wire = await RespWire.ConnectAsync(port);
                var info = Encoding.UTF8.GetString(await wire.CommandAsync("INFO", "server"));
                return info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("redis_version:", StringComparison.Ordinal))?["redis_version:".Length..] ?? "";
            }, v => v.Length > 0, StartTimeout, $"redis-server on port {port} answering");
            return new RedisServerProcess(process, port, version);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => process.DisposeAsync();
}
