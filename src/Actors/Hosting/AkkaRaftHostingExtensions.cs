using Akka.Configuration;
using Akka.Hosting;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Hosting;

/// <summary>Registry key under which Akka.Hosting keeps the node coordinator (<c>registry.Get&lt;RaftCoordinatorKey&gt;()</c>).</summary>
public sealed class RaftCoordinatorKey;

/// <summary>Akka.Hosting integration: <c>services.AddAkka("name", b =&gt; b.WithAkkaRaft(nodeId))</c>.</summary>
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
        builder.AddHocon(RaftReferenceConfig.Value, HoconAddMode.Append);
        builder.WithActors((system, registry) =>
        {
            var node = AkkaRaftExtension.Get(system).StartNode(nodeId);
            registry.Register<RaftCoordinatorKey>(node.Coordinator);
        });
        return builder;
    }
}
