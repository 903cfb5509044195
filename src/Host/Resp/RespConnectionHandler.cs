using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace AkkaRaft.Host.Resp;

/// <summary>
/// Kestrel connection handler speaking RESP: reads every command available, starts them (pipelined), writes the
/// replies in order and flushes once per batch. Malformed input gets one protocol error and closes this connection only.
/// When the server stops (Kestrel asks every connection to close) the commands already received are answered and the
/// connection closes; nothing read after that is executed.
/// </summary>
internal sealed class RespConnectionHandler : ConnectionHandler
{
    private readonly RespServerState server;
    private readonly ILogger<RespConnectionHandler> logger;

    /// <summary>Creates the handler of an endpoint (resolved by Kestrel from the service provider).</summary>
    public RespConnectionHandler(RespServerState server, ILogger<RespConnectionHandler> logger)
    {
        this.server = server;
        this.logger = logger;
    }

    /// <summary>Redis's answer to the connection past maxclients.</summary>
    internal const string MaxClientsReply = "ERR max number of clients reached";

    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var id = server.OnConnected();
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var parser = new RespRequestParser(server.Options);
        var session = new RespSession(server, output, id, connection.RemoteEndPoint?.ToString() ?? "?", connection.ConnectionClosed);
        using var deadline = new RespConnectionDeadline(server.Options, connection.ConnectionClosed);
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        // A read waiting for the client's next command ends at once; the batch being executed is finished first.
        using var stopReading = closeRequested.Register(input.CancelPendingRead);
        using var stopReadingOnFail = server.PendingFailed.Register(input.CancelPendingRead);
        try
        {
            if (server.ConnectedClients > server.Options.MaxClients)
            {
                // As Redis: the error, then close. Counted until the finally below, like every other connection.
                logger.LogInformation("RESP client {ClientId} ({Remote}) refused: {Max} clients connected (maxclients)", id, connection.RemoteEndPoint, server.Options.MaxClients);
                await session.WriteErrorAfterPendingAsync(MaxClientsReply);
                await session.DrainAsync(flush: true);
                return;
            }

            while (true)
            {
                deadline.Arm(session.IsAuthenticated, server.Password != null);
                ReadResult result;
                try
                {
                    result = await input.ReadAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.Token.IsCancellationRequested && !connection.ConnectionClosed.IsCancellationRequested)
                {
                    logger.LogInformation("RESP client {ClientId} ({Remote}) closed: {Reason}", id, connection.RemoteEndPoint, deadline.Reason);
                    return;
                }

                deadline.Disarm();
                var buffer = result.Buffer;
                var keepOpen = true;
                try
                {
                    while (keepOpen)
                    {
                        parser.Authenticated = session.IsAuthenticated;
                        var status = parser.TryRead(ref buffer, out var request, out var error);
                        if (status == RespParseStatus.NeedMoreData) break;
                        if (status == RespParseStatus.ProtocolError)
                        {
                            server.OnProtocolError();
                            logger.LogInformation("RESP client {ClientId} ({Remote}) closed: {Error}", id, connection.RemoteEndPoint, error);
                            await session.WriteErrorAfterPendingAsync("ERR " + error);
                            keepOpen = false;
                            break;
                        }

                        keepOpen = await session.ExecuteAsync(request!);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                await session.DrainAsync(flush: true);
                // A half command at end of stream, or when the server stops, is dropped, never executed.
                if (!keepOpen || result.IsCompleted || result.IsCanceled || closeRequested.IsCancellationRequested) return;
            }
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            // the peer went away while we waited for it or for the store
        }
        catch (ConnectionResetException)
        {
            // the peer reset the connection
        }
        finally
        {
            server.OnDisconnected();
        }
    }
}
