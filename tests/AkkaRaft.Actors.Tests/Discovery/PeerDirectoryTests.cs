using Akka.Actor;
using Akka.TestKit;
using AkkaRaft.Actors.Discovery;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Tests.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Discovery;

/// <summary>The directory every per-node service (coordinator, store, placement, scheduler) finds its peers with.</summary>
public sealed class PeerDirectoryTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const string Service = "peer-directory-test";

    /// <summary>A service of node 1 that routes what its directory handles to it, as the four services do.</summary>
    private sealed class ServiceOfNodeOne : ReceiveActor
    {
        public ServiceOfNodeOne(TimeProvider? clock = null)
        {
            Peers = new PeerDirectory(Context, 1, Service, id => new StoreHello(id), clock: clock);
            Receive<object>(Peers.Handles, m => Peers.Handle(m, Sender));
        }

        public PeerDirectory Peers { get; }
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(to.Forward);
    }

    private static readonly Address NodeTwo = new("akka.tcp", "akkaraft", "127.0.0.1", 2552);

    private readonly ManualClock _clock = new();

    private (IActorRef Service, PeerDirectory Peers) Start()
    {
        var clock = _clock;
        var service = ActorOfAsTestActorRef<ServiceOfNodeOne>(Props.Create(() => new ServiceOfNodeOne(clock)));
        return (service, service.UnderlyingActor.Peers);
    }

    private static IActorRef ServiceAt(Address address, long incarnation = 1) =>
        new RemoteLookingRef((new RootActorPath(address) / "system" / Service).WithUid(incarnation));

    /// <summary>An actor ref with a remote-looking path; nothing is ever sent to it.</summary>
    private sealed class RemoteLookingRef(ActorPath path) : MinimalActorRef
    {
        public override ActorPath Path { get; } = path;

        public override IActorRefProvider Provider => throw new NotSupportedException();
    }

    [Fact]
    public void A_node_whose_association_closed_is_unreachable_until_heard_from_again()
    {
        var (service, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo));

        service.Tell(new Akka.Remote.DisassociatedEvent(new Address("akka.tcp", "akkaraft", "127.0.0.1", 2551), NodeTwo, inbound: false));
        Assert.True(peers.IsUnreachable(2));
        Assert.Null(peers.FindReachable(2));

        peers.Heard(NodeTwo);
        Assert.False(peers.IsUnreachable(2));
    }

    [Fact]
    public void A_lost_mark_never_outlasts_its_time_so_a_false_alarm_heals_by_itself()
    {
        var (_, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo));
        peers.MarkLost(NodeTwo);

        _clock.Advance(PeerDirectory.LostFor - TimeSpan.FromMilliseconds(1));
        Assert.True(peers.IsUnreachable(2));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(peers.IsUnreachable(2));
    }

    [Fact]
    public void A_restarted_node_introducing_itself_is_reachable_although_the_cluster_gave_up_on_its_old_incarnation()
    {
        var (_, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo, incarnation: 1));
        peers.SetReachable(NodeTwo, false);
        peers.MarkLost(NodeTwo);
        Assert.True(peers.IsUnreachable(2));

        Assert.True(peers.Register(2, ServiceAt(NodeTwo, incarnation: 2)));

        Assert.False(peers.IsUnreachable(2));
    }

    [Fact]
    public void The_clusters_verdict_on_a_node_stands_while_nothing_comes_from_it()
    {
        var (_, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo));
        peers.SetReachable(NodeTwo, false);

        _clock.Advance(PeerDirectory.LostFor * 2);

        Assert.True(peers.IsUnreachable(2));
        Assert.Equal([2UL], peers.UnreachableNodes());
    }

    [Fact]
    public void A_restarted_node_the_cluster_marks_unreachable_after_it_introduced_itself_is_reachable_once_heard_from()
    {
        // Kill -9 and restart at the same address: the new incarnation says hello within seconds, and only then does the
        // cluster's failure detector give up on the old one, by address.
        var (_, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo, incarnation: 1));
        peers.MarkLost(NodeTwo);
        peers.Register(2, ServiceAt(NodeTwo, incarnation: 2));
        peers.SetReachable(NodeTwo, false);
        Assert.True(peers.IsUnreachable(2));

        peers.Heard(NodeTwo); // its next clock probe

        Assert.False(peers.IsUnreachable(2));
    }

    [Fact]
    public void A_member_coming_up_clears_a_verdict_at_its_address()
    {
        var (_, peers) = Start();
        peers.Register(2, ServiceAt(NodeTwo));
        peers.SetReachable(NodeTwo, false);
        peers.MarkLost(NodeTwo);

        peers.MemberUp(NodeTwo);

        Assert.False(peers.IsUnreachable(2));
    }

    [Fact]
    public void A_new_association_gets_a_hello_so_a_restarted_node_is_introduced_before_the_cluster_lets_it_in()
    {
        var (service, _) = Start();
        var catcher = CreateTestProbe();
        ((ExtendedActorSystem)Sys).SystemActorOf(Props.Create(() => new Forwarder(catcher.Ref)), Service);
        var self = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

        service.Tell(new Akka.Remote.AssociatedEvent(self, self, inbound: true));

        catcher.ExpectMsg(new StoreHello(1));
    }

    [Fact]
    public void A_hello_from_another_node_registers_its_service_and_is_answered_once()
    {
        var (service, peers) = Start();
        var nodeTwo = CreateTestProbe();

        service.Tell(new StoreHello(2), nodeTwo.Ref);
        nodeTwo.ExpectMsg(new StoreHello(1));
        service.Tell(new StoreHello(2), nodeTwo.Ref);
        nodeTwo.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(nodeTwo.Ref, peers.Find(2));
        Assert.Null(peers.Find(3));
    }

    [Fact]
    public void A_service_that_moved_is_registered_again_and_its_own_hello_is_ignored()
    {
        var (service, peers) = Start();
        var before = CreateTestProbe();
        var after = CreateTestProbe();

        service.Tell(new StoreHello(2), before.Ref);
        service.Tell(new StoreHello(2), after.Ref);
        service.Tell(new StoreHello(1), after.Ref);

        before.ExpectMsg(new StoreHello(1));
        after.ExpectMsg(new StoreHello(1));
        after.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(after.Ref, peers.Find(2));
        Assert.Null(peers.Find(1));
    }

    [Fact]
    public void An_unreachable_or_removed_member_is_skipped_until_reachable_again_or_up_anew()
    {
        var (_, peers) = Start();
        var nodeTwo = CreateTestProbe();
        var catcher = CreateTestProbe();
        ((ExtendedActorSystem)Sys).SystemActorOf(Props.Create(() => new Forwarder(catcher.Ref)), Service);
        peers.Register(2, nodeTwo.Ref);
        var address = nodeTwo.Ref.Path.Address;

        peers.SetReachable(address, false);
        Assert.True(peers.IsUnreachable(2));
        Assert.Null(peers.FindReachable(2));
        Assert.Equal(nodeTwo.Ref, peers.Find(2));
        Assert.Equal([2UL], peers.UnreachableNodes());

        peers.SetReachable(address, true);
        Assert.Equal(nodeTwo.Ref, peers.FindReachable(2));

        // A member removed (downed) stays out of reach; one that comes up (again) at its address is reachable and gets a
        // hello at /system/{service}.
        peers.MemberRemoved(address);
        Assert.Null(peers.FindReachable(2));
        peers.MemberUp(address);
        Assert.False(peers.IsUnreachable(2));
        catcher.ExpectMsg(new StoreHello(1));
    }

    [Fact]
    public void Only_cluster_events_and_its_own_services_hello_are_handled()
    {
        var (_, peers) = Start();

        Assert.True(peers.Handles(new StoreHello(3)));
        Assert.True(peers.Handles(new Akka.Cluster.ClusterEvent.CurrentClusterState()));
        Assert.True(peers.Handles(new Akka.Remote.DisassociatedEvent(NodeTwo, NodeTwo, inbound: true)));
        Assert.False(peers.Handles(new PlacementHello(3)));
        Assert.False(peers.Handles(new SchedulerHello(3)));
        Assert.False(peers.Handles("anything else"));
        Assert.Throws<InvalidOperationException>(() => peers.Handle(new PlacementHello(3), ActorRefs.Nobody));
    }
}
