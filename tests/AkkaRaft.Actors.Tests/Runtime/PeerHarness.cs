using System.Text;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Runtime.Peer;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>
/// Several <see cref="RaftPeer{TReplyTo}"/> replicas of one group driven by hand, without an ActorSystem: replica i runs
/// on node i (unless added elsewhere), requesters are strings, each replica has an in-memory journal and snapshot store, and messages wait in one
/// queue until the test delivers them (a filter may drop them). Writes complete when settled unless a replica holds them.
/// </summary>
internal sealed class PeerHarness
{
    public const ulong Group = 1;
    private readonly Queue<(ulong FromNode, ulong ToNode, Message Message)> _network = new();
    private readonly Func<PeerOptions, PeerOptions>? _configure;
    private readonly Dictionary<ulong, ulong> _initialPeers;
    // Replicas whose read flush is due, in the order they asked (a list: a replica asks once per batch).
    private readonly List<PeerHost> _flushDue = [];

    public PeerHarness(int voters, Func<PeerOptions, PeerOptions>? configure = null, ulong campaigner = 1)
    {
        _configure = configure;
        _initialPeers = Enumerable.Range(1, voters).ToDictionary(i => (ulong)i, i => (ulong)i);
        foreach (var id in _initialPeers.Keys)
        {
            var spec = new CreateGroup(Group, id, _initialPeers, () => new RecordingStateMachine()) { CampaignOnStart = id == campaigner };
            Hosts[id] = new PeerHost(spec);
            Start(Hosts[id]);
        }
        Settle();
    }

    public SortedDictionary<ulong, PeerHost> Hosts { get; } = [];
    public PeerHost this[ulong id] => Hosts[id];

    /// <summary>Every answer given, in order: (requester, answer).</summary>
    public List<(string Requester, object Answer)> Answers { get; } = [];

    /// <summary>Every message put on the wire, dropped or not.</summary>
    public List<(ulong FromNode, ulong ToNode, Message Message)> Sent { get; } = [];

    /// <summary>Messages for which this answers true are lost.</summary>
    public Func<Message, bool> Drop { get; set; } = _ => false;

    public List<object> AnswersTo(string requester) => Answers.Where(a => a.Requester == requester).Select(a => a.Answer).ToList();

    public static PeerOptions DefaultOptions(ulong peerId) => new()
    {
        Raft = new RaftConfig { Id = peerId, ElectionTicks = 10, HeartbeatTicks = 1, RandomSeed = (int)peerId, MaxSizePerMessage = 4096 },
        HibernateAfterTicks = 0,
        SnapshotEveryEntries = 1000,
        FollowerCatchUpLogBytes = 1 << 20,
        MaxPendingProposals = 100,
        MaxPendingReads = 100,
    };

    /// <summary>
    /// Adds replica <paramref name="id"/> on <paramref name="node"/> (default: node <paramref name="id"/>), not a member
    /// yet: it starts from the initial voters, like every replica, and catches up from the leader's log or snapshot.
    /// </summary>
    public PeerHost AddReplica(ulong id, ulong? node = null)
    {
        var spec = new CreateGroup(Group, id, _initialPeers, () => new RecordingStateMachine());
        Hosts[id] = new PeerHost(spec) { Node = node ?? id };
        Start(Hosts[id]);
        return Hosts[id];
    }

    /// <summary>A crash and restart: everything not durable is lost, the replica recovers from its journal and snapshot.</summary>
    public void Restart(ulong id)
    {
        var host = Hosts[id];
        host.InFlight.Clear();
        // The journal numbers on from its highest durable event.
        host.LastSequenceNr = host.Journal.Select(e => e.SequenceNr).Concat(host.SavedSnapshots.Select(s => s.SequenceNr)).DefaultIfEmpty(0).Max();
        Start(host);
    }

    private void Start(PeerHost host)
    {
        host.Machine = (RecordingStateMachine)host.Spec.StateMachineFactory();
        var options = DefaultOptions(host.Spec.PeerId);
        host.Peer = new RaftPeer<string>(host.Node, host.Spec, _configure?.Invoke(options) ?? options, host.Machine);
        var peer = host.Peer;
        var from = 0L;
        if (host.SavedSnapshots.Count > 0)
        {
            var (sequenceNr, snapshot) = host.SavedSnapshots[^1];
            Execute(host, peer.RecoverSnapshot(snapshot, sequenceNr));
            from = sequenceNr;
        }
        foreach (var (sequenceNr, @event) in host.Journal.Where(e => e.SequenceNr > from))
        {
            Execute(host, @event switch
            {
                RaftLogWritten written => peer.RecoverWrite(written),
                GroupTombstone => peer.RecoverTombstone(),
                _ => throw new InvalidOperationException($"unexpected event {@event}"),
            });
        }
        Execute(host, peer.RecoveryCompleted(journalEmpty: host.LastSequenceNr == 0));
    }

