using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Akka.Configuration;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>Typed, validated settings of placement, stores, the router and the initial layout (akka-raft.placement/region/store/router).</summary>
internal sealed record RegionSettings
{
    /// <summary>Interval of store heartbeats to placement.</summary>
    public required TimeSpan HeartbeatInterval { get; init; }

    /// <summary>Region reports per heartbeat message (<c>akka-raft.placement.heartbeat-batch-regions</c>).</summary>
    public required int HeartbeatBatchRegions { get; init; }

    /// <summary>How often a placement replica checks its role.</summary>
    public required TimeSpan PlacementStatusInterval { get; init; }

    /// <summary>The initial layout's ranges, in configured order, already validated.</summary>
    public required ImmutableArray<KeyRange> InitialRanges { get; init; }

    /// <summary>Requests one router keeps waiting at once (<c>akka-raft.router.max-in-flight</c>); more are answered ServerIsBusy unsent.</summary>
    public required int RouterMaxInFlight { get; init; }

    /// <summary>A store's clock farther than this from the cluster's median is corrected (<c>akka-raft.store.max-clock-offset</c>).</summary>
    public required TimeSpan MaxClockOffset { get; init; }

    /// <summary>How often a store measures the other stores' clocks (<c>akka-raft.store.clock-probe-interval</c>).</summary>
    public required TimeSpan ClockProbeInterval { get; init; }

    /// <summary>Deadline of one client request.</summary>
    public required TimeSpan RequestTimeout { get; init; }

    /// <summary>Longest wait for one store round trip.</summary>
    public required TimeSpan AttemptTimeout { get; init; }

    /// <summary>First retry backoff.</summary>
    public required TimeSpan MinBackoff { get; init; }

    /// <summary>Largest retry backoff.</summary>
    public required TimeSpan MaxBackoff { get; init; }

    /// <summary>Approximate region size in bytes above which its leader splits it (akka-raft.region.split-size).</summary>
    public required long SplitSizeBytes { get; init; }

    /// <summary>How often a store checks the sizes of the regions it leads (akka-raft.region.split-check-interval).</summary>
    public required TimeSpan SplitCheckInterval { get; init; }

    /// <summary>How often a store looks for expired keys in the awake regions it leads (<c>akka-raft.region.expiry-sweep-interval</c>).</summary>
    public TimeSpan ExpirySweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most expired keys one sweep removes per region (<c>akka-raft.region.expiry-sweep-keys</c>); more wait for the next round.</summary>
    public int ExpirySweepKeys { get; init; } = 1000;

    /// <summary>Largest proposal (<c>akka-raft.max-entry-bytes</c>): the router refuses a larger command before sending it anywhere.</summary>
    public long MaxEntryBytes { get; init; } = 512 * 1024;

    /// <summary>Reads and validates the settings from a full system config (reference.conf as fallback).</summary>
    /// <exception cref="RaftSettingsException">A value is malformed or the initial layout is invalid (the message names the regions at fault).</exception>
    /// <summary>How often the placement leader's scheduler runs (<c>akka-raft.scheduler.interval</c>).</summary>
    public required TimeSpan ScheduleInterval { get; init; }

    /// <summary>A store silent this long is down and its replicas are rebuilt elsewhere (<c>akka-raft.scheduler.store-down-after</c>).</summary>
    public required TimeSpan StoreDownAfter { get; init; }

    /// <summary>Operators running at once (<c>akka-raft.scheduler.max-operators</c>).</summary>
    public required int MaxOperators { get; init; }

    /// <summary>An operator without progress this long is cancelled (<c>akka-raft.scheduler.operator-timeout</c>).</summary>
    public required TimeSpan OperatorTimeout { get; init; }

    /// <summary>Entries a learner may lag before promotion (<c>akka-raft.scheduler.catch-up-distance</c>).</summary>
    public required int CatchUpDistance { get; init; }

    /// <summary>Allowed difference of replica/leader counts between stores (<c>akka-raft.scheduler.balance-tolerance</c>).</summary>
    public required int BalanceTolerance { get; init; }

    /// <summary>Whether the scheduler balances on its own (<c>akka-raft.scheduler.balance</c>).</summary>
    public required bool Balance { get; init; }

    /// <summary>Finished operators remembered (<c>akka-raft.scheduler.history</c>).</summary>
    public required int OperatorHistory { get; init; }

