using AkkaRaft.Actors.Runtime;

namespace AkkaRaft.Simulation;

internal static partial class InvariantChecker
{
    /// <summary>
    /// Client-visible properties of one answer: every request is answered at most once and by the incarnation asked; a
    /// success only for the proposal's own entry, applied; a definite failure only for a proposal never applied; a read
    /// reflects everything applied anywhere before it began; a destroy succeeds only with a durable tombstone.
    /// </summary>
    public static void CheckAnswer(SimulatedGroup group, SimulatedReplica replica, ClientRequest request, object answer)
    {
        if (request.Answer is not null)
        {
            throw Violation(group, "answered twice", $"{request} answered {answer} after {request.Answer}");
        }
        request.Answer = answer;
        if (request.Replica != replica || request.Incarnation != replica.Incarnation)
        {
            throw Violation(group, "wrong responder", $"{request} answered by {replica}#{replica.Incarnation}");
        }
        switch (request.Kind, answer)
        {
            case (RequestKind.Propose or RequestKind.LivenessProbe, ProposeSucceeded success):
                if (!group.ContentAppliedAt.TryGetValue(success.Index, out var content) || content != request.PayloadHash)
                {
                    throw Violation(group, "success for another entry", $"{request} answered success at {success.Index}, where its command was not applied");
                }
                if (success.Result is not AppliedCommand applied || applied.Index != success.Index)
                {
                    throw Violation(group, "success without apply", $"{request} answered success at {success.Index} with result {success.Result}");
                }
                break;
            case (RequestKind.Propose or RequestKind.LivenessProbe, ProposeFailed { Failure: not (RaftFailure.Timeout or RaftFailure.OutcomeUnknown) } failed):
                // Anything but an unknown outcome says the command was not and will not be applied.
                if (group.AppliedContents.Contains(request.PayloadHash))
                {
                    throw Violation(group, "refused proposal applied", $"{request} answered {failed.Failure} ({failed.Detail}) but its command was applied");
                }
                group.RefusedPayloads[request.PayloadHash] = $"{failed.Failure} ({failed.Detail})";
                break;
            case (RequestKind.Read, ReadSucceeded { Value: ChainState state }):
                if (state.Index < request.ReadFloor)
                {
                    throw Violation(group, "linearizable read", $"{request} read the state at {state.Index}, but {request.ReadFloor} was committed before the read began");
                }
                if (state.Index > 0 && (!group.ChainAt.TryGetValue(state.Index, out var chain) || chain != state.Chain))
                {
                    throw Violation(group, "read of a state that never was", $"{request} read chain {state.Chain:x} at {state.Index}");
                }
                break;
            case (RequestKind.Read, ReadSucceeded read):
                throw Violation(group, "read result", $"{request} answered {read.Value}");
            case (RequestKind.Destroy, GroupDestroyed { Destroyed: true }) when !replica.Journal.HasDurableTombstone:
                throw Violation(group, "destroyed without tombstone", $"{request} answered destroyed before the tombstone was durable");
        }
    }

    /// <summary>A request waits at most its deadline in the ticks its replica is awake (answered Timeout then).</summary>
    public static void CheckAnswerDeadline(SimulatedGroup group, ClientRequest request, int deadlineTicks)
    {
        if (request.Answer is not null || request.Lost || request.Kind is RequestKind.Destroy) return;
        if (request.Replica.AwakeTicks - request.IssuedAtTick > deadlineTicks)
        {
            throw Violation(group, "request never answered", $"{request} is unanswered after {request.Replica.AwakeTicks - request.IssuedAtTick} awake ticks");
        }
    }
}
