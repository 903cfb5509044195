using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;
using Xunit;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>New groups created together spread their first elections (initial-election-spread-ticks) instead of all campaigning at once.</summary>
public sealed class FirstElectionSpreadTests
{
    private const int ElectionTicks = 10;
    private const int Spread = 30;
    private static readonly Dictionary<ulong, ulong> ThreeNodes = new() { [1] = 1, [2] = 2, [3] = 3 };

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(47UL)]
    public void One_replica_chosen_by_group_id_stands_first_at_a_tick_chosen_by_group_id_the_others_only_after_the_spread(ulong group)
    {
        var firstCampaign = new Dictionary<ulong, int>();
        foreach (var peer in ThreeNodes.Keys) firstCampaign[peer] = TicksUntilCampaign(group, peer, ThreeNodes, Spread);

        var first = ThreeNodes.Keys.Order().ElementAt((int)(group % 3));
        Assert.Equal(ElectionTicks + (int)(group % Spread), firstCampaign[first]);
        foreach (var other in ThreeNodes.Keys.Where(p => p != first))
        {
            Assert.InRange(firstCampaign[other], 2 * ElectionTicks + Spread, 3 * ElectionTicks + Spread - 1);
        }
    }

    [Fact]
    public void Consecutive_groups_are_led_first_from_different_nodes_and_at_different_ticks()
    {
        var starts = Enumerable.Range(1, 6).Select(g => (ulong)g)
            .Select(g => ThreeNodes.Keys.Select(p => (Peer: p, Ticks: TicksUntilCampaign(g, p, ThreeNodes, Spread))).MinBy(c => c.Ticks))
            .ToList();
        Assert.Equal(3, starts.Select(s => s.Peer).Distinct().Count());
        Assert.Equal(6, starts.Select(s => s.Ticks).Distinct().Count());
    }

    [Fact]
    public void Without_a_spread_or_for_a_single_voter_the_first_timeout_stays_random_within_one_election_timeout()
    {
        Assert.InRange(TicksUntilCampaign(29, 1, ThreeNodes, spread: 0), ElectionTicks, 2 * ElectionTicks - 1);
        Assert.InRange(TicksUntilCampaign(29, 1, new Dictionary<ulong, ulong> { [1] = 1 }, Spread), ElectionTicks, 2 * ElectionTicks - 1);
    }

    private static int TicksUntilCampaign(ulong group, ulong peerId, Dictionary<ulong, ulong> peers, int spread)
    {
        var options = PeerHarness.DefaultOptions(peerId) with { InitialElectionSpreadTicks = spread };
        options = options with { Raft = options.Raft with { RandomSeed = (int)(group * 31 + peerId) } };
        var peer = new RaftPeer<string>(peerId, new CreateGroup(group, peerId, peers, () => new RecordingStateMachine()), options, new RecordingStateMachine());
        peer.RecoveryCompleted(journalEmpty: true);
        for (var tick = 1; tick <= 200; tick++)
        {
            peer.Tick();
            if (peer.Raft!.Role != StateRole.Follower) return tick;
        }
        throw new InvalidOperationException($"replica {peerId} of group {group} never campaigned");
    }
}

/// <summary>A staggered group elects in its first term, driven end to end through its peers.</summary>
public sealed class FirstElectionSpreadHarnessTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public void A_staggered_group_is_led_in_term_one_by_the_replica_its_id_picks(int hibernateAfterTicks)
    {
        var harness = new PeerHarness(3, o => o with { InitialElectionSpreadTicks = 20, HibernateAfterTicks = hibernateAfterTicks }, campaigner: 0);
        for (var tick = 0; tick < 60 && harness.Hosts.Values.All(h => h.Peer.Raft!.Role != StateRole.Leader); tick++) harness.Tick();
        var leader = Assert.Single(harness.Hosts.Values, h => h.Peer.Raft!.Role == StateRole.Leader);
        Assert.Equal(1UL, leader.Peer.Raft!.Term);
        Assert.Equal((ulong)(PeerHarness.Group % 3) + 1, leader.Peer.PeerId);
        harness.Tick(200);
        Assert.All(harness.Hosts.Values, h => Assert.Equal(1UL, h.Peer.Raft!.Term));
    }
}
