using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AkkaRaft.Actors.Kv;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;
using AkkaRaft.TestKit.Linearizability;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>One client of a linearizability history: random SET/GET/INCR on a few keys, each outcome recorded.</summary>
internal static class RegisterClient
{
    /// <summary>
    /// Performs operation <paramref name="seq"/> of <paramref name="client"/> (key and kind drawn from <paramref name="random"/>)
    /// and records it in <paramref name="history"/>: a write answered OutcomeUnknown is recorded with an unknown outcome; any other
    /// error means "not applied" (the router retries only what was definitely not applied) and is only logged.
    /// </summary>
    public static async Task StepAsync(IKvClient kv, int client, int seq, string[] keys, Random random, ConcurrentQueue<RegisterOp> history, ITestOutputHelper output)
    {
        var key = keys[random.Next(keys.Length)];
        var kind = (RegisterOpKind)random.Next(3);
        var argument = kind == RegisterOpKind.Set ? (client * 100_000L) + seq : kind == RegisterOpKind.Increment ? 1 : 0;
        var invoked = Stopwatch.GetTimestamp();
        var reply = kind switch
        {
            RegisterOpKind.Set => await kv.SetAsync(K(key), K(argument.ToString(CultureInfo.InvariantCulture))),
            RegisterOpKind.Get => await kv.GetAsync(K(key)),
            _ => await kv.IncrementAsync(K(key), argument),
        };
        var returned = Stopwatch.GetTimestamp();
        switch (reply)
        {
            case KvReply.OkReply:
                history.Enqueue(new RegisterOp(client, key, kind, argument, null, invoked, returned));
                break;
            case KvReply.Value value:
                history.Enqueue(new RegisterOp(client, key, kind, argument, value.Data is null ? null : long.Parse(Encoding.UTF8.GetString(value.Data), CultureInfo.InvariantCulture), invoked, returned));
                break;
            case KvReply.Integer integer:
                history.Enqueue(new RegisterOp(client, key, kind, argument, integer.Number, invoked, returned));
                break;
            case KvReply.Error { Code: KvErrorCode.OutcomeUnknown } when kind != RegisterOpKind.Get:
                // Outcome unknown: it may take effect at any time after its invocation.
                history.Enqueue(new RegisterOp(client, key, kind, argument, null, invoked, long.MaxValue));
                break;
            case KvReply.Error error:
                output.WriteLine($"c{client} {kind} {key}: {error.Code} {error.Message}");
                break;
        }
    }
}
