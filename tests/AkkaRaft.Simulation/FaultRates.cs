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
    double Compaction)
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
        Read: random.NextDouble() * 0.1,
        Proposal: 0.1 + random.NextDouble() * 0.4,
        Compaction: random.NextDouble() * 0.03);

    public override string ToString() =>
        $"drop={Drop:F3} dup={Duplicate:F3} delay<={MaxDelay} persist={PersistChance:F2} partition={Partition:F3} heal={Heal:F3} " +
        $"crash={Crash:F3} restart={Restart:F3} conf={ConfChange:F3} transfer={Transfer:F3} read={Read:F3} propose={Proposal:F2} compact={Compaction:F3}";
}
