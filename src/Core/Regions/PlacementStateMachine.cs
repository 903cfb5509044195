using System.Buffers.Binary;
using System.Collections.Immutable;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using WireReader = AkkaRaft.Core.Kv.WireReader;
using WireWriter = AkkaRaft.Core.Kv.WireWriter;

namespace AkkaRaft.Core.Regions;

/// <summary>
/// The placement (PD) state machine of Raft group 0: the registry of stores and regions and the id allocator.
/// Pure and deterministic; lookups are plain methods the runtime calls from a linearizable read.
/// </summary>
internal sealed class PlacementStateMachine : IRaftStateMachine
{
    /// <summary>The snapshot format version written; restoring any other fails.</summary>
    public const byte SnapshotFormatVersion = 2;

    /// <summary>Group id reserved for placement; region ids start above it.</summary>
    public const ulong PlacementGroupId = 0;

    private static ReadOnlySpan<byte> SnapshotMagic => "APLS"u8;
    private const int ChecksumBytes = 8;

    private Dictionary<ulong, PlacementStore> _stores = [];
    private Dictionary<ulong, PlacementRegion> _regions = [];
    private RoutingTable _routing = RoutingTable.Empty;

    /// <inheritdoc />
    public ulong AppliedIndex { get; private set; }

    /// <summary>True once the initial layout exists; a later bootstrap is a no-op.</summary>
    public bool IsBootstrapped { get; private set; }

    /// <summary>Raft index at which the layout was bootstrapped (0 = not yet).</summary>
    public ulong BootstrappedAtIndex { get; private set; }

    /// <summary>The next id the allocator hands out (never 0, never reused).</summary>
    public ulong NextId { get; private set; } = PlacementGroupId + 1;

    /// <summary>Known stores by id.</summary>
    public IReadOnlyDictionary<ulong, PlacementStore> Stores => _stores;

    /// <summary>All regions, sorted by start key.</summary>
    public IReadOnlyList<PlacementRegion> Regions => [.. _routing.Regions.Select(r => _regions[r.Id])];

    /// <summary>The region holding <paramref name="key"/>, or null before bootstrap.</summary>
    public PlacementRegion? FindByKey(ReadOnlySpan<byte> key) => _routing.Find(key) is { } region ? _regions[region.Id] : null;

    /// <summary>The region with id <paramref name="regionId"/>, or null.</summary>
    public PlacementRegion? FindById(ulong regionId) => _regions.GetValueOrDefault(regionId);

