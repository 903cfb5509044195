using System.Threading.Channels;
using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// The single writer of a journal file: a bounded queue of requests from every persistence id, and one thread that
/// takes everything queued (up to max-transaction-events / max-transaction-bytes) into one transaction. One fsync per
/// flush, whatever the number of groups: more groups make bigger transactions, not more of them.
/// </summary>
/// <remarks>
/// Overflow: when <see cref="JournalDatabaseSettings.MaxQueuedWrites"/> requests are queued, <see cref="WriteAsync"/>
/// waits for room instead of failing. Every persistent actor has at most one write in flight, so the waiting callers
/// are bounded by the number of actors; a caller that waits past Akka's circuit-breaker call-timeout fails that write
/// (OnPersistFailure), and a request cancelled before the writer reaches it is skipped, never half-written.
/// </remarks>
internal sealed class JournalWriter : IDisposable
{
    private readonly Channel<JournalWrite> _queue;
    private readonly JournalWriteConnection _connection;
    private readonly JournalDatabaseSettings _settings;
    private readonly Thread _thread;
    private long _transactions;

    public JournalWriter(JournalWriteConnection connection, JournalDatabaseSettings settings)
    {
        _connection = connection;
        _settings = settings;
        _queue = Channel.CreateBounded<JournalWrite>(new BoundedChannelOptions(settings.MaxQueuedWrites)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // A dedicated thread: SQLite calls block (the commit waits for fsync), which must not hold a pool thread.
        _thread = new Thread(Run) { IsBackground = true, Name = "akkaraft-journal-writer " + Path.GetFileName(settings.DatabasePath) };
        _thread.Start();
    }

    /// <summary>Transactions (fsyncs) committed so far.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Queues <paramref name="write"/> and completes once it is durable (or failed, or skipped after cancellation).</summary>
    public async Task WriteAsync(JournalWrite write)
    {
        if (!_queue.Writer.TryWrite(write))
        {
            try
            {
                await _queue.Writer.WriteAsync(write, write.Cancellation).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new JournalStorageException($"journal database '{_settings.DatabasePath}' is closed", e);
            }
        }
        await write.Completion.ConfigureAwait(false);
    }

    /// <summary>Stops taking requests, commits what is queued, and ends the writer thread.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }

    private void Run()
    {
        var batch = new List<JournalWrite>();
        JournalWrite? carried = null;
        var reader = _queue.Reader;
        while (true)
        {
            if (carried is null && !reader.TryRead(out carried))
            {
                // Nothing queued: block this (dedicated) thread until a request arrives or the queue is closed.
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
                continue;
            }

            batch.Add(carried);
            var rows = carried.Rows;
            var bytes = carried.Bytes;
            carried = null;
            while (reader.TryRead(out var next))
            {
                if (rows + next.Rows > _settings.MaxTransactionEvents || bytes + next.Bytes > _settings.MaxTransactionBytes)
                {
                    carried = next; // first of the next transaction
                    break;
                }
                batch.Add(next);
                rows += next.Rows;
                bytes += next.Bytes;
            }

            var before = _connection.Transactions;
            _connection.Commit(batch);
            if (_connection.Transactions != before)
            {
                Interlocked.Increment(ref _transactions);
                RaftMetrics.JournalTransactions.Add(1);
                RaftMetrics.JournalEventsPerTransaction.Record(rows);
            }
            batch.Clear();
        }
    }
}
