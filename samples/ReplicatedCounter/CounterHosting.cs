using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using AkkaRaft.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ReplicatedCounter;

/// <summary>Embeds the replicated counter in an Akka.Hosting app.</summary>
public static class CounterHosting
{
    /// <summary>
    /// Adds a clustered ActorSystem running AkkaRaft (typed <see cref="AkkaRaftOptions"/>, SQLite journal in
    /// <see cref="ReplicatedCounterOptions.DataDirectory"/>) and a <see cref="ReplicatedCounterClient"/> singleton.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IServiceCollection AddReplicatedCounter(this IServiceCollection services, ReplicatedCounterOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddAkka("replicated-counter", builder =>
        {
            builder
                .AddHocon(ClusterHocon(options), HoconAddMode.Prepend)
                .WithAkkaRaft(new AkkaRaftOptions
                {
                    NodeId = options.NodeId,
                    DataDirectory = options.DataDirectory,
                    TickInterval = TimeSpan.FromMilliseconds(50),
                    ElectionTicks = 10,
                    HeartbeatTicks = 2,
                })
                .WithActors((system, _) =>
                {
                    // With no seeds this node founds the cluster by joining itself (its port may be picked at bind time).
                    if (options.SeedNodes.Count == 0) Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
                });
        });
        services.AddSingleton<ReplicatedCounterClient>();
        return services;
    }

    private static Config ClusterHocon(ReplicatedCounterOptions options)
    {
        var seeds = string.Join(", ", options.SeedNodes.Select(s => $"\"{s}\""));
        return ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              actor.provider = cluster
              remote.dot-netty.tcp { hostname = "{{options.Hostname}}", port = {{options.Port}} }
              cluster {
                seed-nodes = [{{seeds}}]
                # Raft, not the cluster, decides about the counter's replicas: nobody is downed automatically.
                downing-provider-class = ""
              }
            }
            """);
    }
}
