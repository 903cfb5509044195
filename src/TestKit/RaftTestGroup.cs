using System.Collections.Concurrent;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.TestKit;

/// <summary>The replica of a group that leads, as its node reports it.</summary>
/// <param name="NodeIndex">Index of the leader's node in the <see cref="LoopbackCluster"/>.</param>
/// <param name="Status">The leader's status when it was found.</param>
public sealed record RaftTestLeader(int NodeIndex, GroupStatus Status);

/// <summary>
/// A group created by <see cref="LoopbackCluster.CreateGroupAsync{TMachine, TCommand, TResult}"/>: its replica on each
/// member node, and the waits a test needs: for a leader, for a leadership transfer, for a proposal to be accepted.
/// </summary>
public sealed class RaftTestGroup<TMachine, TCommand, TResult>
    where TMachine : IRaftStateMachine<TCommand, TResult>
{
    /// <summary>How long the waits of this class last when the caller gives no timeout: generous, for loaded CI machines.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    private readonly LoopbackCluster _cluster;
    private readonly Func<TMachine> _stateMachine;
    private readonly IRaftCodec<TCommand> _codec;
    private readonly ConcurrentDictionary<int, RaftGroup<TMachine, TCommand, TResult>> _replicas = new();
    private readonly ConcurrentDictionary<int, TMachine> _latestMachines = new();

    internal RaftTestGroup(LoopbackCluster cluster, ulong groupId, IReadOnlyList<int> members, Func<TMachine> stateMachine, IRaftCodec<TCommand> codec)
    {
        _cluster = cluster;
        GroupId = groupId;
        Members = members;
        _stateMachine = stateMachine;
        _codec = codec;
    }

    /// <summary>The group's id.</summary>
    public ulong GroupId { get; }

    /// <summary>Indexes of the nodes that host a replica (voters from the start).</summary>
    public IReadOnlyList<int> Members { get; }

    /// <summary>The replica on node <paramref name="index"/> (its current incarnation after a restart).</summary>
    /// <exception cref="ArgumentException">The node hosts no replica of this group.</exception>
    public RaftGroup<TMachine, TCommand, TResult> Replica(int index) =>
        _replicas.TryGetValue(index, out var replica) ? replica : throw new ArgumentException($"node {index} hosts no replica of group {GroupId}", nameof(index));

    /// <summary>
    /// The state machine the replica on node <paramref name="index"/> runs now (for assertions after the cluster is quiet;
    /// it is mutated by the group's actor, so read it through <see cref="RaftGroup{TMachine, TCommand, TResult}.ReadAsync{T}"/> while requests flow).
    /// </summary>
    public TMachine StateMachineOf(int index) =>
        _latestMachines.TryGetValue(index, out var machine) ? machine : throw new ArgumentException($"node {index} hosts no replica of group {GroupId}", nameof(index));

    internal async Task CreateReplicaAsync(int index, CancellationToken cancellationToken)
    {
        var peers = Members.ToDictionary(LoopbackCluster.NodeIdOf, LoopbackCluster.NodeIdOf);
        var replica = await _cluster.RaftNode(index).CreateGroupAsync<TMachine, TCommand, TResult>(
            GroupId, LoopbackCluster.NodeIdOf(index), peers, () => _latestMachines[index] = _stateMachine(), _codec, cancellationToken).ConfigureAwait(false);
        _replicas[index] = replica;
    }

    /// <summary>
    /// Waits until a running node of <paramref name="among"/> (default: all members) reports that it leads the group in a
    /// term above <paramref name="aboveTerm"/>. Pass the majority side during a partition: a cut-off leader may still
    /// believe it leads until its check-quorum timeout.
    /// </summary>
    /// <exception cref="TimeoutException">No such leader within <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).</exception>
    public Task<RaftTestLeader> WaitForLeaderAsync(IReadOnlyCollection<int>? among = null, ulong aboveTerm = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitFor.ValueAsync(ct => FindLeaderAsync(among, aboveTerm, ct), timeout ?? DefaultTimeout,
            $"group {GroupId}: a leader among nodes [{string.Join(", ", among ?? Members)}] above term {aboveTerm}", cancellationToken);

    /// <summary>
    /// Moves leadership to the replica on node <paramref name="toNode"/> and waits until it leads: asks the current leader
    /// to transfer, again every second while the transfer has not happened (a transfer can be refused or lost).
    /// </summary>
    /// <exception cref="TimeoutException">The node did not become leader within <paramref name="timeout"/>.</exception>
    public async Task<RaftTestLeader> TransferLeadershipAsync(int toNode, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Replica(toNode);
        var limit = timeout ?? DefaultTimeout;
        var lastAsk = DateTime.MinValue;
        return await WaitFor.ValueAsync(async ct =>
        {
            var leader = await FindLeaderAsync(null, 0, ct).ConfigureAwait(false);
            if (leader is null) return null;
            if (leader.NodeIndex == toNode) return leader;
            if (DateTime.UtcNow - lastAsk >= TimeSpan.FromSeconds(1))
            {
                lastAsk = DateTime.UtcNow;
                await Replica(leader.NodeIndex).TransferLeadershipAsync(LoopbackCluster.NodeIdOf(toNode), ct).ConfigureAwait(false);
            }
            return null;
        }, limit, $"group {GroupId}: leadership moved to node {toNode}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Proposes <paramref name="command"/> through the current leader among <paramref name="among"/>, retrying only answers
    /// that certainly did not apply it (no leader yet, NotLeader, Busy, Dropped, Refused) until <paramref name="timeout"/>.
    /// Returns the first success, an <see cref="RaftFailure.OutcomeUnknown"/> (never retried: it may have been applied), or
    /// the last failure when time ran out.
    /// </summary>
    public async Task<RaftResult<TResult>> ProposeAsync(TCommand command, IReadOnlyCollection<int>? among = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = DateTime.UtcNow;
        RaftResult<TResult> last = RaftResult<TResult>.Fail(RaftFailure.NotLeader, 0, $"no leader among nodes [{string.Join(", ", among ?? Members)}] yet");
        while (DateTime.UtcNow - started < limit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var leader = await FindLeaderAsync(among, 0, cancellationToken).ConfigureAwait(false);
            if (leader is not null)
            {
                last = await Replica(leader.NodeIndex).ProposeAsync(command, cancellationToken).ConfigureAwait(false);
                if (last.Succeeded || last.Failure == RaftFailure.OutcomeUnknown) return last;
            }
            await Task.Delay(WaitFor.PollInterval, cancellationToken).ConfigureAwait(false);
        }
        return last;
    }

    /// <summary>Linearizable read through the current leader among <paramref name="among"/>, retried until it succeeds or <paramref name="timeout"/> passes.</summary>
    /// <exception cref="TimeoutException">No read succeeded in time.</exception>
    public async Task<T> ReadAsync<T>(Func<TMachine, T> query, IReadOnlyCollection<int>? among = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var box = await WaitFor.ValueAsync(async ct =>
        {
            var leader = await FindLeaderAsync(among, 0, ct).ConfigureAwait(false);
            if (leader is null) return null;
            var read = await Replica(leader.NodeIndex).ReadAsync(query, ct).ConfigureAwait(false);
            return read.Succeeded ? new Box<T>(read.Value) : null;
        }, timeout ?? DefaultTimeout, $"group {GroupId}: a linearizable read", cancellationToken).ConfigureAwait(false);
        return box.Value;
    }

    private async Task<RaftTestLeader?> FindLeaderAsync(IReadOnlyCollection<int>? among, ulong aboveTerm, CancellationToken cancellationToken)
    {
        RaftTestLeader? best = null;
        foreach (var index in Members.Where(i => (among is null || among.Contains(i)) && _cluster.IsRunning(i) && _replicas.ContainsKey(i)))
        {
            RaftResult<GroupStatus> status;
            // A status is a local question; a node that does not answer in 2 s (stopping, overloaded) is skipped this round.
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(StatusTimeout);
                try
                {
                    status = await Replica(index).StatusAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue;
                }
                catch (Exception) when (!_cluster.IsRunning(index))
                {
                    continue; // crashed while we asked
                }
            }
            // Two replicas may both believe they lead for a moment (an old leader cut off); the higher term is the real one.
            if (status is { Succeeded: true, Value: { Role: StateRole.Leader } leading } && leading.Term > aboveTerm && (best is null || leading.Term > best.Status.Term))
                best = new RaftTestLeader(index, leading);
        }
        return best;
    }

    private sealed class Box<T>(T value)
    {
        public T Value { get; } = value;
    }
}
