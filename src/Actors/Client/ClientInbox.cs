using Akka.Actor;
using Akka.Event;

namespace AkkaRaft.Actors.Client;

/// <summary>
/// One per client (router): the address replies to its requests are sent to, local or from another node. It hands each
/// reply to the <see cref="PendingCalls{TReply}"/> call waiting for its id; a reply nobody waits for (late, after the
/// call's timeout, or with an unknown id) is dropped and logged at debug level.
/// </summary>
internal sealed class ClientInbox<TReply> : ReceiveActor where TReply : class, ICorrelatedReply
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Props of the inbox completing <paramref name="calls"/>.</summary>
    public static Props Props(PendingCalls<TReply> calls) => Akka.Actor.Props.Create(() => new ClientInbox<TReply>(calls));

    /// <summary>Creates the inbox.</summary>
    public ClientInbox(PendingCalls<TReply> calls)
    {
        Receive<TReply>(reply =>
        {
            if (!calls.Complete(reply.RequestId, reply) && _log.IsDebugEnabled)
                _log.Debug("reply to request {0} dropped: no call waits for it (late or unknown)", reply.RequestId);
        });
    }
}
