namespace AkkaRaft.Core.Raft;

/// <summary>How linearizable reads are confirmed.</summary>
public enum ReadOnlyMode : byte
{
    /// <summary>Each read index is confirmed by a heartbeat round with a quorum.</summary>
    Safe,
    /// <summary>The leader trusts its lease (needs CheckQuorum; relies on bounded clock drift).</summary>
    LeaseBased,
}

/// <summary>Thrown when a <see cref="RaftConfig"/> is invalid; the message names the setting and the reason.</summary>
internal sealed class RaftConfigException(string message) : ArgumentException(message);

/// <summary>Settings of one replica. Validate with <see cref="Validate"/> (the node does it on construction).</summary>
internal sealed record RaftConfig
{
    /// <summary>This replica's id (non-zero).</summary>
    public required ulong Id { get; init; }
    /// <summary>Ticks without a leader before campaigning; the actual timeout is random in [n, 2n).</summary>
    public int ElectionTicks { get; init; } = 10;
    /// <summary>Ticks between leader heartbeats; must be less than <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 1;
    /// <summary>Bytes of entries per append message.</summary>
    public ulong MaxSizePerMessage { get; init; } = 1024 * 1024;
    /// <summary>Appends in flight per follower.</summary>
    public int MaxInflightMessages { get; init; } = 256;
    /// <summary>Bytes in flight per follower (0 = bounded by count only).</summary>
    public ulong MaxInflightBytes { get; init; }
    /// <summary>Bytes of committed entries handed out per Ready.</summary>
    public ulong MaxApplyBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>Largest proposal accepted.</summary>
    public ulong MaxProposalBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Bytes of proposed but uncommitted entries the leader accepts before refusing proposals (0 = no limit).</summary>
    public ulong MaxUncommittedBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary>Read requests waiting for confirmation before ReadIndex refuses more.</summary>
    public int MaxPendingReads { get; init; } = 4096;
    /// <summary>Ask for pre-votes before disrupting the group with a new term.</summary>
    public bool PreVote { get; init; } = true;
    /// <summary>Leader steps down when it has not heard from a quorum within an election timeout.</summary>
    public bool CheckQuorum { get; init; } = true;
    /// <summary>How reads are confirmed.</summary>
    public ReadOnlyMode ReadOnlyMode { get; init; } = ReadOnlyMode.Safe;
    /// <summary>Index the state machine has already applied (when restarting).</summary>
    public ulong Applied { get; init; }
    /// <summary>Seed for the randomized election timeout (deterministic by design).</summary>
    public int RandomSeed { get; init; }
    /// <summary>
    /// Ticks a fresh replica (term 0, empty log) waits before its first campaign, instead of a random
    /// [<see cref="ElectionTicks"/>, 2 × <see cref="ElectionTicks"/>); 0 = random as always. Lets a runtime that creates
    /// many groups at once spread their first elections and choose which replica stands first.
    /// </summary>
    public int FirstElectionTimeoutTicks { get; init; }
    /// <summary>After <see cref="RaftNode.LeaderSuspected"/>, campaign within a random 1..n ticks (staggered so voters do not split).</summary>
    public int SuspectedLeaderCampaignTicks { get; init; } = 2;

    /// <summary>Throws <see cref="RaftConfigException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Id == 0) throw new RaftConfigException("Id: must not be 0 (0 means \"no replica\")");
        if (HeartbeatTicks <= 0) throw new RaftConfigException($"HeartbeatTicks = {HeartbeatTicks}: must be greater than 0");
        if (ElectionTicks <= HeartbeatTicks) throw new RaftConfigException($"ElectionTicks = {ElectionTicks}: must be greater than HeartbeatTicks ({HeartbeatTicks})");
        if (SuspectedLeaderCampaignTicks <= 0 || SuspectedLeaderCampaignTicks > ElectionTicks)
        {
            throw new RaftConfigException($"SuspectedLeaderCampaignTicks = {SuspectedLeaderCampaignTicks}: must be in [1, ElectionTicks ({ElectionTicks})]");
        }
        if (FirstElectionTimeoutTicks < 0) throw new RaftConfigException($"FirstElectionTimeoutTicks = {FirstElectionTimeoutTicks}: must be 0 (random) or greater");
        if (MaxInflightMessages <= 0) throw new RaftConfigException($"MaxInflightMessages = {MaxInflightMessages}: must be greater than 0");
        if (MaxSizePerMessage == 0) throw new RaftConfigException("MaxSizePerMessage = 0: must be greater than 0");
        if (MaxInflightBytes != 0 && MaxInflightBytes < MaxSizePerMessage)
        {
            throw new RaftConfigException($"MaxInflightBytes = {MaxInflightBytes}: must be 0 or at least MaxSizePerMessage ({MaxSizePerMessage})");
        }
        if (MaxApplyBytes == 0) throw new RaftConfigException("MaxApplyBytes = 0: must be greater than 0");
        if (MaxProposalBytes == 0) throw new RaftConfigException("MaxProposalBytes = 0: must be greater than 0");
        if (MaxPendingReads <= 0) throw new RaftConfigException($"MaxPendingReads = {MaxPendingReads}: must be greater than 0");
        if (ReadOnlyMode == ReadOnlyMode.LeaseBased && !CheckQuorum)
        {
            throw new RaftConfigException("ReadOnlyMode = LeaseBased: requires CheckQuorum = true (a lease is only safe when the leader steps down without quorum)");
        }
    }
}
