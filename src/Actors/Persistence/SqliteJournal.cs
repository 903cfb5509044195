using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// AkkaRaft's Akka.Persistence journal: every persistence id of a node in one SQLite file with one writer, so the
/// writes of all groups share a transaction and its fsync. Payloads are stored with the system's serializer for
/// their type (serializer id + manifest), so Raft events use the binary RaftWireSerializer.
/// </summary>
/// <remarks>
/// Serialization happens here, on the journal actor: an event that cannot be serialized rejects only its own
/// AtomicWrite (OnPersistRejected), the others of the call are written. Tags (<see cref="Tagged"/>) are not kept:
/// there is no query side. Settings: see the <c>akka.persistence.journal.akkaraft-sqlite</c> section of reference.conf.
/// </remarks>
internal sealed class SqliteJournal : AsyncWriteJournal
{
    private readonly JournalDatabaseLease _lease;
    private readonly JournalPayloads _payloads;
    // The last write of each persistence id not yet completed: a restarted actor must not read its highest sequence
    // number before the writes of its previous incarnation have landed (it would reuse sequence numbers).
    private readonly ConcurrentDictionary<string, Task> _pendingWrites = new(StringComparer.Ordinal);

    /// <summary>Created by Akka.Persistence with the plugin's configuration section.</summary>
    public SqliteJournal(Config config)
    {
        _payloads = new JournalPayloads((ExtendedActorSystem)Context.System);
        _lease = JournalDatabaseLease.Acquire("journal", () => JournalDatabaseSettings.From(config), Context.GetLogger());
    }

    private JournalDatabase Database => _lease.Database;

    /// <inheritdoc />
    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var database = Database;
        var writes = messages as IReadOnlyList<AtomicWrite> ?? [.. messages];
        var rows = new List<EventRow>();
        Exception?[]? rejections = null;
        for (var w = 0; w < writes.Count; w++)
        {
            var payload = (IImmutableList<IPersistentRepresentation>)writes[w].Payload;
            try
            {
                var serialized = new EventRow[payload.Count];
                for (var i = 0; i < payload.Count; i++) serialized[i] = _payloads.ToRow(payload[i]);
                rows.AddRange(serialized);
            }
            catch (Exception e)
            {
                // Rejected before it reached the database: this AtomicWrite is not stored, the others go on.
                rejections ??= new Exception?[writes.Count];
                rejections[w] = e;
            }
        }

        if (rows.Count > 0)
        {
            var done = database.WriteAsync(new AppendEvents(rows, cancellationToken));
            Track(rows, done);
            await done.ConfigureAwait(false);
        }
        // Null: nothing rejected (Akka's allocation-free happy path).
        return rejections is null ? null! : [.. rejections];
    }

    /// <inheritdoc />
    protected override async Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        await Database.WriteAsync(new DeleteEventsTo(persistenceId, toSequenceNr, cancellationToken)).ConfigureAwait(false);

    /// <inheritdoc />
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        var database = Database;
        if (_pendingWrites.TryGetValue(persistenceId, out var pending))
        {
            // Its outcome is not ours to report; only its effect on the highest sequence number matters.
            await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        return await database.ReadHighestSequenceNrAsync(persistenceId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var database = Database;
        if (max <= 0 || fromSequenceNr > toSequenceNr) return;
        var path = database.Settings.DatabasePath;
        await database.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max,
            row => recoveryCallback(_payloads.FromRow(row, path)), CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<PersistenceHealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_lease.Health());

    /// <inheritdoc />
    protected override void PostStop()
    {
        _lease.Release();
        base.PostStop();
    }

    private void Track(List<EventRow> rows, Task done)
    {
        // One persistent actor per WriteMessages call in practice; every id is tracked in case a caller mixes them.
        foreach (var persistenceId in rows.Select(r => r.PersistenceId).Distinct())
        {
            _pendingWrites[persistenceId] = done;
            _ = done.ContinueWith(
                _ => _pendingWrites.TryRemove(KeyValuePair.Create(persistenceId, done)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
