namespace AkkaRaft.Actors.Settings;

/// <summary>An akka-raft setting is missing, malformed or inconsistent; the message names the full key and the reason.</summary>
public sealed class RaftSettingsException : Exception
{
    /// <summary>Creates the exception for <paramref name="key"/> (full HOCON path).</summary>
    public RaftSettingsException(string key, string value, string reason)
        : base($"{key} = {value}: {reason}")
    {
        Key = key;
        Value = value;
        Reason = reason;
    }

    /// <summary>Full HOCON path of the offending setting, e.g. "akka-raft.heartbeat-ticks".</summary>
    public string Key { get; }

    /// <summary>The offending value as written (or "(missing)").</summary>
    public string Value { get; }

    /// <summary>Why the value is refused, e.g. "must be at least 1".</summary>
    public string Reason { get; }
}
