using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// AkkaRaft's snapshot store: snapshots live in the journal's SQLite file and are written by its single writer. The
/// plugin section names the journal plugin whose file it shares (<c>journal-plugin</c>).
/// </summary>
/// <remarks>
/// A snapshot that cannot be read fails the load (and so the recovery) with a <see cref="JournalStorageException"/>;
/// it never falls back to an older snapshot or to none, which would replay from a journal already compacted.
/// </remarks>
internal sealed class SqliteSnapshotStore : SnapshotStore
{
    private readonly JournalDatabaseLease _lease;
    private readonly JournalPayloads _payloads;

    /// <summary>Created by Akka.Persistence with the plugin's configuration section.</summary>
    public SqliteSnapshotStore(Config config)
    {
        _payloads = new JournalPayloads((ExtendedActorSystem)Context.System);
        var journalPluginId = config.GetString("journal-plugin", SqlitePersistenceConfig.JournalPluginId);
        var systemConfig = Context.System.Settings.Config;
        _lease = JournalDatabaseLease.Acquire(
            "snapshot-store", () => JournalDatabaseSettings.From(systemConfig.GetConfig(journalPluginId)), Context.GetLogger());
    }

    private JournalDatabase Database => _lease.Database;

    /// <inheritdoc />
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var database = Database;
        var row = await database.LoadSnapshotAsync(persistenceId, Range(criteria), cancellationToken).ConfigureAwait(false);
        return row is null ? null : _payloads.FromRow(row, database.Settings.DatabasePath);
    }

    /// <inheritdoc />
    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var database = Database;
        var row = _payloads.ToRow(metadata, snapshot);
        await database.WriteAsync(new SaveSnapshotRow(row, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        // A timestamp given (not MinValue) must not be older than the stored one: Akka's TCK semantics.
        var maxTicks = metadata.Timestamp == DateTime.MinValue ? long.MaxValue : metadata.Timestamp.Ticks;
        var range = new SnapshotRange(metadata.SequenceNr, metadata.SequenceNr, 0, maxTicks);
        await Database.WriteAsync(new DeleteSnapshotRows(metadata.PersistenceId, range, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        await Database.WriteAsync(new DeleteSnapshotRows(persistenceId, Range(criteria), cancellationToken)).ConfigureAwait(false);

    /// <inheritdoc />
    public override Task<PersistenceHealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_lease.Health());

    /// <inheritdoc />
    protected override void PostStop()
    {
        _lease.Release();
        base.PostStop();
    }

    private static SnapshotRange Range(SnapshotSelectionCriteria criteria) => new(
        criteria.MinSequenceNr,
        criteria.MaxSequenceNr,
        (criteria.MinTimestamp ?? DateTime.MinValue).Ticks,
        criteria.MaxTimeStamp.Ticks);
}
