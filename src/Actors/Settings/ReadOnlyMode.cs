namespace AkkaRaft.Actors.Settings;

/// <summary>How a leader serves linearizable reads.</summary>
public enum ReadOnlyMode
{
    /// <summary>ReadIndex: confirm leadership with a heartbeat round before answering.</summary>
    Safe,

    /// <summary>Leader lease: answer without a round trip; needs check-quorum and bounded clock drift.</summary>
    Lease,
}
