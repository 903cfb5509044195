using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Actors.Tests.Persistence;

/// <summary>Config and temp folders of the persistence tests: AkkaRaft's journal on a fresh file, and one type no serializer accepts.</summary>
internal static class PersistenceTestConfig
{
    public const string Node = "node";

    public static string NewDataDir(string what) => Path.Combine(Path.GetTempPath(), "akkaraft-tests", what + "-" + Guid.NewGuid().ToString("N"));

    public static string DatabasePath(string dataDir) => SqlitePersistenceConfig.DatabasePath(dataDir, Node);

    /// <summary>AkkaRaft defaults with the journal and snapshot store on &lt;dataDir&gt;/node.db.</summary>
    public static Config For(string dataDir, string extraHocon = "") =>
        ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor {
              serializers.refusing = "{{typeof(RefusingSerializer).AssemblyQualifiedName}}"
              serialization-bindings { "{{typeof(Unserializable).AssemblyQualifiedName}}" = refusing }
            }
            {{extraHocon}}
            """)
            .WithFallback(SqlitePersistenceConfig.For(dataDir, Node))
            .WithFallback(RaftReferenceConfig.Value);

    public static void DeleteDataDir(string dataDir)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder: best effort.
        }
    }
}

/// <summary>An event no serializer can write (bound to <see cref="RefusingSerializer"/>).</summary>
public sealed record Unserializable(string Why);

/// <summary>Refuses every payload, like a serializer meeting a type it cannot handle.</summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 9901;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new System.Runtime.Serialization.SerializationException($"{obj} cannot be serialized");

    public override object FromBinary(byte[] bytes, Type? type) => throw new System.Runtime.Serialization.SerializationException("never written");
}
