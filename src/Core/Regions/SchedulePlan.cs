using System.Collections.Immutable;

namespace AkkaRaft.Core.Regions;

/// <summary>
/// An operator to start: move <see cref="RegionId"/>'s replica from <see cref="FromStore"/> to <see cref="ToStore"/>, or
/// for <see cref="OperatorKind.Cleanup"/> remove learner <see cref="LearnerPeer"/> on <see cref="FromStore"/> (ToStore 0).
/// </summary>
internal sealed record PlannedOperator(OperatorKind Kind, ulong RegionId, ulong FromStore, ulong ToStore, ulong LearnerPeer = 0);

/// <summary>A leader transfer to ask for: <see cref="RegionId"/>'s leadership from <see cref="FromStore"/> to <see cref="ToStore"/>.</summary>
internal sealed record PlannedLeaderTransfer(ulong RegionId, ulong FromStore, ulong ToStore, int FromLeads, int ToLeads);

/// <summary>What one planning round decided: operators to start, leader transfers, removing stores that are now empty.</summary>
internal sealed record SchedulePlan(ImmutableArray<PlannedOperator> Operators, ImmutableArray<PlannedLeaderTransfer> LeaderTransfers, ImmutableArray<ulong> StoresEmptied)
{
    /// <summary>Nothing to do.</summary>
    public static SchedulePlan Empty { get; } = new([], [], []);
}

/// <summary>Why a move or a store removal is refused.</summary>
internal enum ScheduleRefusalKind : byte
{
    /// <summary>No such region.</summary>
    UnknownRegion,
    /// <summary>Placement does not know the store.</summary>
    UnknownStore,
    /// <summary>Anything else: the detail says what (target not up or down, replicas, a running operator, quorum).</summary>
    Refused,
}

/// <summary>A refused request: its kind and a sentence for the user.</summary>
internal sealed record ScheduleRefusal(ScheduleRefusalKind Kind, string Detail);
