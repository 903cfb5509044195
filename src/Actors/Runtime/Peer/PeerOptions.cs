using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime.Peer;

/// <summary>What one <see cref="RaftPeer{TReplyTo}"/> incarnation runs with: its Raft node's config and the runtime's own bounds.</summary>
internal sealed record PeerOptions
{
    /// <summary>The Raft node's config; its id is the replica's peer id. <see cref="RaftConfig.Applied"/> is set by the peer.</summary>
    public required RaftConfig Raft { get; init; }
    /// <summary>Idle ticks after which the leader of a settled group puts it to sleep (0: never).</summary>
    public required int HibernateAfterTicks { get; init; }
    /// <summary>Applied entries between two journaled snapshots (log compaction).</summary>
    public required long SnapshotEveryEntries { get; init; }
    /// <summary>Bytes of log a leader keeps beyond a snapshot for a recently active follower that still needs them.</summary>
    public required long FollowerCatchUpLogBytes { get; init; }
    /// <summary>Proposals waiting to be applied before new ones are refused (Busy).</summary>
    public required int MaxPendingProposals { get; init; }
    /// <summary>Reads waiting for their read index before new ones are refused (Busy).</summary>
    public required int MaxPendingReads { get; init; }
    /// <summary>Ticks over which the first elections of new groups are spread (0: random election timeouts only).</summary>
    public int InitialElectionSpreadTicks { get; init; }
    /// <summary>Whether debug log lines are wanted (they are not even formatted otherwise).</summary>
    public bool DebugEnabled { get; init; }

    /// <summary>Ticks a proposal or read may wait before it is answered Timeout.</summary>
    public int RequestDeadlineTicks => Raft.ElectionTicks * 5;

    /// <summary>Ticks an inline snapshot may go unanswered before Raft sends it again.</summary>
    public int SnapshotTimeoutTicks => Raft.ElectionTicks * 20;

    /// <summary>Options of replica <paramref name="peerId"/> from the node's settings; <paramref name="randomSeed"/> varies election timeouts.</summary>
    public static PeerOptions From(RaftSettings settings, ulong peerId, int randomSeed, bool debugEnabled = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new PeerOptions
        {
            Raft = new RaftConfig
            {
                Id = peerId,
                ElectionTicks = settings.ElectionTicks,
                HeartbeatTicks = settings.HeartbeatTicks,
                SuspectedLeaderCampaignTicks = settings.SuspectedLeaderCampaignTicks,
                PreVote = settings.PreVote,
                CheckQuorum = settings.CheckQuorum,
                ReadOnlyMode = settings.ReadOnlyMode == Settings.ReadOnlyMode.Lease ? Core.Raft.ReadOnlyMode.LeaseBased : Core.Raft.ReadOnlyMode.Safe,
                MaxInflightMessages = settings.MaxInflight,
                MaxInflightBytes = (ulong)settings.MaxInflightBytes,
                MaxSizePerMessage = (ulong)Math.Max(1, settings.MaxBatchBytes / 2),
                MaxApplyBytes = (ulong)settings.MaxApplyBytes,
                MaxProposalBytes = (ulong)settings.MaxEntryBytes,
                MaxPendingReads = settings.MaxPendingReads,
                RandomSeed = randomSeed,
            },
            HibernateAfterTicks = settings.HibernateAfterTicks,
            InitialElectionSpreadTicks = settings.InitialElectionSpreadTicks,
            SnapshotEveryEntries = settings.SnapshotEveryEntries,
            FollowerCatchUpLogBytes = settings.FollowerCatchUpLogBytes,
            MaxPendingProposals = settings.MaxPendingProposals,
            MaxPendingReads = settings.MaxPendingReads,
            DebugEnabled = debugEnabled,
        };
    }
}
