using System.Diagnostics.Metrics;

namespace AkkaRaft.Actors.Runtime;

/// <summary>AkkaRaft's instruments (System.Diagnostics.Metrics, meter "AkkaRaft"); every measurement of a group carries its group id.</summary>
internal static class RaftMetrics
{
    /// <summary>Name of the meter, for listeners and exporters.</summary>
    public const string MeterName = "AkkaRaft";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Proposals committed and applied.</summary>
    public static Counter<long> ProposalsApplied { get; } = Meter.CreateCounter<long>("akkaraft_proposals_applied", description: "Proposals committed and applied");

    /// <summary>Time from proposal to applied, in milliseconds.</summary>
    public static Histogram<double> ProposalLatency { get; } = Meter.CreateHistogram<double>("akkaraft_proposal_latency_ms", "ms", "Proposal to applied");

    /// <summary>Journal write latency (one Ready), in milliseconds.</summary>
    public static Histogram<double> JournalWriteLatency { get; } = Meter.CreateHistogram<double>("akkaraft_journal_write_ms", "ms", "One Ready made durable");

    /// <summary>Entries per journal write: the group-commit batch size.</summary>
    public static Histogram<long> EntriesPerWrite { get; } = Meter.CreateHistogram<long>("akkaraft_entries_per_write", description: "Entries made durable per journal write");

    /// <summary>Linearizable reads answered by one ReadIndex request: the read batch size.</summary>
    public static Histogram<long> ReadsPerReadIndex { get; } = Meter.CreateHistogram<long>("akkaraft_reads_per_read_index", description: "Reads sharing one ReadIndex request");

    /// <summary>Journal transactions committed (one fsync each), over all groups of the node.</summary>
    public static Counter<long> JournalTransactions { get; } = Meter.CreateCounter<long>("akkaraft_journal_transactions", description: "Journal transactions committed (one fsync each)");

    /// <summary>Events (and snapshot rows) per journal transaction: how many writes of all groups share one fsync.</summary>
    public static Histogram<long> JournalEventsPerTransaction { get; } = Meter.CreateHistogram<long>("akkaraft_journal_events_per_transaction", description: "Rows written per journal transaction");

    /// <summary>Snapshot chunk bytes sent to other nodes, resends included.</summary>
    public static Counter<long> SnapshotBytesSent { get; } = Meter.CreateCounter<long>("akkaraft_snapshot_bytes_sent", "By", "Snapshot chunk bytes sent, resends included");

    /// <summary>Snapshot chunks sent again (ack timeout or a receiver that lost its partial copy).</summary>
    public static Counter<long> SnapshotChunksResent { get; } = Meter.CreateCounter<long>("akkaraft_snapshot_chunks_resent", description: "Snapshot chunks sent more than once");

    /// <summary>Tag list with the group id.</summary>
    public static KeyValuePair<string, object?> Group(ulong groupId) => new("group", groupId);
}
