using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AkkaRaft.Actors.Kv;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaRaft.Actors.Hosting;

/// <summary>Registry key under which Akka.Hosting keeps the node coordinator (<c>registry.Get&lt;RaftCoordinatorKey&gt;()</c>).</summary>
public sealed class RaftCoordinatorKey;

/// <summary>Akka.Hosting integration: <c>services.AddAkka("name", b =&gt; b.WithAkkaRaft(new AkkaRaftOptions { NodeId = 1 }))</c>.</summary>
public static class AkkaRaftHostingExtensions
{
    /// <summary>
    /// Adds AkkaRaft's reference configuration (serializers, defaults) with <paramref name="overrides"/> on top, and starts
    /// this system's Raft node <paramref name="nodeId"/> once the ActorSystem runs. The coordinator is registered under
    /// <see cref="RaftCoordinatorKey"/>; <see cref="AkkaRaftExtension.Get"/> returns the node handle.
    /// </summary>
    public static AkkaConfigurationBuilder WithAkkaRaft(this AkkaConfigurationBuilder builder, ulong nodeId, Config? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (nodeId == 0) throw new ArgumentOutOfRangeException(nameof(nodeId), "node id must not be 0");
        if (overrides is not null) builder.AddHocon(overrides, HoconAddMode.Prepend);
        return StartRaftNode(builder, nodeId);
    }

    /// <summary>
    /// Like <see cref="WithAkkaRaft(AkkaConfigurationBuilder, ulong, Config?)"/> with typed <paramref name="options"/>: the
    /// options that are set go in front of the HOCON added so far (call this after your <c>AddHocon</c>), reference.conf
    /// behind it. They are validated now, with the HOCON added so far, by the rules of the HOCON settings.
    /// </summary>
    /// <exception cref="AkkaRaftOptionsException">An option is invalid; the message names it, its key and the reason.</exception>
    public static AkkaConfigurationBuilder WithAkkaRaft(this AkkaConfigurationBuilder builder, AkkaRaftOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(CurrentHocon(builder));
        if (options.DataDirectory is not null)
            SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(options.DataDirectory, options.NodeName));
        builder.AddHocon(options.ToHostingConfig(), HoconAddMode.Prepend);
        return StartRaftNode(builder, options.NodeId);
    }

    /// <summary>
    /// Starts this system's key-value node (placement, store, scheduler, router) once the ActorSystem runs, with typed
    /// <paramref name="options"/> in front of the HOCON added so far (validated now). Add
    /// <see cref="AddAkkaRaftKvClient"/> to the services to inject its <see cref="IKvClient"/>.
    /// </summary>
    /// <exception cref="AkkaRaftOptionsException">An option is invalid; the message names it, its key and the reason.</exception>
    public static AkkaConfigurationBuilder WithAkkaRaftKv(this AkkaConfigurationBuilder builder, AkkaRaftKvOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(CurrentHocon(builder));
        builder.AddHocon(options.ToConfig(), HoconAddMode.Prepend);
        builder.AddHocon(RaftReferenceConfig.Value, HoconAddMode.Append);
        builder.WithActors((system, _) => StartKvNode(system));
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IKvClient"/> as a singleton: the router of the KV node that
    /// <see cref="WithAkkaRaftKv"/> configures on the Akka.Hosting ActorSystem (started at first use if the host has not yet).
    /// </summary>
    /// <remarks>A separate call because Akka.Hosting runs the <c>AddAkka</c> configuration only when the ActorSystem is built, after the services are fixed.</remarks>
    public static IServiceCollection AddAkkaRaftKvClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IKvClient>(sp => StartKvNode(sp.GetRequiredService<ActorSystem>()).Client);
        return services;
    }

    // Idempotent (AkkaRaftKv returns the running node), so the host's start and the first IKvClient resolution may race.
    private static KvNode StartKvNode(ActorSystem system)
    {
        var config = system.Settings.Config;
        var nodeId = (ulong)config.GetLong("akka-raft.node-id", 0);
        if (nodeId == 0)
            throw new InvalidOperationException("the KV node has no id: set AkkaRaftKvOptions.NodeId or call WithAkkaRaft(AkkaRaftOptions) (akka-raft.node-id)");
        var initial = config.GetLongList("akka-raft.initial-node-ids").Select(i => (ulong)i).ToList();
        return AkkaRaftKv.StartNode(system, nodeId, initial);
    }

    private static AkkaConfigurationBuilder StartRaftNode(AkkaConfigurationBuilder builder, ulong nodeId)
    {
        builder.AddHocon(RaftReferenceConfig.Value, HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            var node = AkkaRaftExtension.Get(system).StartNode(nodeId);
            registry.Register<RaftCoordinatorKey>(node.Coordinator);
        });
        return builder;
    }

    private static Config CurrentHocon(AkkaConfigurationBuilder builder) =>
        builder.Configuration.HasValue ? builder.Configuration.Value : Config.Empty;
}
