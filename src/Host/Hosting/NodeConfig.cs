using Akka.Configuration;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Host.Hosting;

/// <summary>How a node's Akka logs: <paramref name="Embedded"/> (all nodes in this process), <paramref name="Verbose"/> (--verbose: everything from INFO up).</summary>
internal sealed record HostLogging(bool Embedded, bool Verbose)
{
    /// <summary>Node mode, quiet.</summary>
    public static HostLogging Default { get; } = new(false, false);
}

/// <summary>Builds the Akka configuration of one AkkaRaft node: cluster, remoting, SQLite journal, AkkaRaft defaults.</summary>
internal static class NodeConfig
{
    /// <summary>Actor system name shared by every node of a cluster.</summary>
    public const string SystemName = "akkaraft";

    /// <summary>
    /// Configuration of node <paramref name="nodeId"/>: <paramref name="user"/> (e.g. a --config file) wins over the
    /// host's choices, which win over reference.conf. The SQLite database lives in <paramref name="dataDir"/>.
    /// </summary>
    public static Config Build(ulong nodeId, string dataDir, string hostname, int port, IReadOnlyList<string> seedNodes, Config? user = null, HostLogging? logging = null)
    {
        logging ??= HostLogging.Default;
        var seeds = string.Join(", ", seedNodes.Select(s => $"\"{s}\""));
        var host = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{(logging.Verbose ? "INFO" : "WARNING")}}
              loggers = [{{(logging.Verbose ? "\"Akka.Event.DefaultLogger\"" : $"\"{typeof(QuietAkkaLogger).FullName}, {typeof(QuietAkkaLogger).Assembly.GetName().Name}\"")}}]
              # The host runs its own bounded shutdown (ShutdownSequence): no hook on process exit (it would hold up a
              # forced exit), and phases that fit within the host's deadline.
              coordinated-shutdown {
                run-by-clr-shutdown-hook = off
                default-phase-timeout = 2s
                phases {
                  cluster-exiting.timeout = 3s
                  actor-system-terminate.timeout = 8s
                }
              }
              # Idle CPU: the scheduler's timer wheel wakes every tick-duration in every actor system (three in embedded
              # mode), busy or not. The host's timers are 100 ms and longer (Raft ticks, polls, gossip), so 50 ms instead of
              # Akka's 10 ms loses no precision that matters (see bench/README.md, host-idle).
              scheduler.tick-duration = 50ms
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
                # A node restarted at the same address is refused until its old incarnation is removed; it asks again
                # after this long (Akka's default is 10 s, most of a restart).
                retry-unsuccessful-join-after = 2s
              }
            }
            akka-raft.node-id = {{nodeId}}
            akka-raft.data-dir = "{{Escape(dataDir)}}"
            """);
        if (logging.Embedded) host = EmbeddedFailureDetection.WithFallback(host);
        var config = user is null ? host : user.WithFallback(host);
        return config
            .WithFallback(SqlitePersistenceConfig.For(dataDir, $"node{nodeId}"))
            .WithFallback(RaftReferenceConfig.Value);
    }

    /// <summary>
    /// The nodes of the embedded host share one process: a JIT, GC or busy-machine pause stops them all alike, so a late
    /// heartbeat between them says nothing about a peer; only the slow start-up would be reported (as warnings).
    /// </summary>
    private static readonly Config EmbeddedFailureDetection = ConfigurationFactory.ParseString("""
        akka.cluster.failure-detector {
          heartbeat-interval = 2s
          acceptable-heartbeat-pause = 20s
          threshold = 12.0
        }
        akka.remote.watch-failure-detector.acceptable-heartbeat-pause = 20s
        akka-raft.host.quiet-heartbeat-warnings = on
        """);

    /// <summary>Prepares the node's SQLite file for durable writes (WAL) before the journal opens it.</summary>
    public static void PrepareStorage(ulong nodeId, string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, $"node{nodeId}"));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
