using AkkaRaft.Core.Raft;

namespace AkkaRaft.Core.Tests.Raft;

/// <summary>
/// One <see cref="RaftNode"/> driven by hand: the test steps hand-made messages and reads what comes out.
/// Every Ready is persisted to <see cref="Storage"/> before Advance, like a runtime with synchronous writes.
/// </summary>
internal sealed class Replica
{
    public Replica(ulong id, ulong[] voters, Func<RaftConfig, RaftConfig>? configure = null, IEnumerable<Entry>? log = null, HardState? hardState = null, ConfState? membership = null)
    {
        Storage = NewStorage(voters, log, hardState, membership);
        Node = new RaftNode((configure ?? (c => c))(Config(id)), Storage);
    }

    /// <summary>A replica over a prepared storage (snapshots, compaction).</summary>
    public Replica(ulong id, MemoryStorage storage, Func<RaftConfig, RaftConfig>? configure = null)
    {
        Storage = storage;
        Node = new RaftNode((configure ?? (c => c))(Config(id)), Storage);
    }

    /// <summary>Paper defaults: no PreVote, no CheckQuorum (like etcd's raft_paper_test.go).</summary>
    public static RaftConfig Config(ulong id) => new()
    {
        Id = id, ElectionTicks = 10, HeartbeatTicks = 1, PreVote = false, CheckQuorum = false, RandomSeed = (int)id,
    };

    public static MemoryStorage NewStorage(ulong[] voters, IEnumerable<Entry>? log = null, HardState? hardState = null, ConfState? membership = null)
    {
        MemoryStorage storage;
        if (membership is null)
        {
            storage = MemoryStorage.WithVoters(voters);
        }
        else
        {
            storage = new MemoryStorage();
            storage.ApplySnapshot(new Snapshot(new SnapshotMetadata(0, 0, membership), []));
        }
        if (log is not null) storage.Append([.. log]);
        if (hardState is { } hs) storage.SetHardState(hs);
        return storage;
    }

    public RaftNode Node { get; }
    public MemoryStorage Storage { get; }
    public List<Entry> Applied { get; } = [];
    public List<ReadState> ReadStates { get; } = [];
    public List<Ready> Readies { get; } = [];

    public ulong Id => Node.Id;

    /// <summary>Persists and advances every pending Ready; returns every message they carried (send-now first per Ready).</summary>
    public List<Message> Drain()
    {
        var messages = new List<Message>();
        while (Node.HasReady)
        {
            var ready = Node.Ready();
            Persist(ready);
            messages.AddRange(ready.AllMessages);
            Node.Advance(ready);
        }
        return messages;
    }

    /// <summary>Writes a Ready to storage and records what it hands out, without advancing.</summary>
    public void Persist(Ready ready)
    {
        Readies.Add(ready);
        if (ready.Snapshot is { } snapshot) Storage.ApplySnapshot(snapshot);
        Storage.Append(ready.Entries);
        if (ready.HardState is { } hs) Storage.SetHardState(hs);
        Applied.AddRange(ready.CommittedEntries);
        ReadStates.AddRange(ready.ReadStates);
    }

    public StepResult Step(Message m) => Node.Step(m);

    public List<Message> StepAndDrain(Message m)
    {
        Node.Step(m);
        return Drain();
    }

    public void Tick(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++) Node.Tick();
    }

    /// <summary>Campaigns and wins with granted votes from <paramref name="voters"/>; returns the messages sent on winning.</summary>
    public List<Message> BecomeLeader(params ulong[] voters)
    {
        Node.Campaign();
        Drain();
        var term = Node.Term;
        foreach (var v in voters) Node.Step(Msg.VoteResp(v, Id, term));
        return Drain();
    }

    /// <summary>Leader: every peer acknowledges the whole log, so followers move to Replicate and the no-op commits.</summary>
    public List<Message> AckAll(params ulong[] peers)
    {
        var messages = new List<Message>();
        foreach (var p in peers) messages.AddRange(StepAndDrain(Msg.AppendResp(p, Id, Node.Term, Node.LastIndex)));
        return messages;
    }

    public List<Entry> Log() => [.. Node.EntriesBetween(Node.FirstIndex, Node.LastIndex + 1)];
}

/// <summary>Builders for hand-made messages.</summary>
internal static class Msg
{
    public static Entry E(ulong term, ulong index, string data = "") => Entry.Normal(term, index, System.Text.Encoding.UTF8.GetBytes(data));

    /// <summary>Entries 1..n with the given terms.</summary>
    public static List<Entry> Terms(params ulong[] terms) => [.. terms.Select((t, i) => Entry.Normal(t, (ulong)i + 1, [(byte)i]))];

    public static Message Append(ulong from, ulong to, ulong term, ulong index, ulong logTerm, ulong commit, params Entry[] entries) =>
        new() { Type = MessageType.Append, From = from, To = to, Term = term, Index = index, LogTerm = logTerm, Commit = commit, Entries = entries };

    public static Message AppendResp(ulong from, ulong to, ulong term, ulong index, bool reject = false, ulong hint = 0, ulong logTerm = 0) =>
        new() { Type = MessageType.AppendResponse, From = from, To = to, Term = term, Index = index, Reject = reject, RejectHint = hint, LogTerm = logTerm };

    public static Message Vote(ulong from, ulong to, ulong term, ulong lastIndex, ulong lastTerm, MessageType type = MessageType.Vote) =>
        new() { Type = type, From = from, To = to, Term = term, Index = lastIndex, LogTerm = lastTerm };

    public static Message VoteResp(ulong from, ulong to, ulong term, bool reject = false, MessageType type = MessageType.VoteResponse) =>
        new() { Type = type, From = from, To = to, Term = term, Reject = reject };

    public static Message Heartbeat(ulong from, ulong to, ulong term, ulong commit = 0, byte[]? context = null) =>
        new() { Type = MessageType.Heartbeat, From = from, To = to, Term = term, Commit = commit, Context = context ?? [] };

    public static Message HeartbeatResp(ulong from, ulong to, ulong term, byte[]? context = null) =>
        new() { Type = MessageType.HeartbeatResponse, From = from, To = to, Term = term, Context = context ?? [] };

    public static Message Snap(ulong from, ulong to, ulong term, ulong index, ulong snapTerm, ConfState cs) =>
        new() { Type = MessageType.Snapshot, From = from, To = to, Term = term, Snapshot = new Snapshot(new SnapshotMetadata(index, snapTerm, cs), [7]) };

    /// <summary>Entries as comparable values (records compare byte arrays by reference).</summary>
    public static List<(ulong Term, ulong Index, EntryType Type, string Data)> Shape(this IEnumerable<Entry> entries) =>
        [.. entries.Select(e => (e.Term, e.Index, e.Type, Convert.ToHexString(e.Data)))];

    public static byte[] Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static IEnumerable<Message> OfType(this IEnumerable<Message> messages, MessageType type) => messages.Where(m => m.Type == type);
}
