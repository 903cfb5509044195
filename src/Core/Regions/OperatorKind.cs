namespace AkkaRaft.Core.Regions;

/// <summary>Why an operator was started.</summary>
internal enum OperatorKind : byte
{
    /// <summary>Asked for by a user (a move request).</summary>
    Manual = 0,
    /// <summary>A replica on a down or removing store rebuilt elsewhere.</summary>
    Repair = 1,
    /// <summary>A replica moved from the fullest to the emptiest store.</summary>
    Balance = 2,
    /// <summary>A learner that no running operator owns removed again.</summary>
    Cleanup = 3,
}
