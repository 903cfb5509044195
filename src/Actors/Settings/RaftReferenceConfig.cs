using System.Reflection;
using Akka.Configuration;

namespace AkkaRaft.Actors.Settings;

/// <summary>The embedded hocon/reference.conf: defaults for akka-raft and its serializer bindings.</summary>
internal static class RaftReferenceConfig
{
    /// <summary>Logical name of the embedded resource (set in AkkaRaft.Actors.csproj).</summary>
    public const string ResourceName = "AkkaRaft.reference.conf";

    private static readonly Lazy<Config> Loaded = new(Load);

    /// <summary>The parsed reference configuration; use it as the last fallback of a node's config.</summary>
    public static Config Value => Loaded.Value;

    private static Config Load()
    {
        using var stream = typeof(RaftReferenceConfig).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from {typeof(RaftReferenceConfig).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