    /// <summary>Reads and validates the settings from a full system config (reference.conf as fallback).</summary>
    public static RegionSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = config.WithFallback(RaftReferenceConfig.Value);
        var settings = new RegionSettings
        {
            HeartbeatInterval = Duration(full, "akka-raft.placement.heartbeat-interval"),
            HeartbeatBatchRegions = PositiveInt(full, "akka-raft.placement.heartbeat-batch-regions"),
            PlacementStatusInterval = Duration(full, "akka-raft.placement.status-interval"),
            InitialRanges = ReadLayout(full),
            RouterMaxInFlight = PositiveInt(full, "akka-raft.router.max-in-flight"),
            MaxClockOffset = Duration(full, "akka-raft.store.max-clock-offset"),
            ClockProbeInterval = Duration(full, "akka-raft.store.clock-probe-interval"),
            RequestTimeout = Duration(full, "akka-raft.router.request-timeout"),
            AttemptTimeout = Duration(full, "akka-raft.router.attempt-timeout"),
            MinBackoff = Duration(full, "akka-raft.router.min-backoff"),
            MaxBackoff = Duration(full, "akka-raft.router.max-backoff"),
            SplitSizeBytes = Bytes(full, "akka-raft.region.split-size", minimum: 1024),
            SplitCheckInterval = Duration(full, "akka-raft.region.split-check-interval"),
            ExpirySweepInterval = Duration(full, "akka-raft.region.expiry-sweep-interval"),
            ExpirySweepKeys = PositiveInt(full, "akka-raft.region.expiry-sweep-keys"),
            MaxEntryBytes = full.GetByteSize("akka-raft.max-entry-bytes") ?? 512 * 1024,
            ScheduleInterval = Duration(full, "akka-raft.scheduler.interval"),
            StoreDownAfter = Duration(full, "akka-raft.scheduler.store-down-after"),
            MaxOperators = PositiveInt(full, "akka-raft.scheduler.max-operators"),
            OperatorTimeout = Duration(full, "akka-raft.scheduler.operator-timeout"),
            CatchUpDistance = PositiveInt(full, "akka-raft.scheduler.catch-up-distance"),
            BalanceTolerance = PositiveInt(full, "akka-raft.scheduler.balance-tolerance"),
            Balance = full.GetBoolean("akka-raft.scheduler.balance", true),
            OperatorHistory = PositiveInt(full, "akka-raft.scheduler.history"),
        };
        if (settings.AttemptTimeout > settings.RequestTimeout)
            throw new RaftSettingsException("akka-raft.router.attempt-timeout", settings.AttemptTimeout.ToString(), $"must not exceed akka-raft.router.request-timeout ({settings.RequestTimeout})");
        if (settings.MinBackoff > settings.MaxBackoff)
            throw new RaftSettingsException("akka-raft.router.min-backoff", settings.MinBackoff.ToString(), $"must not exceed akka-raft.router.max-backoff ({settings.MaxBackoff})");
        return settings;
    }

    /// <summary>The regions the layout would create (ids 1..n in configured order, no peers), for validation and messages.</summary>
    public static IReadOnlyList<Region> ProvisionalRegions(IReadOnlyList<KeyRange> ranges) =>
        [.. ranges.Select((range, i) => new Region((ulong)i + 1, range.Start, range.End, RegionEpoch.Initial, []))];

    private static ImmutableArray<KeyRange> ReadLayout(Config full)
    {
        const string rangesKey = "akka-raft.region.initial-ranges";
        const string splitKey = "akka-raft.region.initial-split-keys";
        var explicitRanges = full.HasPath(rangesKey) ? full.GetValue(rangesKey).GetArray() : [];
        string key;
        IReadOnlyList<KeyRange> ranges;
        if (explicitRanges.Count > 0)
        {
            key = rangesKey;
            ranges = [.. explicitRanges.Select((value, i) =>
            {
                var pair = value.IsArray() ? value.GetArray() : [];
                if (pair.Count != 2)
                    throw new RaftSettingsException(rangesKey, value.ToString(), $"range #{i} must be a pair [start, end]");
                return new KeyRange(Encoding.UTF8.GetBytes(pair[0].GetString() ?? ""), Encoding.UTF8.GetBytes(pair[1].GetString() ?? ""));
            })];
        }
        else
        {
            key = splitKey;
            var splitKeys = full.HasPath(splitKey) ? full.GetStringList(splitKey) : [];
            ranges = KeyRange.FromSplitKeys([.. splitKeys.Select(k => Encoding.UTF8.GetBytes(k))]);
        }
        var validation = LayoutValidation.Validate(ProvisionalRegions(ranges));
        if (!validation.IsValid)
            throw new RaftSettingsException(key, string.Join(", ", ranges), $"invalid initial region layout: {string.Join("; ", validation.Faults.Select(f => f.Message))}");
        return [.. ranges];
    }

    private static TimeSpan Duration(Config full, string key)
    {
        TimeSpan value;
        try
        {
            value = full.GetTimeSpan(key, null, allowInfinite: false);
        }
        catch (Exception e) when (e is not RaftSettingsException)
        {
            throw new RaftSettingsException(key, full.GetValue(key)?.ToString() ?? "(missing)", "not a duration (e.g. 500ms)");
        }
        if (value <= TimeSpan.Zero) throw new RaftSettingsException(key, value.ToString(), "must be greater than zero");
        return value;
    }

    private static long Bytes(Config full, string key, long minimum)
    {
        var raw = full.GetValue(key)?.ToString() ?? "(missing)";
        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < minimum)
            throw new RaftSettingsException(key, raw, $"must be a whole number of bytes of at least {minimum}");
        return value;
    }

    private static int PositiveInt(Config full, string key)
    {
        var raw = full.GetValue(key)?.ToString() ?? "(missing)";
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 1)
            throw new RaftSettingsException(key, raw, "must be an integer of at least 1");
        return value;
    }
}
