using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Hosting;

/// <summary>A typed hosting option is invalid; the message names the option, its HOCON key and the reason.</summary>
public sealed class AkkaRaftOptionsException : Exception
{
    /// <summary>Creates the exception for <paramref name="option"/> (e.g. "AkkaRaftOptions.ElectionTicks") set to <paramref name="value"/>.</summary>
    public AkkaRaftOptionsException(string option, string key, string value, string reason, RaftSettingsException? inner = null)
        : base($"{option} ({key}): {reason}, got {value}", inner)
    {
        Option = option;
        Key = key;
    }

    /// <summary>The option at fault, e.g. "AkkaRaftOptions.ElectionTicks".</summary>
    public string Option { get; }

    /// <summary>The HOCON key the option renders to, e.g. "akka-raft.election-ticks".</summary>
    public string Key { get; }
}
