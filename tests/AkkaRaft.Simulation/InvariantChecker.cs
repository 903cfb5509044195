using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// Raft's safety properties, checked against the history kept in <see cref="SimulatedGroup"/>. Every method throws
/// <see cref="InvariantViolationException"/> naming the property and the replicas involved.
/// </summary>
internal static class InvariantChecker
{
    private static InvariantViolationException Violation(SimulatedGroup group, string property, string detail) =>
        new($"[group {group.Id}] {property}: {detail}");

    /// <summary>Everything that can be checked on the replicas' current state; run after every step.</summary>
    public static void CheckState(SimulatedGroup group)
    {
        foreach (var replica in group.Live)
        {
            var node = replica.Raft!;
            CheckElectionSafety(group, replica, node);
            CheckLearnerNeverLeads(group, replica, node);
            CheckCommitNeverRegresses(group, replica, node);
            CheckLogMatching(group, replica, node);
            RecordCommitted(group, replica, node);
        }
        foreach (var replica in group.Live)
        {
            if (replica.Raft!.Role == StateRole.Leader) CheckLeaderCompleteness(group, replica, replica.Raft);
        }
    }

    /// <summary>§5.2 Election Safety: at most one leader per term.</summary>
    private static void CheckElectionSafety(SimulatedGroup group, SimulatedReplica replica, RaftNode node)
    {
        if (node.Role != StateRole.Leader) return;
        if (group.LeaderOfTerm.TryGetValue(node.Term, out var leader) && leader != replica.Id)
        {
            throw Violation(group, "election safety", $"replicas {leader} and {replica.Id} both lead term {node.Term}");
        }
        group.LeaderOfTerm[node.Term] = replica.Id;
    }

    /// <summary>Learners never vote for themselves nor lead.</summary>
    private static void CheckLearnerNeverLeads(SimulatedGroup group, SimulatedReplica replica, RaftNode node)
    {
        if (node.IsLearner && node.Role is StateRole.Candidate or StateRole.Leader)
        {
            throw Violation(group, "learner role", $"{replica} is a learner ({node.ConfState}) but is {node.Role} in term {node.Term}");
        }
    }

    private static void CheckCommitNeverRegresses(SimulatedGroup group, SimulatedReplica replica, RaftNode node)
    {
        if (node.Committed < replica.CommittedSeen)
        {
            throw Violation(group, "commit regressed", $"{replica} committed {node.Committed} after {replica.CommittedSeen}");
        }
        replica.CommittedSeen = node.Committed;
    }

    /// <summary>§5.3 Log Matching (structure): an (index, term) pair always follows the same term; contents are checked as entries are written.</summary>
    private static void CheckLogMatching(SimulatedGroup group, SimulatedReplica replica, RaftNode node)
    {
        var first = node.FirstIndex;
        var last = node.LastIndex;
        var previous = node.TermAt(first - 1);
        for (var index = first; index <= last; index++)
        {
            var term = node.TermAt(index) ?? throw Violation(group, "log", $"{replica} has no term at {index} inside [{first}, {last}]");
            if (previous is { } p)
            {
                if (group.PreviousTermAt.TryGetValue((index, term), out var known))
                {
                    if (known != p)
                    {
                        throw Violation(group, "log matching",
                            $"{replica} has entry ({index}, term {term}) after term {p}, another replica had it after term {known}");
                    }
                }
                else
                {
                    group.PreviousTermAt[(index, term)] = p;
                }
            }
            previous = term;
        }
    }

    /// <summary>Entries written to a log (from a Ready): equal (index, term) means equal content.</summary>
    public static void CheckEntriesWritten(SimulatedGroup group, SimulatedReplica replica, IReadOnlyList<Entry> entries)
    {
        foreach (var entry in entries)
        {
            var hash = Hashing.Of(entry);
            if (group.ContentAt.TryGetValue((entry.Index, entry.Term), out var known))
            {
                if (known != hash) throw Violation(group, "log matching", $"{replica} wrote a different entry at ({entry.Index}, term {entry.Term})");
            }
            else
            {
                group.ContentAt[(entry.Index, entry.Term)] = hash;
            }
        }
    }

