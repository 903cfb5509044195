using AkkaRaft.Actors.Kv;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// Keyspace-wide requests: they walk the regions in key order, each step asking the region that holds the walk's current
/// key and going on from that region's end, so a split or merge between steps neither skips nor repeats a range.
/// </summary>
internal sealed partial class KvClient
{
    /// <summary>Attempts of RANDOMKEY to land on a live key before it takes the first key of the keyspace.</summary>
    private const int RandomKeyAttempts = 3;

    /// <inheritdoc />
    public async Task<KeyScanPage> ScanRegionAsync(byte[] startKey, int limit, string? type = null, long skip = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startKey);
        if (limit < 1) return new KeyScanPage([], null, Invalid($"scan limit {limit} must be at least 1"));
        if (skip < 0) return new KeyScanPage([], null, Invalid($"scan skip {skip} must not be negative"));
        Region? asked = null;
        var reply = await CallAsync([startKey], r =>
        {
            asked = r;
            var from = ByteKeyComparer.Instance.Compare(startKey, r.StartKey) < 0 ? r.StartKey : startKey;
            return Request(r, new ScanCommand(r.Id, r.Epoch, from, limit, skip, type));
        }, false, StartDeadline(), cancellationToken).ConfigureAwait(false);
        if (reply is not { Kind: StoreReplyKind.Value, Value: { } encoded } || asked is null)
        {
            return new KeyScanPage([], null, StoreReplies.ToKvReply(reply) as KvReply.Error ?? new KvReply.Error(KvErrorCode.Unavailable, "no key page"));
        }

        var page = KvResult.KeyPage.Decode(encoded);
        var next = page.ResumeAt ?? (asked.EndKey.Length == 0 ? null : asked.EndKey);
        return new KeyScanPage(page.Keys, next);
    }

    /// <inheritdoc />
    public async Task<KvReply> RandomKeyAsync(CancellationToken cancellationToken = default)
    {
        var deadline = StartDeadline();
        for (var attempt = 0; attempt < RandomKeyAttempts; attempt++)
        {
            var counts = await CountPerRegionAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (counts.Error is { } error) return StoreReplies.ToKvReply(error);
            var total = counts.Regions.Sum(c => c.Count);
            if (total == 0) return new KvReply.Value(null);
            var pick = Random.Shared.NextInt64(total);
            foreach (var (start, count) in counts.Regions)
            {
                if (pick >= count)
                {
                    pick -= count;
                    continue;
                }

                // Skip counts stored entries, expired ones too: a region with many of those may come up short, and is asked again.
                var page = await ScanRegionAsync(start, 1, null, pick, cancellationToken).ConfigureAwait(false);
                if (page.Error is { } pageError) return pageError;
                if (page.Keys.Count > 0) return new KvReply.Value(page.Keys[0]);
                break;
            }
        }

        for (byte[]? start = []; start is not null;)
        {
            var page = await ScanRegionAsync(start, KvStateMachine.MaxScanLimit, null, 0, cancellationToken).ConfigureAwait(false);
            if (page.Error is { } pageError) return pageError;
            if (page.Keys.Count > 0) return new KvReply.Value(page.Keys[0]);
            start = page.NextStartKey;
        }

        return new KvReply.Value(null);
    }

    /// <inheritdoc />
    public async Task<KvReply> FlushAllAsync(CancellationToken cancellationToken = default)
    {
        var flushed = 0;
        var walk = await WalkRegionsAsync(r => Request(r, new FlushCommand(r.Id, r.Epoch, 0)), true, (_, _) => flushed++, StartDeadline(), cancellationToken)
            .ConfigureAwait(false);
        if (walk is null) return KvReply.Ok;
        // Regions flushed before the failure stay flushed: the whole command's outcome is then partial, so it is not safe to call it "not applied".
        if (flushed > 0 && walk.IsRoutingError)
            walk = StoreReply.Of(StoreReplyKind.OutcomeUnknown, $"flushed {flushed} regions, then: {walk.Kind} {walk.Detail}");
        return StoreReplies.ToKvReply(walk);
    }

    /// <summary>The live keys of every region, by region start key, in key order; or the error that stopped the walk.</summary>
    private async Task<(List<(byte[] Start, long Count)> Regions, StoreReply? Error)> CountPerRegionAsync(Deadline deadline, CancellationToken ct)
    {
        var counts = new List<(byte[] Start, long Count)>();
        var error = await WalkRegionsAsync(r => new StoreRequest(0, r.Id, null, r.Epoch.ConfVersion, r.Epoch.Version), false,
            (region, reply) => counts.Add((region.StartKey, reply.Number)), deadline, ct).ConfigureAwait(false);
        return (counts, error);
    }

    /// <summary>
    /// Sends <paramref name="build"/>'s request to every region in key order, from the region holding the empty key on, each
    /// next one being the region that holds the previous one's end key; <paramref name="onRegion"/> sees each answer. Null
    /// when every region answered, else the first error.
    /// </summary>
    private async Task<StoreReply?> WalkRegionsAsync(
        Func<Region, StoreRequest> build, bool isWrite, Action<Region, StoreReply> onRegion, Deadline deadline, CancellationToken ct)
    {
        for (var at = Array.Empty<byte>(); ;)
        {
            Region? asked = null;
            var reply = await CallAsync([at], r =>
            {
                asked = r;
                return build(r);
            }, isWrite, deadline, ct).ConfigureAwait(false);
            if (reply is null) continue; // cannot happen for one key; kept so a changed rule does not skip a region
            if (StoreReplies.IsError(reply.Kind)) return reply;
            // Invariant: a reply to an attempt means a request was built for a region holding the key.
            if (asked is null) throw new InvalidOperationException("a region answered a request never built");
            onRegion(asked, reply);
            if (asked.EndKey.Length == 0) return null;
            at = asked.EndKey;
        }
    }
}