    public void Tick(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var host in Hosts.Values) Execute(host, host.Peer.Tick());
            Settle();
        }
    }

    /// <summary>Completes writes (except held ones) and delivers messages until nothing moves.</summary>
    public void Settle()
    {
        for (var rounds = 0; rounds < 10_000; rounds++)
        {
            var moved = false;
            foreach (var host in Hosts.Values.Where(h => !h.HoldWrites))
            {
                while (host.InFlight.Count > 0)
                {
                    CompleteWrite(host);
                    moved = true;
                }
            }
            if (FlushDueReads()) moved = true;
            if (_network.Count > 0)
            {
                DeliverQueued();
                moved = true;
            }
            if (!moved) return;
        }
        throw new InvalidOperationException("the group does not settle");
    }

    /// <summary>
    /// Runs the read flushes replicas asked for (<see cref="ScheduleReadFlush"/>), as an actor reaches the message it told
    /// itself: every read handed in before this call shares the flush. Returns whether there was one.
    /// </summary>
    public bool FlushDueReads()
    {
        if (_flushDue.Count == 0) return false;
        var due = _flushDue.ToList();
        _flushDue.Clear();
        foreach (var host in due) Execute(host, host.Peer.FlushReads());
        return true;
    }

    /// <summary>Delivers the messages queued now (not those their delivery produces).</summary>
    public void DeliverQueued()
    {
        for (var n = _network.Count; n > 0; n--)
        {
            var (fromNode, toNode, message) = _network.Dequeue();
            if (Drop(message) || !Hosts.TryGetValue(message.To, out var target) || target.Node != toNode) continue;
            Execute(target, target.Peer.Step(fromNode, message));
        }
    }

    /// <summary>Makes the oldest write in flight of <paramref name="host"/> durable.</summary>
    public void CompleteWrite(PeerHost host)
    {
        var (sequenceNr, write) = host.InFlight[0];
        host.InFlight.RemoveAt(0);
        host.Journal.Add((sequenceNr, write.Event));
        Execute(host, host.Peer.Persisted(write.WriteId, sequenceNr));
    }

    public void Propose(ulong id, string command, string requester) =>
        Execute(Hosts[id], Hosts[id].Peer.Propose(Encoding.UTF8.GetBytes(command), requester));

    public void ProposeMembership(ulong id, ConfChange change, IReadOnlyDictionary<ulong, ulong> peerNodes, string requester) =>
        Execute(Hosts[id], Hosts[id].Peer.ProposeMembership(change, peerNodes, requester));

    /// <summary>Reads the commands the leader's state machine applied.</summary>
    public void Read(ulong id, string requester) =>
        Execute(Hosts[id], Hosts[id].Peer.Read(sm => ((RecordingStateMachine)sm).Commands.ToList(), requester));

    public void Destroy(ulong id, bool force, string requester) => Execute(Hosts[id], Hosts[id].Peer.Destroy(force, requester));

    public void SnapshotTransfer(ulong leader, ulong toNode, SnapshotTransferState state) =>
        Execute(Hosts[leader], Hosts[leader].Peer.SnapshotTransferUpdate(toNode, state));

    public void Wake(ulong id) => Execute(Hosts[id], Hosts[id].Peer.Wake());

    /// <summary>Replica <paramref name="id"/>'s host lost node <paramref name="node"/> (its transport closed the association).</summary>
    public void NodeLost(ulong id, ulong node) => Execute(Hosts[id], Hosts[id].Peer.NodeLost(node));

    public void Execute(PeerHost host, IReadOnlyList<PeerEffect> effects)
    {
        foreach (var effect in effects)
        {
            host.Effects.Add(effect);
            switch (effect)
            {
                case PersistEvent write:
                    host.InFlight.Add((++host.LastSequenceNr, write));
                    break;
                case SendRaftMessages send:
                    foreach (var (node, gm) in send.Messages)
                    {
                        Sent.Add((host.Node, node, gm.Message));
                        _network.Enqueue((host.Node, node, gm.Message));
                    }
                    break;
                case ReplyTo<string> reply:
                    Answers.Add((reply.Requester, reply.Answer));
                    break;
                case SaveGroupSnapshot save:
                    host.SavedSnapshots.Add((host.LastSequenceNr, save.Snapshot));
                    Execute(host, host.Peer.SnapshotSaved(host.LastSequenceNr));
                    break;
                case DeleteJournal delete:
                    host.Journal.RemoveAll(e => e.SequenceNr <= delete.ToSequenceNr);
                    Execute(host, host.Peer.JournalDeleted(delete.ToSequenceNr));
                    break;
                case DeleteSavedSnapshots delete:
                    host.SavedSnapshots.RemoveAll(s => s.SequenceNr <= delete.ToSequenceNr);
                    break;
                case ScheduleReadFlush:
                    _flushDue.Add(host);
                    break;
                case ReportHibernation hibernation:
                    host.ReportedAsleep = hibernation.Asleep;
                    break;
                case ReportStarted started:
                    host.ReportedTombstoned = started.Tombstoned;
                    break;
            }
        }
    }
}

/// <summary>One replica in a <see cref="PeerHarness"/>: its peer, state machine, durable journal and writes in flight.</summary>
internal sealed class PeerHost(CreateGroup spec)
{
    public CreateGroup Spec { get; } = spec;
    /// <summary>The node hosting the replica (its peer id unless added elsewhere).</summary>
    public ulong Node { get; init; } = spec.PeerId;
    public RaftPeer<string> Peer { get; set; } = null!;
    public RecordingStateMachine Machine { get; set; } = null!;
    public RaftNode Raft => Peer.Raft ?? throw new InvalidOperationException($"replica {Spec.PeerId} is not running");
    public List<(long SequenceNr, object Event)> Journal { get; } = [];
    public List<(long SequenceNr, RaftGroupSnapshot Snapshot)> SavedSnapshots { get; } = [];
    public List<(long SequenceNr, PersistEvent Write)> InFlight { get; } = [];
    public long LastSequenceNr { get; set; }
    /// <summary>Writes stay in flight until the test completes them.</summary>
    public bool HoldWrites { get; set; }
    public bool ReportedAsleep { get; set; }
    public bool ReportedTombstoned { get; set; }
    /// <summary>Every effect the replica asked for, in order.</summary>
    public List<PeerEffect> Effects { get; } = [];
}
