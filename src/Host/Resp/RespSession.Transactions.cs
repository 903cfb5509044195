using System.Text;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv;

namespace AkkaRaft.Host.Resp;

/// <summary>
/// MULTI / EXEC / DISCARD / WATCH / UNWATCH (Redis's multi.c): after MULTI, commands are checked (unknown command, arity)
/// and queued with +QUEUED; a queue-time error makes EXEC answer EXECABORT. EXEC sends the queue as one transaction of one
/// region (<see cref="IKvClient.ExecuteTransactionAsync"/>); WATCH reads the keys' stamps first, and EXEC answers a nil
/// array when one changed. EXEC and DISCARD end the watch, as in Redis.
/// </summary>
/// <remarks>
/// Only data commands (<see cref="TransactionVerbs"/>) and PING/ECHO may be queued; connection and server commands
/// (SELECT, CLIENT, INFO, ...) are refused at queue time (Redis would queue them), which aborts the transaction.
/// </remarks>
internal sealed partial class RespSession
{
    /// <summary>Redis's EXEC reply after a queue-time error.</summary>
    internal const string ExecAbortReply = "EXECABORT Transaction discarded because of previous errors.";

    // Null outside MULTI. Invariant: at most TransactionCommand.MaxCommands entries; past it a command is refused (and EXEC aborts).
    private List<byte[][]>? queuedCommands;
    private bool queueFailed;
    private KvWatch? watching;

    /// <summary>True while a MULTI is open (commands are being queued).</summary>
    public bool InTransaction => queuedCommands != null;

    /// <summary>Handles the transaction verbs, and queues any other command while MULTI is open; false when the command is not for this file.</summary>
    private async ValueTask<bool> TryExecuteTransactionalAsync(byte[][] arguments)
    {
        switch (Verb(arguments[0]))
        {
            case "MULTI":
                await ReplyTransactionalAsync(MultiReply(arguments));
                return true;
            case "EXEC":
                await ExecAsync(arguments);
                return true;
            case "DISCARD":
                if (arguments.Length != 1) await ReplyErrorAsync("ERR wrong number of arguments for 'discard' command");
                else if (!InTransaction) await ReplyErrorAsync("ERR DISCARD without MULTI");
                else
                {
                    EndTransaction();
                    await ReplyTransactionalAsync(null);
                }
                return true;
            case "WATCH":
                await WatchAsync(arguments);
                return true;
            case "UNWATCH":
                if (arguments.Length != 1)
                {
                    await ReplyErrorAsync("ERR wrong number of arguments for 'unwatch' command");
                    return true;
                }
                watching = null;
                await ReplyTransactionalAsync(null);
                return true;
            case "QUIT":
                return false;
        }

        if (!InTransaction) return false;
        await QueueAsync(arguments);
        return true;
    }

    private string? MultiReply(byte[][] arguments)
    {
        if (arguments.Length != 1) return "ERR wrong number of arguments for 'multi' command";
        // Nested MULTI is refused but does not abort the open transaction (Redis 7 does the same).
        if (InTransaction) return "ERR MULTI calls can not be nested";
        queuedCommands = [];
        queueFailed = false;
        return null;
    }

    private async ValueTask QueueAsync(byte[][] arguments)
    {
        string? error;
        if (TransactionVerbs.NameOf(arguments[0]) is null)
        {
            error = RespCommandTable.Recognize(arguments[0]) == RespCommandKind.Unknown
                ? UnknownCommandMessage(arguments)
                : $"ERR '{Encoding.UTF8.GetString(arguments[0]).ToLowerInvariant()}' cannot be queued in MULTI on this server (only data commands, PING and ECHO)";
        }
        else if (queuedCommands!.Count >= TransactionCommand.MaxCommands)
        {
            error = $"ERR a transaction holds at most {TransactionCommand.MaxCommands} commands";
        }
        else
        {
            error = TransactionVerbs.QueueError(arguments);
        }

        if (error != null)
        {
            queueFailed = true;
            await ReplyErrorAsync(error);
            return;
        }

        queuedCommands!.Add(arguments);
        await DrainAsync();
        writer.WriteSimpleString("QUEUED");
    }

    private async ValueTask ExecAsync(byte[][] arguments)
    {
        if (arguments.Length != 1)
        {
            await ReplyErrorAsync("ERR wrong number of arguments for 'exec' command");
            return;
        }

        if (!InTransaction)
        {
            await ReplyErrorAsync("ERR EXEC without MULTI");
            return;
        }

        var (queued, failed, watch) = (queuedCommands!, queueFailed, watching);
        EndTransaction();
        if (failed)
        {
            await ReplyErrorAsync(ExecAbortReply);
            return;
        }

        // Everything pipelined before EXEC is applied first, so the transaction sees it (and may change it).
        await DrainAsync();
        Enqueue(client.ExecuteTransactionAsync(queued, watch, connectionClosed), isWrite: true);
    }

    private async ValueTask WatchAsync(byte[][] arguments)
    {
        if (arguments.Length < 2)
        {
            await ReplyErrorAsync("ERR wrong number of arguments for 'watch' command");
            return;
        }

        if (InTransaction)
        {
            await ReplyErrorAsync("ERR WATCH inside MULTI is not allowed");
            return;
        }

        await DrainAsync(); // the stamps are read after every earlier command of this connection applied
        KvWatch watch;
        try
        {
            watch = await client.WatchAsync(arguments[1..], connectionClosed).WaitAsync(server.PendingFailed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await ReplyErrorAsync(server.PendingFailed.IsCancellationRequested ? ShuttingDownReadReply : ExceptionMessage(e));
            return;
        }

        if (watch.Error is { } error)
        {
            await ReplyErrorAsync(ErrorReplyText(error));
            return;
        }

        watching = watching is null ? watch : watching.Merge(watch);
        if (watching.Error is { } merged)
        {
            watching = null;
            await ReplyErrorAsync(ErrorReplyText(merged));
            return;
        }

        writer.WriteOk();
    }

    /// <summary>Leaves MULTI and forgets the watch (EXEC and DISCARD both unwatch).</summary>
    private void EndTransaction()
    {
        queuedCommands = null;
        queueFailed = false;
        watching = null;
    }

    private async ValueTask ReplyTransactionalAsync(string? error)
    {
        await DrainAsync();
        if (error is null) writer.WriteOk();
        else writer.WriteError(error);
    }

    private static string Verb(byte[] verb) => verb.Length is > 0 and <= 8 ? Encoding.ASCII.GetString(verb).ToUpperInvariant() : "";
}
