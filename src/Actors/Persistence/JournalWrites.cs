namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// One request to the node's single writer. The writer applies many of them in one transaction; each is all-or-nothing
/// (a request of several statements runs inside a savepoint) and completes only after the transaction's commit.
/// </summary>
internal abstract class JournalWrite(CancellationToken cancellation)
{
    // Continuations run on the thread pool, not on the writer thread: it goes straight back to the next transaction.
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The caller gave up (Akka's circuit-breaker timeout); a request not yet applied is skipped.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Completes once the request is durable, or fails with why it is not.</summary>
    public Task Completion => _done.Task;

    /// <summary>Rows this request writes (counts towards max-transaction-events).</summary>
    public abstract int Rows { get; }

    /// <summary>Payload bytes this request writes (counts towards max-transaction-bytes).</summary>
    public abstract long Bytes { get; }

    /// <summary>Whether it runs more than one statement, so needs a savepoint to stay all-or-nothing.</summary>
    public abstract bool IsMultiStatement { get; }

    /// <summary>Runs the request's statements inside the writer's open transaction.</summary>
    public abstract void Apply(JournalWriteConnection connection);

    public void Succeed() => _done.TrySetResult();

    public void Fail(Exception cause) => _done.TrySetException(cause);

    public void Cancel() => _done.TrySetCanceled(Cancellation);
}

/// <summary>The events of one WriteMessagesAsync call (all its accepted AtomicWrites): stored together or not at all.</summary>
internal sealed class AppendEvents(IReadOnlyList<EventRow> events, CancellationToken cancellation) : JournalWrite(cancellation)
{
    private readonly long _bytes = events.Sum(e => (long)e.Payload.Length);

    public IReadOnlyList<EventRow> Events { get; } = events;

    public override int Rows => Events.Count;

    public override long Bytes => _bytes;

    public override bool IsMultiStatement => Events.Count > 1;

    public override void Apply(JournalWriteConnection connection)
    {
        foreach (var e in Events) connection.InsertEvent(e);
    }
}

/// <summary>Deletes a persistence id's events up to a sequence number, remembering the highest one for Akka.</summary>
internal sealed class DeleteEventsTo(string persistenceId, long toSequenceNr, CancellationToken cancellation) : JournalWrite(cancellation)
{
    public override int Rows => 1;

    public override long Bytes => 0;

    public override bool IsMultiStatement => true;

    public override void Apply(JournalWriteConnection connection) => connection.DeleteEventsTo(persistenceId, toSequenceNr);
}

/// <summary>Stores a snapshot, replacing one with the same persistence id and sequence number.</summary>
internal sealed class SaveSnapshotRow(SnapshotRow snapshot, CancellationToken cancellation) : JournalWrite(cancellation)
{
    public override int Rows => 1;

    public override long Bytes => snapshot.Payload.Length;

    public override bool IsMultiStatement => false;

    public override void Apply(JournalWriteConnection connection) => connection.SaveSnapshot(snapshot);
}

/// <summary>Deletes the snapshots of a persistence id within sequence number and timestamp bounds (ticks, inclusive).</summary>
internal sealed class DeleteSnapshotRows(string persistenceId, SnapshotRange range, CancellationToken cancellation) : JournalWrite(cancellation)
{
    public override int Rows => 1;

    public override long Bytes => 0;

    public override bool IsMultiStatement => false;

    public override void Apply(JournalWriteConnection connection) => connection.DeleteSnapshots(persistenceId, range);
}

/// <summary>Inclusive bounds on a snapshot's sequence number and creation time (ticks).</summary>
internal readonly record struct SnapshotRange(long MinSequenceNr, long MaxSequenceNr, long MinTicks, long MaxTicks);
