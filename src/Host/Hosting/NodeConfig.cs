using Akka.Configuration;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Host.Hosting;

/// <summary>Builds the Akka configuration of one AkkaRaft node: cluster, remoting, SQLite journal, AkkaRaft defaults.</summary>
public static class NodeConfig
{
    /// <summary>Actor system name shared by every node of a cluster.</summary>
    public const string SystemName = "akkaraft";

    /// <summary>
    /// Configuration of node <paramref name="nodeId"/>: <paramref name="user"/> (e.g. a --config file) wins over the
    /// host's choices, which win over reference.conf. The SQLite database lives in <paramref name="dataDir"/>.
    /// </summary>
    public static Config Build(ulong nodeId, string dataDir, string hostname, int port, IReadOnlyList<string> seedNodes, Config? user = null)
    {
        var seeds = string.Join(", ", seedNodes.Select(s => $"\"{s}\""));
        var host = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = "{{hostname}}"
                port = {{port}}
              }
              cluster {
                seed-nodes = [{{seeds}}]
                # Raft decides about groups; the cluster must never down a node by itself.
                downing-provider-class = ""
                run-coordinated-shutdown-when-down = off
              }
            }
            akka-raft.node-id = {{nodeId}}
            akka-raft.data-dir = "{{Escape(dataDir)}}"
            """);
        var config = user is null ? host : user.WithFallback(host);
        return config
            .WithFallback(SqlitePersistenceConfig.For(dataDir, $"node{nodeId}"))
            .WithFallback(RaftReferenceConfig.Value);
    }

    /// <summary>Prepares the node's SQLite file for durable writes (WAL) before the journal opens it.</summary>
    public static void PrepareStorage(ulong nodeId, string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, $"node{nodeId}"));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
