
namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// A node's journal file: the single writer (every write, delete and snapshot save of every persistence id goes
/// through it) and a small pool of read connections. Shared by the journal and the snapshot store of the file
/// through <see cref="JournalDatabases"/>; knows bytes and rows, not Akka.
/// </summary>
internal sealed class JournalDatabase : IDisposable
{
    private readonly JournalWriteConnection _connection;
    private readonly JournalWriter _writer;
    private readonly JournalReadBatcher _reads;

    private JournalDatabase(JournalDatabaseSettings settings, JournalWriteConnection connection)
    {
        Settings = settings;
        _connection = connection;
        _writer = new JournalWriter(connection, settings);
        _reads = new JournalReadBatcher(settings);
    }

    public JournalDatabaseSettings Settings { get; }

    /// <summary>Transactions (fsyncs) committed so far.</summary>
    public long Transactions => _writer.Transactions;

    /// <summary>Opens (or creates) the file; see <see cref="JournalWriteConnection(JournalDatabaseSettings)"/>.</summary>
    /// <exception cref="JournalStorageException">The file cannot be opened or is not an AkkaRaft journal.</exception>
    public static JournalDatabase Open(JournalDatabaseSettings settings) => new(settings, new JournalWriteConnection(settings));

    /// <summary>Read passes (each one read transaction serving every read queued) run so far.</summary>
    public long ReadPasses => _reads.Passes;

    /// <summary>Reads answered so far.</summary>
    public long Reads => _reads.Reads;

    /// <summary>Until disposed, reads queue up and none is served; for tests.</summary>
    internal IDisposable HoldReads() => _reads.HoldReads();

    /// <summary>Queues a write for the node's single writer; completes once durable.</summary>
    public Task WriteAsync(JournalWrite write) => _writer.WriteAsync(write);

    /// <summary>Highest sequence number of <paramref name="persistenceId"/>, surviving deletes; 0 if it never wrote.</summary>
    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellation) =>
        ReadAsync(persistenceId, reader => reader.HighestSequenceNr(persistenceId), cancellation);

    /// <summary>Streams the events of <paramref name="persistenceId"/> in [from, to] in order, at most <paramref name="max"/>.</summary>
    public Task ReplayAsync(string persistenceId, long from, long to, long max, Action<EventRow> onEvent, CancellationToken cancellation) =>
        ReadAsync(persistenceId, reader =>
        {
            reader.Replay(persistenceId, from, to, max, onEvent, cancellation);
            return 0;
        }, cancellation);

    /// <summary>The newest snapshot of <paramref name="persistenceId"/> within <paramref name="range"/>, or null.</summary>
    public Task<SnapshotRow?> LoadSnapshotAsync(string persistenceId, SnapshotRange range, CancellationToken cancellation) =>
        ReadAsync(persistenceId, reader => reader.LoadSnapshot(persistenceId, range), cancellation);

    /// <summary>Reads a PRAGMA on the writer's connection, for tests.</summary>
    internal string WriterPragma(string pragma) => _connection.Pragma(pragma);

    public void Dispose()
    {
        _writer.Dispose();
        _connection.Dispose();
        _reads.Dispose();
    }

    private Task<T> ReadAsync<T>(string persistenceId, Func<JournalReader, T> read, CancellationToken cancellation) =>
        _reads.ReadAsync(persistenceId, read, cancellation);
}

/// <summary>
/// The journal files open in this process, one <see cref="JournalDatabase"/> (so one writer) per file, shared by the
/// journal and snapshot store plugins that name it and closed when the last of them stops.
/// </summary>
internal static class JournalDatabases
{
    private static readonly Dictionary<string, (JournalDatabase Database, int Users)> Open = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>The open database of <see cref="JournalDatabaseSettings.DatabasePath"/>, opening it for the first user.</summary>
    /// <exception cref="JournalStorageException">The file cannot be opened or is not an AkkaRaft journal.</exception>
    public static JournalDatabase Acquire(JournalDatabaseSettings settings)
    {
        lock (Gate)
        {
            if (Open.TryGetValue(settings.DatabasePath, out var open))
            {
                Open[settings.DatabasePath] = (open.Database, open.Users + 1);
                return open.Database;
            }
            var database = JournalDatabase.Open(settings);
            Open[settings.DatabasePath] = (database, 1);
            return database;
        }
    }

    /// <summary>One user is done; the last one closes the file after the writer committed everything queued.</summary>
    public static void Release(JournalDatabase database)
    {
        lock (Gate)
        {
            var path = database.Settings.DatabasePath;
            if (!Open.TryGetValue(path, out var open) || !ReferenceEquals(open.Database, database)) return;
            if (open.Users > 1)
            {
                Open[path] = (database, open.Users - 1);
                return;
            }
            Open.Remove(path);
            // Under the lock: a new user of the same file waits until this writer is gone (one writer per file).
            database.Dispose();
        }
    }
}
