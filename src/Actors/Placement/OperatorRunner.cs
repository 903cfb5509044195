using Akka.Actor;
using AkkaRaft.Actors.Regions;

namespace AkkaRaft.Actors.Placement;

/// <summary>Where and how long a runner asks: the store and placement actors of this node, attempt timeout, poll interval, rollback budget.</summary>
internal sealed record OperatorEndpoints(IActorRef Store, IActorRef Placement, TimeSpan AttemptTimeout, TimeSpan PollInterval, TimeSpan RollbackBudget);

/// <summary>
/// Executes a <see cref="MoveOperatorMachine"/> against the stores and placement: each ask with the attempt timeout (a
/// change with twice that), each wait one poll interval on the injected clock. Cancellation hands the machine a cancel
/// (before the promotion it rolls back); a rollback gets <see cref="OperatorEndpoints.RollbackBudget"/> of its own and is
/// abandoned past it. Progress is reported whenever it changes.
/// </summary>
internal static class OperatorRunner
{
    /// <summary>Runs <paramref name="machine"/> to its end; never throws for an expected outcome (a failure or a cancel is an outcome).</summary>
    public static async Task<OperatorOutcome> RunAsync(
        MoveOperatorMachine machine, OperatorEndpoints endpoints, TimeProvider time, Action<OperatorProgress> report, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(report);
        using var rollbackBudget = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        var rollbackStarted = false;
        var cancelled = false;
        OperatorProgress? reported = null;
        var action = machine.Start();
        while (true)
        {
            if (!ReferenceEquals(reported, machine.Progress))
            {
                reported = machine.Progress;
                report(reported);
            }
            if (machine.RollingBack && !rollbackStarted)
            {
                rollbackStarted = true;
                rollbackBudget.CancelAfter(endpoints.RollbackBudget);
            }
            if (!cancelled && cancel.IsCancellationRequested && machine.Outcome is null && !machine.RollingBack)
            {
                cancelled = true;
                action = machine.Cancel("cancelled: no progress within the operator timeout");
                continue;
            }
            if (action is OperatorAction.Finish finish) return finish.Outcome;
            // A rollback runs on its own budget: the cancel that may have started it must not stop it.
            var token = machine.RollingBack ? rollbackBudget.Token : cancel;
            try
            {
                action = await ExecuteAsync(machine, action, endpoints, time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                if (machine.RollingBack) action = machine.Abandon();
                // Otherwise the cancel is handed to the machine at the top of the loop.
            }
        }
    }

    private static async Task<OperatorAction> ExecuteAsync(MoveOperatorMachine machine, OperatorAction action, OperatorEndpoints endpoints, TimeProvider time, CancellationToken token)
    {
        switch (action)
        {
            case OperatorAction.Wait:
                await Task.Delay(endpoints.PollInterval, time, token).ConfigureAwait(false);
                return machine.OnWaited();
            case OperatorAction.AskPlacement ask:
                return await AskAsync(machine, endpoints.Placement, ask.Request, endpoints.AttemptTimeout, token).ConfigureAwait(false);
            case OperatorAction.AskStore ask:
                return await AskAsync(machine, endpoints.Store, ask.Request, ask.Long ? endpoints.AttemptTimeout * 2 : endpoints.AttemptTimeout, token).ConfigureAwait(false);
            default:
                // Invariant: Finish is handled by the caller; every other action is listed above.
                throw new InvalidOperationException($"unknown operator action {action}");
        }
    }

    private static async Task<OperatorAction> AskAsync(MoveOperatorMachine machine, IActorRef target, object request, TimeSpan timeout, CancellationToken token)
    {
        object reply;
        try
        {
            reply = await target.Ask<object>(request, timeout, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // No answer in time, or a failure instead of one: the outcome is unknown either way.
            return machine.OnNoAnswer();
        }
        return reply is Status.Failure ? machine.OnNoAnswer() : machine.OnReply(reply);
    }
}