    private static void RecordCommitted(SimulatedGroup group, SimulatedReplica replica, RaftNode node)
    {
        var low = Math.Max(node.FirstIndex, 1);
        for (var index = node.Committed; index >= low; index--)
        {
            var term = node.TermAt(index)!.Value;
            if (group.Committed.TryGetValue(index, out var known))
            {
                if (known.Term != term)
                {
                    throw Violation(group, "committed entry changed", $"{replica} has term {term} at committed index {index}, committed earlier with term {known.Term}");
                }
                // Below a known commit the log is identical (log matching is checked separately): nothing new to record.
                break;
            }
            // The replica learned this commit in a term no later than its current one.
            group.Committed[index] = (term, node.Term);
        }
        group.MaxCommitted = Math.Max(group.MaxCommitted, node.Committed);
    }

    /// <summary>§5.4 Leader Completeness: a leader of a term later than a commit has the committed entry.</summary>
    private static void CheckLeaderCompleteness(SimulatedGroup group, SimulatedReplica replica, RaftNode leader)
    {
        for (var index = Math.Max(leader.FirstIndex, 1); index <= group.MaxCommitted; index++)
        {
            if (!group.Committed.TryGetValue(index, out var committed) || committed.CommitTermBound >= leader.Term) continue;
            var term = leader.TermAt(index);
            if (term is null) continue;
            if (term != committed.Term)
            {
                throw Violation(group, "leader completeness",
                    $"leader {replica} of term {leader.Term} has term {term} at index {index}, committed with term {committed.Term} by term {committed.CommitTermBound}");
            }
        }
    }

    /// <summary>§5.4.3 State Machine Safety: replicas apply the same entry at each index, in order.</summary>
    public static void CheckApply(SimulatedGroup group, SimulatedReplica replica, Entry entry)
    {
        if (entry.Index != replica.AppliedIndex + 1)
        {
            throw Violation(group, "apply order", $"{replica} applies {entry.Index} after {replica.AppliedIndex}");
        }
        var chain = Hashing.Chain(replica.AppliedChain, entry);
        if (group.ChainAt.TryGetValue(entry.Index, out var known))
        {
            if (known != chain) throw Violation(group, "state machine safety", $"{replica} applied a different history up to index {entry.Index} (term {entry.Term})");
        }
        else
        {
            group.ChainAt[entry.Index] = chain;
        }
        replica.AppliedChain = chain;
        replica.AppliedIndex = entry.Index;
    }

    /// <summary>A restored snapshot carries exactly the state the group applied up to its index.</summary>
    public static void CheckSnapshotRestore(SimulatedGroup group, SimulatedReplica replica, Snapshot snapshot)
    {
        var (index, chain) = SimulatedReplica.DecodeState(snapshot.Data);
        if (index != snapshot.Metadata.Index) throw Violation(group, "snapshot", $"{replica} got a snapshot at {snapshot.Metadata.Index} holding state of {index}");
        if (index < replica.AppliedIndex) throw Violation(group, "applied regressed", $"{replica} restores snapshot {index} after applying {replica.AppliedIndex}");
        if (group.ChainAt.TryGetValue(index, out var known) && known != chain)
        {
            throw Violation(group, "state machine safety", $"{replica} restored a snapshot at {index} with a different history");
        }
        group.ChainAt[index] = chain;
    }

    /// <summary>Durable term never goes back, durable commit never goes back, a durable vote is never changed within a term.</summary>
    public static void CheckDurableHardState(SimulatedGroup group, SimulatedReplica replica, HardState previous, HardState next)
    {
        if (next.Term < previous.Term || next.Commit < previous.Commit)
        {
            throw Violation(group, "durable state regressed", $"{replica} persists {next} over {previous}");
        }
        if (next.Term == previous.Term && previous.Vote != 0 && next.Vote != previous.Vote)
        {
            throw Violation(group, "double vote", $"{replica} changes its durable vote in term {next.Term} from {previous.Vote} to {next.Vote}");
        }
    }

    /// <summary>Linearizable reads: a read index covers every entry committed before the read was requested.</summary>
    public static void CheckReadState(SimulatedGroup group, SimulatedReplica replica, ReadState state)
    {
        if (state.Context.Length != 8) return;
        var key = BitConverter.ToUInt64(state.Context);
        if (!group.ReadFloor.Remove(key, out var floor)) return; // duplicate answer, already checked
        if (state.Index < floor)
        {
            throw Violation(group, "linearizable read", $"{replica} got read index {state.Index} for read {key}, but {floor} was committed before the read was requested");
        }
    }
}
