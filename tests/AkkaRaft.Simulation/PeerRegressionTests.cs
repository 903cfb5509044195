using Xunit;

namespace AkkaRaft.Simulation;

/// <summary>
/// Bugs in the runtime's replica logic (src/Actors/Runtime/Peer) found by simulator seeds once replicas ran RaftPeer;
/// each seed fails without its fix. Every bug also has a hand-written test in AkkaRaft.Actors.Tests (RaftPeerTests).
/// </summary>
public class PeerRegressionTests
{
    private static void AssertSeedPasses(int seed)
    {
        var result = Simulation.Run(new SimulationOptions { Seed = seed });
        Assert.True(result.Passed, result.Violation);
    }

    [Fact]
    public void Seed_2_quiet_groups_whose_leader_heartbeats_every_tick_fall_asleep() => AssertSeedPasses(2);

    [Fact]
    public void Seed_808_replica_caught_up_by_snapshot_reaches_a_learner_added_meanwhile_once_it_leads() => AssertSeedPasses(808);

    [Fact]
    public void Seed_2192_replica_caught_up_by_snapshot_reaches_a_learner_added_meanwhile_once_it_leads() => AssertSeedPasses(2192);

    [Fact]
    public void Seed_10486_snapshot_verdicts_reach_the_replica_on_a_node_that_hosted_a_removed_one() => AssertSeedPasses(10486);

    [Fact]
    public void Seed_14052_snapshot_verdicts_reach_the_replica_on_a_node_that_hosted_a_removed_one() => AssertSeedPasses(14052);

    [Fact]
    public void Seed_1912_restarted_replica_keeps_the_membership_it_applied_and_a_demoted_learner_cannot_elect_it() => AssertSeedPasses(1912);
}
