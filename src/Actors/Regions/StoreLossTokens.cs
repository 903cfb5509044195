using System.Collections.Concurrent;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// One cancellation token per store, cancelled when this node's transport loses that store's node: a router request in
/// flight to it ends at once (an unknown outcome for a write, a retry for a read) instead of at its attempt timeout.
/// Thread-safe: the store actor signals, routers wait on any thread. One source per store id, so bounded by the stores.
/// </summary>
internal sealed class StoreLossTokens
{
    private readonly ConcurrentDictionary<ulong, CancellationTokenSource> _sources = new();

    /// <summary>The token cancelled at the next loss of <paramref name="storeId"/>'s node.</summary>
    public CancellationToken For(ulong storeId) => _sources.GetOrAdd(storeId, _ => new CancellationTokenSource()).Token;

    /// <summary>The node of <paramref name="storeId"/> was lost: requests waiting on it end now; later ones get a fresh token.</summary>
    public void Lost(ulong storeId)
    {
        // Not disposed: a router may still be linking to its token; a cancelled source holds no timer.
        if (_sources.TryRemove(storeId, out var source)) source.Cancel();
    }
}
