using System.Collections.Immutable;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv.Redis;

namespace AkkaRaft.Host.Resp;

/// <summary>The typed keyspace (hashes, lists, sets, sorted sets, expiry, more strings) over <see cref="IKvClient.ExecuteAsync"/>.</summary>
internal sealed partial class RespSession
{
    /// <summary>
    /// Runs a command of <see cref="RedisCommandTable"/>: arity and argument errors are answered here without a round trip
    /// (in order with the pending replies), everything else goes to the region holding the keys, pipelined like GET/SET.
    /// </summary>
    private async ValueTask ExecuteTypedAsync(RedisCommandSpec spec, byte[][] arguments)
    {
        if (!spec.ArityAccepts(arguments.Length))
        {
            await ReplyErrorAsync($"ERR wrong number of arguments for '{spec.Name}' command");
            return;
        }

        var args = ImmutableArray.Create(arguments);
        if (RedisCommandTable.ArgumentError(args) is { } argumentError)
        {
            await ReplyErrorAsync(argumentError);
            return;
        }

        var last = spec.LastKey < 0 ? arguments.Length + spec.LastKey : Math.Min(spec.LastKey, arguments.Length - 1);
        var keyCount = last < spec.FirstKey ? 0 : ((last - spec.FirstKey) / spec.Step) + 1;
        await ReserveKeysAsync(arguments, spec.FirstKey, spec.Step, keyCount);
        Enqueue(client.ExecuteAsync(arguments, connectionClosed), spec.IsWrite);
    }

    /// <summary>Writes an array (nested) or status reply of the typed keyspace.</summary>
    private void WriteTypedReply(KvReply reply)
    {
        switch (reply)
        {
            case KvReply.Status status:
                writer.WriteSimpleString(status.Text);
                break;
            case KvReply.Array { Items: null }:
                writer.WriteNullArray();
                break;
            case KvReply.Array array:
                writer.WriteArrayHeader(array.Items.Count);
                foreach (var item in array.Items) WriteKvReply(item);
                break;
            default:
                WriteKvReply(reply);
                break;
        }
    }
}
