namespace AkkaRaft.Core.Kv;

/// <summary>Thrown when bytes are not a valid encoded command or snapshot (garbage, truncated, lying lengths).</summary>
internal sealed class KvCodecException : FormatException
{
    /// <summary>Creates the exception with a message saying what is wrong and where.</summary>
    public KvCodecException(string message) : base(message)
    {
    }
}
