using Akka.Actor;
using AkkaRaft.Actors.Runtime;

namespace ReplicatedCounter;

/// <summary>
/// The counters as this node sees them. Increments and reads go to the local replica; they succeed when this node leads
/// the group, and answer <see cref="RaftFailure.NotLeader"/> (with the leader's node id as hint) otherwise.
/// </summary>
public sealed class ReplicatedCounterClient
{
    private readonly ReplicatedCounterOptions _options;
    private readonly Lazy<Task<RaftGroup<CounterStateMachine, CounterCommand, CounterResult>>> _group;

    /// <summary>A client of the counter group on <paramref name="system"/> (started with AkkaRaft by <see cref="CounterHosting.AddReplicatedCounter"/>).</summary>
    public ReplicatedCounterClient(ActorSystem system, ReplicatedCounterOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        // Created on first use: the ActorSystem runs by then. Creating an existing group again is harmless.
        _group = new(() => AkkaRaftExtension.Get(system).StartNode(options.NodeId).CreateGroupAsync<CounterStateMachine, CounterCommand, CounterResult>(
            options.GroupId, options.NodeId, options.ReplicaNodeIds.ToDictionary(id => id, id => id), () => new CounterStateMachine(), CounterCodec.Instance));
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to <paramref name="counter"/>. Waits (up to the options' request timeout) while the
    /// group has no leader yet; any other failure, or NotLeader naming another node, is answered at once.
    /// </summary>
    /// <exception cref="ArgumentException">The counter name is empty or too long.</exception>
    public async Task<RaftResult<CounterResult>> IncrementAsync(string counter, long delta = 1, CancellationToken cancellationToken = default)
    {
        CounterCodec.CheckedName(counter);
        var group = await _group.Value.ConfigureAwait(false);
        return await RetryWhileLeaderlessAsync(() => group.ProposeAsync(new CounterCommand(counter, delta), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value of <paramref name="counter"/>, read linearizably on the leader.</summary>
    public async Task<RaftResult<long>> GetAsync(string counter, CancellationToken cancellationToken = default)
    {
        CounterCodec.CheckedName(counter);
        var group = await _group.Value.ConfigureAwait(false);
        return await RetryWhileLeaderlessAsync(() => group.ReadAsync(machine => machine.ValueOf(counter), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    // Right after start no replica leads (hint 0): wait for the election instead of failing the first request.
    private async Task<RaftResult<T>> RetryWhileLeaderlessAsync<T>(Func<Task<RaftResult<T>>> call, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.RequestTimeout;
        while (true)
        {
            var result = await call().ConfigureAwait(false);
            var leaderless = result.Failure is RaftFailure.NotLeader && (result.LeaderHint == 0 || result.LeaderHint == _options.NodeId);
            if (!leaderless && result.Failure is not (RaftFailure.Busy or RaftFailure.Dropped) || DateTime.UtcNow >= deadline) return result;
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }
}
