using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>
/// This node's replica of one group with a typed state machine: propose <typeparamref name="TCommand"/>s, get
/// <typeparamref name="TResult"/>s back, read the state machine linearizably. Every call answers a <see cref="RaftResult{T}"/>
/// within the node's request deadline; proposals and reads succeed only on the leader's node (else
/// <see cref="RaftFailure.NotLeader"/> with a hint).
/// </summary>
public sealed class RaftGroup<TMachine, TCommand, TResult>
    where TMachine : IRaftStateMachine<TCommand, TResult>
{
    private readonly IRaftCodec<TCommand> _codec;

    internal RaftGroup(RaftNodeHandle node, ulong groupId, ulong peerId, IRaftCodec<TCommand> codec)
    {
        Node = node;
        GroupId = groupId;
        PeerId = peerId;
        _codec = codec;
    }

    /// <summary>The node hosting this replica.</summary>
    public RaftNodeHandle Node { get; }

    /// <summary>The group's id.</summary>
    public ulong GroupId { get; }

    /// <summary>This replica's peer id in the group.</summary>
    public ulong PeerId { get; }

    /// <summary>
    /// Proposes <paramref name="command"/>: its result once committed and applied. Cancelling after the proposal reached the
    /// group does not withdraw it (it may still be applied), like <see cref="RaftFailure.OutcomeUnknown"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The codec encodes the command to no bytes (Raft keeps empty entries for itself).</exception>
    public async Task<RaftResult<TResult>> ProposeAsync(TCommand command, CancellationToken cancellationToken = default)
    {
        var data = _codec.Encode(command);
        if (data is null || data.Length == 0)
            throw new ArgumentException($"the codec encoded {command} to no bytes; Raft reserves empty entries for its own no-ops", nameof(command));
        var result = await Node.ProposeAsync(GroupId, data, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            { Succeeded: false } => result.As<TResult>(),
            { Value: UndecodableCommand undecodable } => RaftResult<TResult>.Fail(RaftFailure.Refused, 0, $"applied at {result.Index} as a no-op: {undecodable.Reason}"),
            _ => RaftResult<TResult>.Success((TResult)result.Value!, result.Index),
        };
    }

    /// <summary>
    /// Linearizable read: <paramref name="query"/> runs on the group's actor against the state machine once everything
    /// committed before the read is applied. Keep it short and return a copy, not live state.
    /// </summary>
    public Task<RaftResult<T>> ReadAsync<T>(Func<TMachine, T> query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Node.ReadAsync(GroupId, sm => query(((TypedStateMachine<TMachine, TCommand, TResult>)sm).Machine), cancellationToken);
    }

    /// <summary>This replica's Raft status.</summary>
    public Task<RaftResult<GroupStatus>> StatusAsync(CancellationToken cancellationToken = default) => Node.StatusAsync(GroupId, cancellationToken);

    /// <summary>On the leader: hands leadership to <paramref name="transfereePeer"/> (it becomes leader shortly after, if it is up to date).</summary>
    public Task<RaftResult<ulong>> TransferLeadershipAsync(ulong transfereePeer, CancellationToken cancellationToken = default) =>
        Node.TransferLeadershipAsync(GroupId, transfereePeer, cancellationToken);
}
