using Akka.Actor;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// The sender a store gives the proposal or read it hands its region's replica on behalf of a router: the replica answers
/// it as it answers any requester, and it turns that answer into the <see cref="StoreReply"/> numbered with the router's
/// request id and tells it straight to the router's inbox (on this node or another). No Ask, no temporary actor: it is
/// never registered, has no mailbox and is never serialized, since only actors of this node (the coordinator, the replica)
/// ever hold it; it lives as long as the replica keeps the request.
/// </summary>
internal sealed class StoreReplyRoute : MinimalActorRef
{
    private readonly IActorRef _inbox;
    private readonly long _requestId;
    private readonly Region _region;
    private readonly ulong _storeId;
    private readonly bool _isWrite;
    private ActorPath? _path;

    /// <summary>A route to <paramref name="inbox"/> for request <paramref name="requestId"/> on <paramref name="region"/> of store <paramref name="storeId"/>.</summary>
    public StoreReplyRoute(IActorRefProvider provider, IActorRef inbox, long requestId, Region region, ulong storeId, bool isWrite)
    {
        Provider = provider;
        _inbox = inbox;
        _requestId = requestId;
        _region = region;
        _storeId = storeId;
        _isWrite = isWrite;
    }

    /// <inheritdoc />
    public override IActorRefProvider Provider { get; }

    /// <inheritdoc />
    /// <remarks>Made only when asked for (logs, equality): a path under /temp that no other ref has.</remarks>
    public override ActorPath Path => _path ??= Provider.TempPath();

    /// <inheritdoc />
    protected override void TellInternal(object message, IActorRef sender) =>
        _inbox.Tell(StoreReplies.FromReplica(message, _region, _storeId, _isWrite) with { RequestId = _requestId }, ActorRefs.NoSender);
}
