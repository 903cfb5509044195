namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// The typed answer of a proposal, read or status request: a value, or a <see cref="RaftFailure"/> the caller can act on
/// (retry at <see cref="LeaderHint"/>, back off, or read before retrying when the outcome is unknown).
/// </summary>
public sealed record RaftResult<T>
{
    private readonly T _value;

    private RaftResult(T value, ulong index, RaftFailure? failure, ulong leaderHint, string detail)
    {
        _value = value;
        Index = index;
        Failure = failure;
        LeaderHint = leaderHint;
        Detail = detail;
    }

    /// <summary>A success carrying <paramref name="value"/>; <paramref name="index"/> is the Raft index a proposal was applied at (0 otherwise).</summary>
    public static RaftResult<T> Success(T value, ulong index = 0) => new(value, index, null, 0, "");

    /// <summary>A failure of kind <paramref name="failure"/>.</summary>
    public static RaftResult<T> Fail(RaftFailure failure, ulong leaderHint, string detail) => new(default!, 0, failure, leaderHint, detail ?? "");

    /// <summary>True when the request succeeded and <see cref="Value"/> holds its answer.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>The answer; throws <see cref="RaftRequestException"/> when the request failed.</summary>
    public T Value => Succeeded ? _value : throw new RaftRequestException(Failure!.Value, LeaderHint, Detail);

    /// <summary>Raft index at which a proposal was applied; 0 for reads, status and failures.</summary>
    public ulong Index { get; }

    /// <summary>Why the request failed; null on success.</summary>
    public RaftFailure? Failure { get; }

    /// <summary>On <see cref="RaftFailure.NotLeader"/>: the peer id this replica believes leads (0: unknown).</summary>
    public ulong LeaderHint { get; }

    /// <summary>Human-readable detail of a failure (empty on success).</summary>
    public string Detail { get; }

    /// <summary>The same failure as a result of another type (for a failure only).</summary>
    internal RaftResult<TOther> As<TOther>() =>
        Failure is { } failure ? RaftResult<TOther>.Fail(failure, LeaderHint, Detail) : throw new InvalidOperationException("a success cannot change its type");

    /// <inheritdoc />
    public override string ToString() => Succeeded ? $"Success({_value}, index {Index})" : $"{Failure}({Detail}, leader hint {LeaderHint})";
}

/// <summary>Thrown by <see cref="RaftResult{T}.Value"/> of a failed request.</summary>
public sealed class RaftRequestException : Exception
{
    /// <summary>Creates the exception for a failure of kind <paramref name="failure"/>.</summary>
    public RaftRequestException(RaftFailure failure, ulong leaderHint, string detail)
        : base($"{failure}: {detail}")
    {
        Failure = failure;
        LeaderHint = leaderHint;
    }

    /// <summary>Why the request failed.</summary>
    public RaftFailure Failure { get; }

    /// <summary>The peer id believed to lead (0: unknown).</summary>
    public ulong LeaderHint { get; }
}
