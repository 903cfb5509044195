using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// The reads of a journal file (highest sequence numbers, replays, snapshot loads) of every persistence id: a bounded
/// queue and reader-connections threads, each taking everything queued (up to max-read-batch) into one pass, one read
/// transaction on its own connection. Thousands of groups recovering at once cost a few passes, not one pool-thread
/// hop, semaphore wait and implicit transaction per read.
/// </summary>
/// <remarks>
/// Each read of a pass stands alone: one that fails (an unreadable row) fails only its own caller with a
/// <see cref="JournalStorageException"/>; the others of the pass complete. Overflow: when max-queued-reads are queued,
/// callers wait for room (each recovering actor has one read in flight, and Akka bounds concurrent recoveries).
/// </remarks>
internal sealed class JournalReadBatcher : IDisposable
{
    private readonly JournalDatabaseSettings _settings;
    private readonly Channel<JournalRead> _queue;
    private readonly Thread[] _threads;
    // Test hook: while reset, reader threads wait before taking a batch, so reads queue up.
    private readonly ManualResetEventSlim _running = new(initialState: true);
    private long _passes;
    private long _reads;

    public JournalReadBatcher(JournalDatabaseSettings settings)
    {
        _settings = settings;
        _queue = Channel.CreateBounded<JournalRead>(new BoundedChannelOptions(settings.MaxQueuedReads)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        _threads = new Thread[settings.ReaderConnections];
        for (var i = 0; i < _threads.Length; i++)
        {
            // Dedicated threads: SQLite calls block, which must not hold pool threads the actors need.
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"akkaraft-journal-reader-{i} {Path.GetFileName(settings.DatabasePath)}" };
            _threads[i].Start();
        }
    }

    /// <summary>Read passes (transactions) run so far.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Reads answered so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Queues a read of <paramref name="persistenceId"/> and completes with its result once a pass ran it.</summary>
    public async Task<T> ReadAsync<T>(string persistenceId, Func<JournalReader, T> read, CancellationToken cancellation)
    {
        var request = new JournalRead(persistenceId, reader => read(reader), cancellation);
        if (!_queue.Writer.TryWrite(request))
        {
            try
            {
                await _queue.Writer.WriteAsync(request, cancellation).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new JournalStorageException($"journal database '{_settings.DatabasePath}' is closed", e);
            }
        }
        return (T)(await request.Completion.ConfigureAwait(false))!;
    }

    /// <summary>Until disposed, reader threads take no new batch (reads queue up); for tests.</summary>
    internal IDisposable HoldReads()
    {
        _running.Reset();
        return new Release(_running);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _running.Set();
        foreach (var thread in _threads) thread.Join();
        _running.Dispose();
    }

    private void Run()
    {
        JournalReader? reader = null;
        var batch = new List<JournalRead>();
        var queue = _queue.Reader;
        try
        {
            while (queue.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                _running.Wait();
                while (batch.Count < _settings.MaxReadBatch && queue.TryRead(out var next)) batch.Add(next);
                if (batch.Count == 0) continue; // another reader thread took them
                try
                {
                    reader ??= OpenReader();
                }
                catch (JournalStorageException e)
                {
                    foreach (var request in batch) request.Fail(e);
                    batch.Clear();
                    continue;
                }
                RunPass(reader, batch);
                batch.Clear();
            }
        }
        finally
        {
            reader?.Dispose();
        }
    }

    private void RunPass(JournalReader reader, List<JournalRead> batch)
    {
        Interlocked.Increment(ref _passes);
        var inTransaction = TryBegin(reader);
        foreach (var request in batch)
        {
            if (request.Cancellation.IsCancellationRequested)
            {
                request.Cancel();
                continue;
            }
            try
            {
                request.Succeed(request.Read(reader));
            }
            catch (Exception e) when (e is SqliteException or InvalidCastException)
            {
                request.Fail(new JournalStorageException(
                    $"journal database '{_settings.DatabasePath}' cannot be read for persistence id '{request.PersistenceId}': {e.Message}", e));
            }
            catch (Exception e)
            {
                // The caller's own callback (a replay's) failed: its read fails, the pass goes on.
                request.Fail(e);
            }
            Interlocked.Increment(ref _reads);
        }
        if (inTransaction)
        {
            try
            {
                reader.EndBatch();
            }
            catch (SqliteException)
            {
                // Nothing was written; the results handed out stand. The next pass begins a fresh transaction.
            }
        }
    }

    // Without a transaction (the file cannot even be locked for reading) every read runs alone and reports its own error.
    private static bool TryBegin(JournalReader reader)
    {
        try
        {
            reader.BeginBatch();
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private JournalReader OpenReader()
    {
        try
        {
            return new JournalReader(_settings.DatabasePath);
        }
        catch (SqliteException e)
        {
            throw new JournalStorageException($"journal database '{_settings.DatabasePath}' cannot be opened for reading: {e.Message}", e);
        }
    }

    private sealed class Release(ManualResetEventSlim running) : IDisposable
    {
        public void Dispose() => running.Set();
    }
}

/// <summary>One queued read: runs inside a pass on a reader connection; completes (or fails) on its own.</summary>
internal sealed class JournalRead(string persistenceId, Func<JournalReader, object?> read, CancellationToken cancellation)
{
    // Continuations run on the pool, not on the reader thread: it goes straight on with the pass.
    private readonly TaskCompletionSource<object?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string PersistenceId { get; } = persistenceId;

    public Func<JournalReader, object?> Read { get; } = read;

    public CancellationToken Cancellation { get; } = cancellation;

    public Task<object?> Completion => _done.Task;

    public void Succeed(object? result) => _done.TrySetResult(result);

    public void Fail(Exception cause) => _done.TrySetException(cause);

    public void Cancel() => _done.TrySetCanceled(Cancellation);
}