    /// <inheritdoc />
    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new object?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            // Invariant: entries arrive once each, in index order.
            if (batch[i].Index <= AppliedIndex)
                throw new InvalidOperationException($"[region {PlacementGroupId}] apply of index {batch[i].Index} after index {AppliedIndex}");
            results[i] = ApplyOne(batch[i]);
            AppliedIndex = batch[i].Index;
        }
        return results;
    }

    private PlacementResult ApplyOne(CommittedCommand committed)
    {
        PlacementCommand command;
        try
        {
            command = PlacementCodec.Decode(committed.Data);
        }
        catch (PlacementCodecException e)
        {
            return new PlacementResult.Rejected($"undecodable placement command: {e.Message}");
        }
        return command switch
        {
            BootstrapCommand bootstrap => Bootstrap(bootstrap, committed.Index),
            StoreHeartbeatCommand heartbeat => RecordHeartbeat(heartbeat, committed.Index),
            AllocateIdsCommand allocate => Allocate(allocate.Count),
            ReportSplitCommand split => RecordSplit(split.Left, split.Right),
            ReportRegionCommand report => RecordRegionChange(report.Region),
            SetStoreStateCommand state => SetStoreState(state),
            _ => new PlacementResult.Rejected($"unknown placement command {command.GetType().Name}"),
        };
    }

    private PlacementResult Bootstrap(BootstrapCommand bootstrap, ulong index)
    {
        if (IsBootstrapped) return new PlacementResult.Bootstrapped([.. _routing.Regions], AlreadyBootstrapped: true);
        if (bootstrap.StoreIds.IsEmpty || bootstrap.StoreIds.Distinct().Count() != bootstrap.StoreIds.Length || bootstrap.StoreIds.Contains(0UL))
            return new PlacementResult.Rejected($"bootstrap needs distinct non-zero store ids, got [{string.Join(", ", bootstrap.StoreIds)}]");
        if (bootstrap.Ranges.IsEmpty)
            return new PlacementResult.Rejected("bootstrap needs at least one range");

        var next = NextId;
        var regionIds = bootstrap.Ranges.Select(_ => next++).ToList();
        var layout = new List<Region>(bootstrap.Ranges.Length);
        for (var i = 0; i < bootstrap.Ranges.Length; i++)
        {
            var peers = bootstrap.StoreIds.Select(store => new RegionPeer(store, next++, PeerRole.Voter)).ToList();
            layout.Add(new Region(regionIds[i], bootstrap.Ranges[i].Start, bootstrap.Ranges[i].End, RegionEpoch.Initial, peers));
        }
        var validation = LayoutValidation.Validate(layout);
        if (!validation.IsValid) return new PlacementResult.Rejected($"invalid initial layout: {validation}");

        NextId = next;
        foreach (var store in bootstrap.StoreIds) _stores[store] = new PlacementStore(store, 0, 0);
        foreach (var region in layout) _regions[region.Id] = new PlacementRegion(region, 0, 0, 0, []);
        _routing = new RoutingTable(layout);
        IsBootstrapped = true;
        BootstrappedAtIndex = index;
        return new PlacementResult.Bootstrapped([.. _routing.Regions], AlreadyBootstrapped: false);
    }

    private PlacementResult RecordHeartbeat(StoreHeartbeatCommand heartbeat, ulong index)
    {
        if (!IsBootstrapped) return new PlacementResult.Rejected("not bootstrapped yet: heartbeat ignored");
        if (heartbeat.StoreId == 0) return new PlacementResult.Rejected("store id 0 is not valid");
        var count = _stores.TryGetValue(heartbeat.StoreId, out var known) ? known.HeartbeatCount : 0;
        var state = known?.State ?? StoreState.Up;
        _stores[heartbeat.StoreId] = new PlacementStore(heartbeat.StoreId, index, count + 1, state);
        var updated = 0;
        foreach (var report in heartbeat.Regions)
        {
            if (!_regions.TryGetValue(report.RegionId, out var current)) continue;
            // A replica behind the recorded epoch knows less than placement does: its report is ignored.
            if (report.Epoch.IsStaleComparedTo(current.Region.Epoch)) continue;
            PlacementRegion next;
            if (report.IsLeader)
            {
                // A leader of an older term (a deposed leader still reporting) must not override a newer one.
                if (report.Term < current.LeaderTerm) continue;
                next = current with
                {
                    LeaderStore = heartbeat.StoreId,
                    LeaderTerm = report.Term,
                    ApproximateSizeBytes = report.ApproximateSizeBytes,
                    DownPeerStores = report.DownPeerStores,
                };
            }
            else if (current.LeaderStore == heartbeat.StoreId && report.Term > current.LeaderTerm)
            {
                next = current with { LeaderStore = 0, LeaderTerm = report.Term };
            }
            else
            {
                continue;
            }
            if (next == current) continue;
            _regions[report.RegionId] = next;
            updated++;
        }
        return new PlacementResult.HeartbeatRecorded(updated);
    }

    private PlacementResult Allocate(int count)
    {
        if (count is < 1 or > 1_000_000) return new PlacementResult.Rejected($"id count {count} must be in [1, 1000000]");
        var first = NextId;
        NextId += (ulong)count;
        return new PlacementResult.IdsAllocated(first, count);
    }

    /// <summary>
    /// Records both halves of a split in one step. Each half is taken unless placement already holds newer metadata for it
    /// (the same id at the same or a later epoch, or an overlapping region with a higher version); a report with neither
    /// half new is a no-op when placement holds exactly these regions, and rejected otherwise (it overlaps newer metadata).
    /// </summary>
    private PlacementResult RecordSplit(Region left, Region right)
    {
        if (!IsBootstrapped) return new PlacementResult.Rejected("not bootstrapped yet: split report ignored");
        if (left.Id == right.Id || left.Id == PlacementGroupId || right.Id == PlacementGroupId)
            return new PlacementResult.Rejected($"split report needs two distinct region ids, got {left} and {right}");
        if (left.IsEmptyRange || right.IsEmptyRange || left.EndKey.Length == 0 || !ByteKeyComparer.Instance.Equals(left.EndKey, right.StartKey))
            return new PlacementResult.Rejected($"split report: {left} and {right} are not adjacent non-empty halves");
        if (left.Epoch.Version != right.Epoch.Version)
            return new PlacementResult.Rejected($"split report: halves {left} and {right} carry different versions");
        if (right.Id >= NextId)
            return new PlacementResult.Rejected($"split report: {right} has an id placement never handed out (next id {NextId})");
        var updated = _routing.Replace([left, right]);
        var known = _regions.GetValueOrDefault(left.Id)?.Region == left && _regions.GetValueOrDefault(right.Id)?.Region == right;
        if (known) return new PlacementResult.SplitRecorded(left, right, AlreadyRecorded: true);
        if (ReferenceEquals(updated, _routing))
            return new PlacementResult.Rejected($"split report {left} + {right} overlaps newer metadata: ignored");
        var regions = new Dictionary<ulong, PlacementRegion>(updated.Count);
        foreach (var region in updated.Regions)
        {
            regions[region.Id] = _regions.TryGetValue(region.Id, out var entry)
                ? entry with { Region = region }
                : new PlacementRegion(region, 0, 0, 0, []);
        }
        (_regions, _routing) = (regions, updated);
        return new PlacementResult.SplitRecorded(left, right, AlreadyRecorded: false);
    }

    /// <summary>Takes a region's new peers and conf version when they are newer at the same version and range.</summary>
    private PlacementResult RecordRegionChange(Region reported)
    {
        if (!IsBootstrapped) return new PlacementResult.Rejected("not bootstrapped yet: region report ignored");
        if (!_regions.TryGetValue(reported.Id, out var current)) return new PlacementResult.Rejected($"region report: {reported} is unknown to placement");
        var known = current.Region;
        if (known == reported) return new PlacementResult.RegionRecorded(known, AlreadyRecorded: true);
        if (reported.Epoch.Version > known.Epoch.Version)
            return new PlacementResult.Pending($"region report {reported} is ahead of {known}: its split is not recorded yet");
        if (reported.Epoch.Version < known.Epoch.Version || reported.Epoch.ConfVersion <= known.Epoch.ConfVersion)
            return new PlacementResult.Rejected($"region report {reported} is not newer than {known}: ignored");
        if (!ByteKeyComparer.Instance.Equals(reported.StartKey, known.StartKey) || !ByteKeyComparer.Instance.Equals(reported.EndKey, known.EndKey))
            return new PlacementResult.Rejected($"region report {reported} changes the range of {known} without a version change");
        var updated = _routing.Replace([reported]);
        if (ReferenceEquals(updated, _routing)) return new PlacementResult.Rejected($"region report {reported} does not fit the layout");
        _regions[reported.Id] = current with
        {
            Region = reported,
            // A leader whose peer left the region no longer leads it.
            LeaderStore = reported.Peers.Any(p => p.StoreId == current.LeaderStore) ? current.LeaderStore : 0,
        };
        _routing = updated;
        return new PlacementResult.RegionRecorded(reported, AlreadyRecorded: false);
    }

    private PlacementResult SetStoreState(SetStoreStateCommand command)
    {
        if (!_stores.TryGetValue(command.StoreId, out var store)) return new PlacementResult.Rejected($"store {command.StoreId} is unknown to placement");
        if (store.State == StoreState.Removed && command.State != StoreState.Removed)
            return new PlacementResult.Rejected($"store {command.StoreId} is removed for good");
        if (command.State == StoreState.Removed && _regions.Values.Any(r => r.Region.Peers.Any(p => p.StoreId == command.StoreId)))
            return new PlacementResult.Rejected($"store {command.StoreId} still holds replicas: move them away first");
        var next = store with { State = command.State };
        _stores[command.StoreId] = next;
        return new PlacementResult.StoreStateSet(next);
    }

    /// <inheritdoc />
    public byte[] TakeSnapshot()
    {
        var writer = new WireWriter(256);
        writer.WriteRaw(SnapshotMagic);
        writer.WriteByte(SnapshotFormatVersion);
        writer.WriteVarUInt(AppliedIndex);
        writer.WriteByte(IsBootstrapped ? (byte)1 : (byte)0);
        writer.WriteVarUInt(BootstrappedAtIndex);
        writer.WriteVarUInt(NextId);
        writer.WriteVarUInt((ulong)_stores.Count);
        foreach (var store in _stores.Values.OrderBy(s => s.StoreId))
        {
            writer.WriteVarUInt(store.StoreId);
            writer.WriteVarUInt(store.LastHeartbeatIndex);
            writer.WriteVarInt(store.HeartbeatCount);
            writer.WriteByte((byte)store.State);
        }
        writer.WriteVarUInt((ulong)_regions.Count);
        foreach (var region in _routing.Regions.Select(r => _regions[r.Id]))
        {
            PlacementCodec.WriteRegion(writer, region.Region);
            writer.WriteVarUInt(region.LeaderStore);
            writer.WriteVarUInt(region.LeaderTerm);
            writer.WriteVarInt(region.ApproximateSizeBytes);
            PlacementCodec.WriteIds(writer, region.DownPeerStores);
        }
        Span<byte> checksum = stackalloc byte[ChecksumBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, Fnv1a64(writer.Written));
        writer.WriteRaw(checksum);
        return writer.ToArray();
    }

    /// <inheritdoc />
    /// <remarks>All or nothing: on <see cref="PlacementCodecException"/> the current state is untouched.</remarks>
    public void Restore(byte[] snapshot, ulong index)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Length < SnapshotMagic.Length + 1 + ChecksumBytes || !snapshot.AsSpan(0, SnapshotMagic.Length).SequenceEqual(SnapshotMagic))
            throw new PlacementCodecException($"invalid placement snapshot: {snapshot.Length} bytes without the \"APLS\" header");
        var body = snapshot.AsSpan(0, snapshot.Length - ChecksumBytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(snapshot.AsSpan(snapshot.Length - ChecksumBytes)) != Fnv1a64(body))
            throw new PlacementCodecException("invalid placement snapshot: checksum mismatch (corrupt or truncated)");
        try
        {
            var reader = new WireReader(body[SnapshotMagic.Length..], "placement snapshot");
            var version = reader.ReadByte("format version");
            if (version != SnapshotFormatVersion) throw reader.Fail($"format version {version} is not {SnapshotFormatVersion}");
            var applied = reader.ReadVarUInt("applied index");
            if (applied != index) throw reader.Fail($"snapshot holds index {applied}, restore asked for {index}");
            var bootstrapped = reader.ReadByte("bootstrapped flag") == 1;
            var bootstrappedAt = reader.ReadVarUInt("bootstrap index");
            var nextId = reader.ReadVarUInt("next id");
            var storeCount = reader.ReadCount("store count", 3);
            var stores = new Dictionary<ulong, PlacementStore>(storeCount);
            for (var i = 0; i < storeCount; i++)
            {
                var store = new PlacementStore(reader.ReadVarUInt("store id"), reader.ReadVarUInt("last heartbeat"), checked((int)reader.ReadVarInt("heartbeat count")),
                    PlacementCodec.ReadStoreState(ref reader));
                if (!stores.TryAdd(store.StoreId, store)) throw reader.Fail($"store {store.StoreId} appears twice");
            }
            var regionCount = reader.ReadCount("region count", 8);
            var regions = new Dictionary<ulong, PlacementRegion>(regionCount);
            for (var i = 0; i < regionCount; i++)
            {
                var region = PlacementCodec.ReadRegion(ref reader);
                var entry = new PlacementRegion(region, reader.ReadVarUInt("leader store"), reader.ReadVarUInt("leader term"),
                    reader.ReadVarInt("approximate size"), PlacementCodec.ReadIds(ref reader, "down peer stores"));
                if (!regions.TryAdd(region.Id, entry)) throw reader.Fail($"region {region.Id} appears twice");
            }
            reader.EnsureEnd();
            RoutingTable routing;
            try
            {
                routing = new RoutingTable(regions.Values.Select(r => r.Region));
            }
            catch (ArgumentException e)
            {
                throw reader.Fail(e.Message);
            }
            (AppliedIndex, IsBootstrapped, BootstrappedAtIndex, NextId) = (applied, bootstrapped, bootstrappedAt, nextId);
            (_stores, _regions, _routing) = (stores, regions, routing);
        }
        catch (Exception e) when (e is KvCodecException or OverflowException)
        {
            throw new PlacementCodecException(e.Message, e);
        }
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
