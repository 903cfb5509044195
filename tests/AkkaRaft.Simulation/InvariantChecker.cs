using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>
/// Raft's safety properties, checked against the history kept in <see cref="SimulatedGroup"/>. Every method throws
/// <see cref="InvariantViolationException"/> naming the property and the replicas involved.
/// </summary>
internal static partial class InvariantChecker
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
                if (entry.Type == EntryType.ConfChange || entry.Data.Length > 0) group.StateEntries.Add((entry.Index, entry.Term));
            }
        }
    }

    /// <summary>
    /// What a read begun now must reflect: the last command or membership change committed anywhere (a leader that
    /// confirms a read knows every commit made before it), and everything any state machine applied.
    /// </summary>
    public static ulong ReadFloor(SimulatedGroup group)
    {
        for (var index = group.MaxCommitted; index > group.MaxAppliedIndex; index--)
        {
            if (group.Committed.TryGetValue(index, out var committed) && group.StateEntries.Contains((index, committed.Term))) return index;
        }
        return group.MaxAppliedIndex;
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

    /// <summary>
    /// §5.4.3 State Machine Safety: replicas apply the same content at each index, in increasing index order. Returns the
    /// replica's chain after applying. A proposal answered as definitely not applied must never be.
    /// </summary>
    public static ulong CheckApply(SimulatedGroup group, SimulatedReplica replica, ulong previousIndex, ulong previousChain, ulong index, ulong content)
    {
        if (index <= previousIndex)
        {
            throw Violation(group, "apply order", $"{replica} applies {index} after {previousIndex}");
        }
        var chain = Hashing.Chain(previousChain, index, content);
        if (group.ChainAt.TryGetValue(index, out var known))
        {
            if (known != chain) throw Violation(group, "state machine safety", $"{replica} applied a different history up to index {index}");
        }
        else
        {
            group.ChainAt[index] = chain;
            group.ContentAppliedAt[index] = content;
            group.AppliedContents.Add(content);
            group.MaxAppliedIndex = Math.Max(group.MaxAppliedIndex, index);
            if (group.RefusedPayloads.TryGetValue(content, out var refusal))
            {
                throw Violation(group, "refused proposal applied", $"{replica} applies at {index} a proposal answered {refusal}");
            }
        }
        return chain;
    }

    /// <summary>A restored snapshot carries exactly the state the group applied up to its index, and applied never goes back.</summary>
    public static void CheckSnapshotRestore(SimulatedGroup group, SimulatedReplica replica, ulong currentIndex, ulong index, ChainState state)
    {
        if (state.Index != index) throw Violation(group, "snapshot", $"{replica} got a snapshot at {index} holding state of {state.Index}");
        if (index < currentIndex) throw Violation(group, "applied regressed", $"{replica} restores snapshot {index} after applying {currentIndex}");
        if (group.ChainAt.TryGetValue(index, out var known) && known != state.Chain)
        {
            throw Violation(group, "state machine safety", $"{replica} restored a snapshot at {index} with a different history");
        }
        group.ChainAt[index] = state.Chain;
        group.MaxAppliedIndex = Math.Max(group.MaxAppliedIndex, index);
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
}
