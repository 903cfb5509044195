using Akka.Configuration;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Hosting;

/// <summary>
/// Typed settings of the key-value node for <see cref="AkkaRaftHostingExtensions.WithAkkaRaftKv"/>. Only the properties that
/// are set override HOCON; they render to <c>akka-raft</c> keys and are validated by the rules of <see cref="RegionSettings"/>.
/// </summary>
public sealed class AkkaRaftKvOptions
{
    private const string Raft = "akka-raft";

    /// <summary>This node's id; unset: the one <see cref="AkkaRaftOptions.NodeId"/> gave (<c>akka-raft.node-id</c>).</summary>
    public ulong? NodeId { get; set; }

    /// <summary>The nodes that host placement and the initial regions, the same list on every node (<c>akka-raft.initial-node-ids</c>).</summary>
    public required IReadOnlyList<ulong> InitialNodeIds { get; set; }

    /// <summary>Cut points of the initial layout, e.g. ["m"] for two regions (<c>akka-raft.region.initial-split-keys</c>).</summary>
    public IReadOnlyList<string>? InitialSplitKeys { get; set; }

    /// <summary>Approximate region size in bytes above which its leader splits it, at least 1024 (<c>akka-raft.region.split-size</c>).</summary>
    public long? SplitSizeBytes { get; set; }

    /// <summary>Deadline of one client request (<c>akka-raft.router.request-timeout</c>).</summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>The HOCON of the options that are set (no fallback).</summary>
    public Config ToConfig() => Render().ToConfig();

    /// <inheritdoc />
    public override string ToString() => ToConfig().ToString(includeFallback: false);

    /// <summary>Validates the options on top of <paramref name="hocon"/> (reference.conf is the fallback) with the rules of <see cref="RegionSettings"/>.</summary>
    /// <exception cref="AkkaRaftOptionsException">An option is invalid; the message names it, its key and the reason.</exception>
    public void Validate(Config? hocon = null)
    {
        var rendered = Render();
        if (NodeId == 0) throw rendered.Fail(nameof(NodeId), $"{Raft}.node-id", 0UL, "must be at least 1");
        if (InitialNodeIds is null || InitialNodeIds.Count == 0 || InitialNodeIds.Contains(0UL) || InitialNodeIds.Distinct().Count() != InitialNodeIds.Count)
            throw rendered.Fail(nameof(InitialNodeIds), $"{Raft}.initial-node-ids", $"[{string.Join(", ", InitialNodeIds ?? [])}]", "must list distinct, non-zero node ids");
        var options = rendered.ToConfig();
        var full = (hocon is null ? options : options.WithFallback(hocon)).WithFallback(RaftReferenceConfig.Value);
        rendered.Validate(() => RegionSettings.Create(full));
    }

    private OptionsHocon Render() => new OptionsHocon(nameof(AkkaRaftKvOptions))
        .Set(nameof(NodeId), $"{Raft}.node-id", NodeId)
        .Set(nameof(InitialNodeIds), $"{Raft}.initial-node-ids", InitialNodeIds)
        .Set(nameof(InitialSplitKeys), $"{Raft}.region.initial-split-keys", InitialSplitKeys)
        .Set(nameof(SplitSizeBytes), $"{Raft}.region.split-size", SplitSizeBytes)
        .Set(nameof(RequestTimeout), $"{Raft}.router.request-timeout", RequestTimeout);
}
