namespace AkkaRaft.Simulation;

/// <summary>How hostile one seed's world is; drawn from the seed so that seeds cover calm and stormy runs.</summary>
internal sealed record FaultRates(
    double Drop,
    double Duplicate,
    int MaxDelay,
    double PersistChance,
    double Partition,
    double Heal,
    double Crash,
    double Restart,
    double ConfChange,
    double Transfer,
    double Read,
    double Proposal,
    double Quiet,
    double Streamed,
    double StreamRejected)
{
    public static FaultRates Draw(Random random) => new(
        Drop: random.NextDouble() * 0.15,
        Duplicate: random.NextDouble() * 0.05,
        MaxDelay: random.Next(4),
        PersistChance: 0.4 + random.NextDouble() * 0.6,
        Partition: random.NextDouble() * 0.03,
        Heal: 0.02 + random.NextDouble() * 0.05,
        Crash: random.NextDouble() * 0.02,
        Restart: 0.02 + random.NextDouble() * 0.08,
        ConfChange: random.NextDouble() * 0.05,
        Transfer: random.NextDouble() * 0.01,
        Read: random.NextDouble() * 0.2,
        Proposal: 0.1 + random.NextDouble() * 0.4,
        Quiet: random.NextDouble() * 0.04,
        Streamed: random.NextDouble(),
        StreamRejected: random.NextDouble() * 0.1);

    public override string ToString() =>
        $"drop={Drop:F3} dup={Duplicate:F3} delay<={MaxDelay} persist={PersistChance:F2} partition={Partition:F3} heal={Heal:F3} " +
        $"crash={Crash:F3} restart={Restart:F3} conf={ConfChange:F3} transfer={Transfer:F3} read={Read:F3} propose={Proposal:F2} " +
        $"quiet={Quiet:F3} streamed={Streamed:F2} rejected={StreamRejected:F3}";
}

/// <summary>The runtime's settings for one seed: hibernation, compaction and request bounds vary with it.</summary>
internal sealed record RuntimeSettings(
    int HeartbeatTicks,
    int HibernateAfterTicks,
    long SnapshotEveryEntries,
    long FollowerCatchUpLogBytes,
    int MaxPendingProposals,
    int MaxPendingReads,
    ulong MaxApplyBytes)
{
    public const int ElectionTicks = 10;

    public static RuntimeSettings Draw(Random random) => new(
        HeartbeatTicks: 1 + random.Next(3),
        HibernateAfterTicks: random.Next(3) == 0 ? 0 : ElectionTicks + random.Next(30),
        SnapshotEveryEntries: 3 + random.Next(40),
        FollowerCatchUpLogBytes: random.Next(3) switch { 0 => 0, 1 => 200 + random.Next(2000), _ => 1 << 20 },
        MaxPendingProposals: random.Next(4) == 0 ? 1 + random.Next(4) : 1000,
        MaxPendingReads: random.Next(4) == 0 ? 1 + random.Next(4) : 1000,
        // Small: a Ready applies a few entries at a time and apply lags behind commit.
        MaxApplyBytes: random.Next(2) == 0 ? (ulong)(1 + random.Next(100)) : 1 << 20);

    public override string ToString() =>
        $"heartbeat={HeartbeatTicks} hibernate-after={HibernateAfterTicks} snapshot-every={SnapshotEveryEntries} catch-up-bytes={FollowerCatchUpLogBytes} " +
        $"max-proposals={MaxPendingProposals} max-reads={MaxPendingReads} max-apply-bytes={MaxApplyBytes}";
}
