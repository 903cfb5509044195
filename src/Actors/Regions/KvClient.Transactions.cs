using System.Collections.Immutable;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// WATCH and MULTI/EXEC through the router: a transaction is one <see cref="TransactionCommand"/> in the one region that
/// holds all its keys (and its watched keys); keys of several regions are refused as Redis Cluster refuses several slots.
/// </summary>
internal sealed partial class KvClient
{
    /// <summary>
    /// The stamp a transaction carries for a watched key when its region changed (split, merge) since the WATCH: no key
    /// ever has it, so the transaction aborts (nil array), as Redis aborts one whose watched key was touched.
    /// </summary>
    private const ulong NeverStamp = ulong.MaxValue;

    /// <inheritdoc />
    public async Task<KvWatch> WatchAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return KvWatch.Failed(Invalid("wrong number of arguments for 'watch' command"));
        if (keys.Count > KvCommandCodec.MaxWatchedKeys) return KvWatch.Failed(Invalid($"WATCH of more than {KvCommandCodec.MaxWatchedKeys} keys"));
        var list = keys.ToImmutableArray();
        var deadline = StartDeadline();
        while (!deadline.IsOver(_clock))
        {
            var region = await ResolveAsync(list[0], deadline, cancellationToken).ConfigureAwait(false);
            if (region is null) break;
            if (!list.All(k => region.Contains(k))) return KvWatch.Failed(new KvReply.Error(KvErrorCode.CommandError, CrossRegionError));
            Region? readIn = null;
            var reply = await CallAsync(list, r =>
            {
                readIn = r;
                return Request(r, new WatchStampsCommand(r.Id, r.Epoch, list));
            }, false, deadline, cancellationToken).ConfigureAwait(false);
            if (reply is null) continue; // the region changed under the keys: look again
            var answer = StoreReplies.ToKvReply(reply);
            if (answer is KvReply.Error error) return KvWatch.Failed(error);
            if (answer is not KvReply.Array { Items: { } stamps } || stamps.Count != list.Length || readIn is null)
                return KvWatch.Failed(Invalid($"unexpected answer to WATCH: {answer}"));
            return new KvWatch(readIn.Id, readIn.Epoch.Version,
                [.. list.Select((key, i) => new WatchedKey(key, unchecked((ulong)((KvReply.Integer)stamps[i]).Number)))]);
        }
        return KvWatch.Failed(new KvReply.Error(KvErrorCode.Unavailable, $"no region for key {KeyText.Quote(list[0])} within the deadline"));
    }

    /// <inheritdoc />
    public async Task<KvReply> ExecuteTransactionAsync(IReadOnlyList<IReadOnlyList<byte[]>> commands, KvWatch? watch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (watch?.Error is { } watchError) return watchError;
        if (commands.Count > TransactionCommand.MaxCommands) return Invalid($"a transaction of more than {TransactionCommand.MaxCommands} commands");
        var queued = commands.Select(c => c.ToImmutableArray()).ToImmutableArray();
        foreach (var args in queued)
            if (TransactionVerbs.QueueError(args) is { } queueError) return new KvReply.Error(KvErrorCode.CommandError, queueError);
        var keys = queued.SelectMany(TransactionVerbs.KeysOf).ToList();
        var watched = watch?.Keys ?? [];
        var routing = keys.Count > 0 ? keys[0] : watched.Count > 0 ? watched[0].Key : null;
        // Nothing to route by (only PING/ECHO, nothing watched): the answers need no data.
        if (routing is null) return new KvReply.Array([.. queued.Select(KeylessReply)]);
        var deadline = StartDeadline();
        while (!deadline.IsOver(_clock))
        {
            var region = await ResolveAsync(routing, deadline, cancellationToken).ConfigureAwait(false);
            if (region is null) break;
            if (!keys.All(k => region.Contains(k))) return new KvReply.Error(KvErrorCode.CommandError, CrossRegionError);
            if (!watched.All(w => region.Contains(w.Key)))
                return new KvReply.Error(KvErrorCode.CommandError, "CROSSSLOT WATCHed keys and the transaction's keys are not in the same region");
            var reply = await CallAsync([.. keys, .. watched.Select(w => w.Key)], r =>
            {
                var unchanged = watch is null || (watch.RegionId == r.Id && watch.RegionVersion == r.Epoch.Version);
                var stamps = watched.Select(w => unchanged ? w : w with { Stamp = NeverStamp }).ToImmutableArray();
                return Request(r, new TransactionCommand(r.Id, r.Epoch, 0, queued, stamps));
            }, true, deadline, cancellationToken).ConfigureAwait(false);
            if (reply is not null) return StoreReplies.ToKvReply(reply);
        }
        return new KvReply.Error(KvErrorCode.Unavailable, $"no region for key {KeyText.Quote(routing)} within the deadline");
    }

    private static KvReply KeylessReply(ImmutableArray<byte[]> args) =>
        TransactionVerbs.NameOf(args[0]) switch
        {
            "ping" when args.Length == 1 => new KvReply.Status("PONG"),
            "ping" or "echo" => new KvReply.Value(args[1]),
            var name => new KvReply.Error(KvErrorCode.CommandError, $"ERR '{name}' names no key"),
        };
}
