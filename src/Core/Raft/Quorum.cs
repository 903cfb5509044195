namespace AkkaRaft.Core.Raft;

/// <summary>Outcome of counting votes.</summary>
internal enum VoteResult
{
    /// <summary>Not decided yet.</summary>
    Pending,
    /// <summary>A quorum refused.</summary>
    Lost,
    /// <summary>A quorum granted.</summary>
    Won,
}

/// <summary>Quorum arithmetic as plain functions over voter sets (etcd's quorum package).</summary>
internal static class Quorum
{
    /// <summary>Largest index acknowledged by a majority of <paramref name="voters"/>; ulong.MaxValue for an empty set (joint math).</summary>
    public static ulong MajorityCommitted(IReadOnlyCollection<ulong> voters, Func<ulong, ulong?> ackedIndex)
    {
        if (voters.Count == 0) return ulong.MaxValue;
        Span<ulong> acked = voters.Count <= 16 ? stackalloc ulong[voters.Count] : new ulong[voters.Count];
        var i = 0;
        foreach (var id in voters) acked[i++] = ackedIndex(id) ?? 0;
        acked.Sort();
        // Sorted ascending: the element at n - (n/2 + 1) is acknowledged by a majority.
        return acked[voters.Count - (voters.Count / 2 + 1)];
    }

    /// <summary>Committed index of a joint configuration: the minimum of both halves.</summary>
    public static ulong JointCommitted(IReadOnlyCollection<ulong> incoming, IReadOnlyCollection<ulong> outgoing, Func<ulong, ulong?> ackedIndex)
    {
        var a = MajorityCommitted(incoming, ackedIndex);
        var b = MajorityCommitted(outgoing, ackedIndex);
        return Math.Min(a, b);
    }

    /// <summary>Vote outcome in one majority config; an empty config wins (joint math).</summary>
    public static VoteResult MajorityVote(IReadOnlyCollection<ulong> voters, Func<ulong, bool?> vote)
    {
        if (voters.Count == 0) return VoteResult.Won;
        int granted = 0, missing = 0;
        foreach (var id in voters)
        {
            switch (vote(id))
            {
                case true: granted++; break;
                case null: missing++; break;
            }
        }
        var quorum = voters.Count / 2 + 1;
        if (granted >= quorum) return VoteResult.Won;
        if (granted + missing >= quorum) return VoteResult.Pending;
        return VoteResult.Lost;
    }

    /// <summary>Vote outcome in a joint config: both halves must win; either losing loses.</summary>
    public static VoteResult JointVote(IReadOnlyCollection<ulong> incoming, IReadOnlyCollection<ulong> outgoing, Func<ulong, bool?> vote)
    {
        var a = MajorityVote(incoming, vote);
        var b = MajorityVote(outgoing, vote);
        if (a == b) return a;
        if (a == VoteResult.Lost || b == VoteResult.Lost) return VoteResult.Lost;
        return VoteResult.Pending;
    }
}
