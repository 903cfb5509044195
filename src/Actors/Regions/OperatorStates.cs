using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Regions;

/// <summary>Where an operator stands.</summary>
internal enum OperatorState : byte
{
    /// <summary>Still working.</summary>
    Running = 0,
    /// <summary>Finished: the replica moved (or the learner was removed).</summary>
    Done = 1,
    /// <summary>Stopped without finishing; the detail says why (a stale one is planned again).</summary>
    Failed = 2,
    /// <summary>Stopped by the scheduler (no progress for the operator timeout); a learner it added is removed.</summary>
    Cancelled = 3,
}

/// <summary>The step an operator is at (TiKV's operator steps for a replica move, plus cleanup and rollback).</summary>
internal enum OperatorStep : byte
{
    /// <summary>Started, nothing asked yet.</summary>
    Planned = 0,
    /// <summary>An empty replica is created on the target store.</summary>
    AddReplica = 1,
    /// <summary>The empty replica joins the region as a learner.</summary>
    AddLearner = 2,
    /// <summary>The learner receives the leader's snapshot and log.</summary>
    CatchUp = 3,
    /// <summary>The leader is on the source store: leadership moves to another voter first.</summary>
    TransferLeader = 4,
    /// <summary>One joint change promotes the learner and removes the source voter.</summary>
    JointChange = 5,
    /// <summary>Waiting for the leader to leave the joint configuration.</summary>
    LeaveJoint = 6,
    /// <summary>The source store destroys its replica (once every voter applied its removal).</summary>
    RemoveSource = 7,
    /// <summary>A learner no operator owns is removed.</summary>
    RemoveLearner = 8,
    /// <summary>The move failed or was cancelled before the promotion: the learner it added is removed again.</summary>
    RollBack = 9,
}

/// <summary>Outcome of a <see cref="MoveRegion"/> or <see cref="RemoveStore"/> request.</summary>
internal enum OperatorReplyStatus : byte
{
    /// <summary>Accepted; an operator started (or the store is being removed).</summary>
    Accepted = 0,
    /// <summary>No scheduler is active yet (placement has no leader, or it is not reachable): retry in a moment.</summary>
    NotActive = 1,
    /// <summary>The active scheduler has not read the layout yet: retry in a moment.</summary>
    NoLayout = 2,
    /// <summary>The region does not exist.</summary>
    UnknownRegion = 3,
    /// <summary>Placement does not know the store.</summary>
    UnknownStore = 4,
    /// <summary>Refused; the detail says why, and nothing changed.</summary>
    Refused = 5,
    /// <summary>Placement did not record the request in time: the outcome is unknown, retry.</summary>
    Unavailable = 6,
}

/// <summary>Readable lower-case names of operator kinds, steps and states and of store states, as the admin surface shows them.</summary>
internal static class OperatorText
{
    /// <summary>"manual", "repair", "balance", "cleanup".</summary>
    public static string Text(this OperatorKind kind) => kind switch
    {
        OperatorKind.Manual => "manual",
        OperatorKind.Repair => "repair",
        OperatorKind.Balance => "balance",
        OperatorKind.Cleanup => "cleanup",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>"planned", "add replica", "catch up", "joint change", ...</summary>
    public static string Text(this OperatorStep step) => step switch
    {
        OperatorStep.Planned => "planned",
        OperatorStep.AddReplica => "add replica",
        OperatorStep.AddLearner => "add learner",
        OperatorStep.CatchUp => "catch up",
        OperatorStep.TransferLeader => "transfer leader",
        OperatorStep.JointChange => "joint change",
        OperatorStep.LeaveJoint => "leave joint",
        OperatorStep.RemoveSource => "remove source",
        OperatorStep.RemoveLearner => "remove learner",
        OperatorStep.RollBack => "roll back",
        _ => step.ToString().ToLowerInvariant(),
    };

    /// <summary>"running", "done", "failed", "cancelled".</summary>
    public static string Text(this OperatorState state) => state.ToString().ToLowerInvariant();

    /// <summary>"up", "removing", "removed".</summary>
    public static string Text(this StoreState state) => state.ToString().ToLowerInvariant();
}
