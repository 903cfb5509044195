namespace AkkaRaft.Core.Regions;

/// <summary>Whether a peer votes or only receives the log.</summary>
public enum PeerRole : byte
{
    /// <summary>Counts towards quorum.</summary>
    Voter = 0,
    /// <summary>Receives the log but does not vote (catching up before promotion).</summary>
    Learner = 1,
}

/// <summary>One replica of a region: the store (node) it lives on, its Raft peer id, and its role.</summary>
public readonly record struct RegionPeer(ulong StoreId, ulong PeerId, PeerRole Role)
{
    /// <summary>Renders as <c>peer 7@store 2</c> (plus <c> learner</c> for learners).</summary>
    public override string ToString() => $"peer {PeerId}@store {StoreId}{(Role == PeerRole.Learner ? " learner" : "")}";
}
