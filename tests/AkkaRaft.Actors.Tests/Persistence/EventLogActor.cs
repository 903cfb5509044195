using Akka.Actor;
using Akka.Persistence;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>
/// A persistent actor for the journal tests: persists what it is told (each event on its own with PersistAsync, so
/// many are in flight), answers with the events it has, and reports a recovery failure to the task source it was given.
/// </summary>
internal sealed class EventLogActor : ReceivePersistentActor
{
    private readonly List<object> _events = [];
    private readonly TaskCompletionSource<Exception>? _recoveryFailure;
    private IActorRef _replyTo = ActorRefs.Nobody;
    private int _target;

    public static Props Props(string persistenceId, TaskCompletionSource<Exception>? recoveryFailure = null) =>
        Akka.Actor.Props.Create(() => new EventLogActor(persistenceId, recoveryFailure));

    public EventLogActor(string persistenceId, TaskCompletionSource<Exception>? recoveryFailure)
    {
        PersistenceId = persistenceId;
        _recoveryFailure = recoveryFailure;
        Recover<RecoveryCompleted>(_ => { });
        Recover<SnapshotOffer>(offer => _events.AddRange((object[])offer.Snapshot));
        Recover<object>(e => _events.Add(e));
        Command<PersistEach>(command =>
        {
            _replyTo = Sender;
            _target = _events.Count + command.Events.Count;
            // One command per event: each becomes its own PersistAsync call, many in flight at once.
            foreach (var e in command.Events) Self.Tell(new PersistOne(e));
        });
        Command<PersistOne>(command => PersistAsync(command.Event, Persisted));
        Command<Snapshot>(_ =>
        {
            _replyTo = Sender;
            SaveSnapshot(_events.ToArray());
        });
        Command<SaveSnapshotSuccess>(success => _replyTo.Tell(success));
        Command<GetEvents>(_ => Sender.Tell(new Events([.. _events])));
    }

    public override string PersistenceId { get; }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _recoveryFailure?.TrySetResult(reason);
        base.OnRecoveryFailure(reason, message);
    }

    private void Persisted(object e)
    {
        _events.Add(e);
        if (_events.Count == _target) _replyTo.Tell(new Events([.. _events]));
    }

    /// <summary>Persist every event on its own (PersistAsync); the reply is <see cref="Events"/> once all are durable.</summary>
    public sealed record PersistEach(IReadOnlyList<object> Events);

    private sealed record PersistOne(object Event);

    /// <summary>Save the events so far as a snapshot; the reply is SaveSnapshotSuccess.</summary>
    public sealed record Snapshot;

    public sealed record GetEvents;

    public sealed record Events(IReadOnlyList<object> All);
}
