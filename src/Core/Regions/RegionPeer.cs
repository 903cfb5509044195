namespace AkkaRaft.Core.Regions;

/// <summary>Whether a peer votes or only receives the log.</summary>
internal enum PeerRole : byte
{
    /// <summary>Counts towards quorum.</summary>
    Voter = 0,
    /// <summary>Receives the log but does not vote (catching up before promotion).</summary>
    Learner = 1,
    /// <summary>A voter of the outgoing configuration of a joint change: votes until the joint config is left, then goes.</summary>
    Demoting = 2,
}

/// <summary>One replica of a region: the store (node) it lives on, its Raft peer id, and its role.</summary>
internal readonly record struct RegionPeer(ulong StoreId, ulong PeerId, PeerRole Role)
{
    /// <summary>Renders as <c>peer 7@store 2</c> (plus <c> learner</c> or <c> demoting</c>).</summary>
    public override string ToString() => $"peer {PeerId}@store {StoreId}{Role switch
    {
        PeerRole.Learner => " learner",
        PeerRole.Demoting => " demoting",
        _ => "",
    }}";
}
