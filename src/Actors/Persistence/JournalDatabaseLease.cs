using Akka.Event;
using Akka.Persistence;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// One plugin's share of a node's journal database (see <see cref="JournalDatabases"/>), or the reason it could not be
/// opened: then every request fails with that reason rather than the plugin actor failing to start, which would leave
/// recoveries waiting for a timeout instead of failing at once with a message that says why.
/// </summary>
internal sealed class JournalDatabaseLease
{
    private readonly JournalDatabase? _database;
    private readonly JournalStorageException? _openFailure;

    private JournalDatabaseLease(JournalDatabase? database, JournalStorageException? openFailure)
    {
        _database = database;
        _openFailure = openFailure;
    }

    /// <summary>Acquires the database <paramref name="settings"/> names; a failure is logged as <c>[plugin]</c> and kept.</summary>
    public static JournalDatabaseLease Acquire(string plugin, Func<JournalDatabaseSettings> settings, ILoggingAdapter log)
    {
        try
        {
            return new JournalDatabaseLease(JournalDatabases.Acquire(settings()), null);
        }
        catch (Exception e) when (e is JournalStorageException or RaftSettingsException)
        {
            var failure = e as JournalStorageException ?? new JournalStorageException($"{plugin.Replace('-', ' ')} is not configured: {e.Message}", e);
            log.Error(e, "[{0}] {1}", plugin, failure.Message);
            return new JournalDatabaseLease(null, failure);
        }
    }

    /// <summary>The database; throws the reason it could not be opened.</summary>
    public JournalDatabase Database => _database ?? throw _openFailure!;

    /// <summary>Healthy when the database is open, otherwise unhealthy with the reason.</summary>
    public PersistenceHealthCheckResult Health() => _openFailure is null
        ? new PersistenceHealthCheckResult(PersistenceHealthStatus.Healthy, null, null, null)
        : new PersistenceHealthCheckResult(PersistenceHealthStatus.Unhealthy, _openFailure.Message, _openFailure, null);

    /// <summary>This plugin is done with the database (the last user closes it).</summary>
    public void Release()
    {
        if (_database is not null) JournalDatabases.Release(_database);
    }
}
