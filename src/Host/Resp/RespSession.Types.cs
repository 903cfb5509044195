using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Kv.Redis;

namespace AkkaRaft.Host.Resp;

/// <summary>The typed keyspace (hashes, lists, sets, sorted sets, expiry, more strings) over <see cref="IKvClient.ExecuteAsync"/>.</summary>
internal sealed partial class RespSession
{
    /// <summary>
    /// Runs a command of <see cref="RedisCommandTable"/>: arity errors are answered here; argument errors (syntax, not a
    /// number) by the client without going through a region (<see cref="IKvClient.ExecuteAsync"/>); everything else goes
    /// to the region holding the keys, pipelined like GET/SET, replies in command order.
    /// </summary>
    private async ValueTask ExecuteTypedAsync(RedisCommandSpec spec, byte[][] arguments)
    {
        if (!spec.ArityAccepts(arguments.Length))
        {
            await ReplyErrorAsync($"ERR wrong number of arguments for '{spec.Name}' command");
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
            case KvReply.Double number:
                writer.WriteDouble(RedisText.Double(number.Number));
                break;
            case KvReply.Array { Shape: ArrayShape.Map } map:
                writer.WriteMapHeader(map.Items.Count / 2);
                foreach (var item in map.Items) WriteKvReply(item);
                break;
            case KvReply.Array { Shape: ArrayShape.Set } set:
                writer.WriteSetHeader(set.Items.Count);
                foreach (var item in set.Items) WriteKvReply(item);
                break;
            case KvReply.Array { Shape: ArrayShape.Pairs } pairs when writer.Protocol == 3:
                // RESP3 nests each member with its score.
                writer.WriteArrayHeader(pairs.Items.Count / 2);
                for (var i = 0; i + 1 < pairs.Items.Count; i += 2)
                {
                    writer.WriteArrayHeader(2);
                    WriteKvReply(pairs.Items[i]);
                    WriteKvReply(pairs.Items[i + 1]);
                }
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
