using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Simulation;

/// <summary>Bugs in src/Core found by simulator seeds: each replayed as the seed and as a minimal hand-written scenario.</summary>
public class CoreRegressionTests
{
    private static void AssertSeedPasses(int seed)
    {
        var result = Simulation.Run(new SimulationOptions { Seed = seed });
        Assert.True(result.Passed, result.Violation);
    }

    [Fact]
    public void Seed_443_follower_whose_appends_were_all_lost_catches_up_after_heartbeats() => AssertSeedPasses(443);

    [Fact]
    public void Follower_in_replicate_state_with_a_full_window_of_lost_appends_catches_up_on_the_next_heartbeat()
    {
        var cluster = new ScenarioCluster(3, (_, config) => config with { MaxInflightMessages = 2 });
        cluster[1].Campaign();
        cluster.Settle();
        Assert.Equal(StateRole.Leader, cluster[1].Role);
        Assert.Equal(ProgressState.Replicate, cluster[1].Tracker.Progress[3].State);

        // Every append to replica 3 is lost without anyone being told, until its window is full.
        cluster.Drop = m => m.Type == MessageType.Append && m.To == 3;
        for (var i = 0; i < 4; i++)
        {
            Assert.True(cluster[1].Propose([(byte)i]).Accepted);
            cluster.Settle();
        }
        Assert.True(cluster[1].Tracker.Progress[3].Inflights.Full);

        cluster.Drop = _ => false;
        cluster.Tick(3);
        Assert.Equal(cluster[1].LastIndex, cluster[3].LastIndex);
        Assert.Equal(cluster[1].Committed, cluster[3].Committed);
    }
}
