namespace AkkaRaft.Actors.Persistence;

/// <summary>
/// The journal file cannot be opened, read or written (corrupt, unreadable payload, foreign or newer format, I/O
/// error). Recovery fails with it: a node never starts a group empty over a journal it could not read.
/// </summary>
internal sealed class JournalStorageException : Exception
{
    /// <summary>Creates the exception; the message names the file and what went wrong.</summary>
    public JournalStorageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
