using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Actors.Placement;

/// <summary>
/// One move operator as a plain state machine (TiKV's operator steps): its runner executes each <see cref="OperatorAction"/>
/// and feeds back the answer (<see cref="OnReply"/>), a lost one (<see cref="OnNoAnswer"/>) or the end of a wait
/// (<see cref="OnWaited"/>); no actor, no clock, no task. A move adds an empty learner on the target store, waits until the
/// leader's snapshot and log bring it within the catch-up distance, moves leadership off the source, promotes the learner
/// and removes the source voter in one joint change, waits until it is left, then has the source replica destroyed. A
/// cleanup removes a learner nobody owns. Every membership step carries the region's epoch: a stale one ends the operator
/// (<see cref="OperatorOutcome.Stale"/>, planned again) and a learner added by a move that fails or is cancelled before
/// its promotion is removed again — only while the leader still shows it as a learner, so a promoted voter is never taken away.
/// </summary>
internal sealed class MoveOperatorMachine
{
    private readonly long _id;
    private readonly PlannedOperator _order;
    private readonly MoveBudgets _budgets;
    private Func<object, OperatorAction>? _onReply;
    private Func<OperatorAction>? _onNoAnswer;
    private Func<OperatorAction>? _onWaited;
    private Region? _region;
    private ulong _learner;
    private ulong _sourcePeer;
    // From the created replica until the promotion, an end removes the learner again (a rollback).
    private bool _replicaAdded;
    // Catch-up polls since the learner last moved; every ReAddLearnerEveryPolls of them its replica is asked for again.
    private int _pollsWithoutProgress;
    private ulong _lastLearnerMatch;
    private long _lastSnapshotSent;
    private bool _promoted;
    private bool _removingSource;
    // The outcome a running rollback ends with.
    private OperatorOutcome? _pending;

    /// <summary>Creates the machine for operator <paramref name="id"/> carrying out <paramref name="order"/>.</summary>
    public MoveOperatorMachine(long id, PlannedOperator order, MoveBudgets budgets)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(budgets);
        _id = id;
        _order = order;
        _budgets = budgets;
        _learner = order.Kind == OperatorKind.Cleanup ? order.LearnerPeer : 0;
        Progress = new OperatorProgress(id, OperatorStep.Planned, "");
    }

    /// <summary>The step reached and what it is doing.</summary>
    public OperatorProgress Progress { get; private set; }

    /// <summary>How the operator ended; null while it runs.</summary>
    public OperatorOutcome? Outcome { get; private set; }

    /// <summary>True while a learner added by a failed or cancelled move is being removed.</summary>
    public bool RollingBack => _pending is not null && Outcome is null;

    /// <summary>The first action.</summary>
    public OperatorAction Start() => Lookup(_order.Kind == OperatorKind.Cleanup ? RemoveOrphanLearner : PlanMove);

    /// <summary>The answer to the last <see cref="OperatorAction.AskPlacement"/> or <see cref="OperatorAction.AskStore"/>.</summary>
    public OperatorAction OnReply(object reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        // Invariant: answers come only to an ask.
        var handler = _onReply ?? throw new InvalidOperationException($"operator {_id}: an answer ({reply.GetType().Name}) while not asking ({Progress.Step})");
        Expect(null, null, null);
        return handler(reply);
    }

    /// <summary>The last ask got no answer in time (its outcome is unknown).</summary>
    public OperatorAction OnNoAnswer()
    {
        // Invariant: only an ask can go unanswered.
        var handler = _onNoAnswer ?? throw new InvalidOperationException($"operator {_id}: no answer while not asking ({Progress.Step})");
        Expect(null, null, null);
        return handler();
    }

    /// <summary>The last <see cref="OperatorAction.Wait"/> is over.</summary>
    public OperatorAction OnWaited()
    {
        // Invariant: only a wait ends.
        var handler = _onWaited ?? throw new InvalidOperationException($"operator {_id}: a wait ended while not waiting ({Progress.Step})");
        Expect(null, null, null);
        return handler();
    }

    /// <summary>
    /// The scheduler gave up on the operator (<paramref name="why"/>). Before the promotion the learner is removed again
    /// (the rollback runs on); after it the move completes on its own and the operator ends.
    /// </summary>
    public OperatorAction Cancel(string why)
    {
        // Invariant: cancelled once, while it runs and is not rolling back.
        if (Outcome is not null || _pending is not null) throw new InvalidOperationException($"operator {_id}: cancelled while {(Outcome is null ? "rolling back" : "finished")}");
        Expect(null, null, null);
        if (_removingSource) return Moved(destroyed: false);
        if (_promoted) return Finish(new OperatorOutcome(OperatorState.Cancelled, $"{why} after the promotion: {_region} leaves the joint configuration on its own"));
        return End(new OperatorOutcome(OperatorState.Cancelled, why));
    }

    /// <summary>The rollback ran out of time: the operator ends, and the learner is left for the scheduler's orphan cleanup.</summary>
    public OperatorAction Abandon()
    {
        // Invariant: only a rollback is abandoned.
        var pending = _pending is not null && Outcome is null ? _pending : throw new InvalidOperationException($"operator {_id}: abandoned while not rolling back");
        return Finish(pending with { Detail = $"{pending.Detail}; learner {_learner} on store {_order.ToStore} left for the scheduler's cleanup" });
    }

    // ---- Move ----

    private OperatorAction PlanMove(Region region)
    {
        _region = region;
        var source = region.Peers.FirstOrDefault(p => p.StoreId == _order.FromStore);
        if (source.PeerId == 0) return Fail($"{region} has no replica on store {_order.FromStore}");
        if (region.Peers.Any(p => p.StoreId == _order.ToStore)) return Fail($"store {_order.ToStore} already holds a replica of {region}");
        if (region.Peers.Any(p => p.Role != PeerRole.Voter)) return Fail($"{region} is changing membership already", stale: true);
        _sourcePeer = source.PeerId;
        return AskPatiently(new OperatorAction.AskPlacement(new PlacementAllocateIds(1)), reply => reply switch
        {
            PlacementIdsReply { Ok: true } ids => AddReplica(ids.First),
            PlacementIdsReply ids => Fail($"no peer id from placement: {ids.Detail}"),
            _ => Unexpected(reply),
        });
    }

    private OperatorAction AddReplica(ulong learner)
    {
        _learner = learner;
        _replicaAdded = true; // from the first ask on: a lost answer may hide a created replica, which an end destroys again
        Report(OperatorStep.AddReplica, $"empty replica {learner} on store {_order.ToStore}");
        var add = new AddRegionReplica(_order.ToStore, RegionDescriptor.From(_region!), learner);
        return AskPatiently(new OperatorAction.AskStore(add), reply => reply switch
        {
            RegionReplicaReply { Ok: true } => AddLearner(),
            RegionReplicaReply failed => Fail($"store {_order.ToStore}: {failed.Detail}"),
            _ => Unexpected(reply),
        });
    }

    private OperatorAction AddLearner()
    {
        Report(OperatorStep.AddLearner, $"peer {_learner} on store {_order.ToStore} joins as a learner");
        return Change(_region!, ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddLearnerNode, _learner)), _order.ToStore, exactConfVersion: false, region =>
        {
            _region = region;
            return CatchUp();
        });
    }

    private OperatorAction CatchUp() => FindLeader(_region!, leader =>
    {
        var match = leader.MatchOf(_learner);
        var (sent, total, to) = (leader.SnapshotAcknowledged, leader.SnapshotTotal, leader.SnapshotToStore);
        var toTarget = to == _order.ToStore && total > 0;
        Report(OperatorStep.CatchUp, $"learner {_learner} at {match} of {leader.LastIndex}{(toTarget ? $", snapshot {sent}/{total} bytes" : "")}",
            match, leader.LastIndex, toTarget ? sent : 0, toTarget ? total : 0);
        if (match > 0 && leader.LastIndex - Math.Min(match, leader.LastIndex) <= (ulong)_budgets.CatchUpDistance) return MoveLeaderOff();
        var snapshotSent = toTarget ? sent : 0;
        var moved = match != _lastLearnerMatch || snapshotSent != _lastSnapshotSent;
        (_lastLearnerMatch, _lastSnapshotSent) = (match, snapshotSent);
        _pollsWithoutProgress = moved ? 0 : _pollsWithoutProgress + 1;
        if (_pollsWithoutProgress % _budgets.ReAddLearnerEveryPolls == 0 && _pollsWithoutProgress > 0) return EnsureLearnerReplica();
        return WaitThen(CatchUp);
    });

    /// <summary>
    /// A target store that restarted before anything of the learner was durable comes back without its replica: the leader's
    /// snapshot then goes nowhere. Asking for the replica again is idempotent (a store that has it says so); any answer, or
    /// none (the store is down), goes back to waiting, and the operator timeout ends a learner that never moves.
    /// </summary>
    private OperatorAction EnsureLearnerReplica()
    {
        var add = new AddRegionReplica(_order.ToStore, RegionDescriptor.From(_region!), _learner);
        return Ask(new OperatorAction.AskStore(add), _ => WaitThen(CatchUp), () => WaitThen(CatchUp));
    }

    private OperatorAction MoveLeaderOff() => FindLeader(_region!, leader =>
    {
        var current = leader.Region?.ToRegion() ?? _region!;
        if (leader.LeaderStore != _order.FromStore)
        {
            _region = current;
            return EnsureTargetAnswers();
        }
        var to = current.Peers.FirstOrDefault(p => p.Role == PeerRole.Voter && p.StoreId != _order.FromStore).StoreId;
        Report(OperatorStep.TransferLeader, $"leader is on store {_order.FromStore}: handing it to store {to}");
        return AskPatiently(new OperatorAction.AskStore(new TransferRegionLeader(_order.FromStore, current.Id, to)), _ => WaitThen(MoveLeaderOff));
    });

    /// <summary>The learner's store must answer right before its promotion: a voter on a store that just died costs quorum margin.</summary>
    private OperatorAction EnsureTargetAnswers() => Ask(new OperatorAction.AskStore(new GetRegionProgress(_order.ToStore, _region!.Id)),
        reply => reply switch
        {
            RegionProgressReply { Hosted: true } => JointChange(),
            RegionProgressReply gone => Fail($"store {_order.ToStore} does not host learner {_learner} any more: {gone.Detail}"),
            _ => Unexpected(reply),
        },
        () => Fail($"store {_order.ToStore} does not answer: learner {_learner} is not promoted"));

    private OperatorAction JointChange()
    {
        Report(OperatorStep.JointChange, $"promote peer {_learner}, remove peer {_sourcePeer}");
        var change = ConfChange.Of(new ConfChangeSingle(ConfChangeType.AddNode, _learner), new ConfChangeSingle(ConfChangeType.RemoveNode, _sourcePeer));
        return Change(_region!, change, _order.ToStore, exactConfVersion: false, region =>
        {
            _region = region;
            _promoted = true; // from here on the move only completes: the new voter's replica must stay
            return LeaveJoint();
        });
    }

    private OperatorAction LeaveJoint() => FindLeader(_region!, leader =>
    {
        var current = leader.Region?.ToRegion() ?? _region!;
        Report(OperatorStep.LeaveJoint, $"{current}");
        if (leader.Joint || current.Peers.Any(p => p.Role != PeerRole.Voter)) return WaitThen(LeaveJoint);
        _region = current;
        _removingSource = true;
        Report(OperatorStep.RemoveSource, $"destroy peer {_sourcePeer} on store {_order.FromStore}");
        return RemoveSource(1);
    });

    /// <summary>
    /// Destroys the moved-away source replica, asking again for a while: its store keeps it until every voter of the new
    /// configuration applied the change without it (its vote may be needed until then). Past that, placement's layout has
    /// the store drop it later.
    /// </summary>
    private OperatorAction RemoveSource(int attempt)
    {
        var destroy = new DestroyRegionReplica(_order.FromStore, _region!.Id, _sourcePeer) { After = RegionDescriptor.From(_region) };
        OperatorAction Again() => attempt >= _budgets.DestroyAttempts ? Moved(destroyed: false) : WaitThen(() => RemoveSource(attempt + 1));
        return Ask(new OperatorAction.AskStore(destroy), reply => reply is RegionReplicaReply { Ok: true } ? Moved(destroyed: true) : Again(), Again);
    }

    private OperatorAction Moved(bool destroyed) => Finish(new OperatorOutcome(OperatorState.Done,
        $"moved {_region} from store {_order.FromStore} to store {_order.ToStore}"
        + (destroyed ? "" : $" (store {_order.FromStore} drops its replica once every voter applied its removal)")));

    // ---- Cleanup and rollback ----

    private OperatorAction RemoveOrphanLearner(Region known)
    {
        _region = known;
        Report(OperatorStep.RemoveLearner, $"peer {_learner} on store {_order.FromStore} belongs to no running operator");
        return RemoveIfLearner(known, _order.FromStore, region =>
            Finish(new OperatorOutcome(OperatorState.Done, $"removed learner {_learner} on store {_order.FromStore} from {region}")));
    }

    private OperatorAction RollBack()
    {
        Report(OperatorStep.RollBack, $"{_pending!.Detail}: removing learner {_learner} on store {_order.ToStore} again");
        return RemoveIfLearner(_region!, _order.ToStore, _ => Finish(_pending!));
    }

    /// <summary>
    /// Removes the learner and destroys its replica only while the leader's region (not placement's, which may lag) shows it
    /// as a learner, with the change stamped with exactly that conf version: a promotion in flight makes the removal stale
    /// instead of taking away a voter. A peer the leader does not know at all only has its replica destroyed.
    /// </summary>
    private OperatorAction RemoveIfLearner(Region known, ulong storeId, Func<Region, OperatorAction> then) => FindLeader(known, leader =>
    {
        if (leader.Region?.ToRegion() is not { } region) return Fail($"the leader of {known} did not report its region", stale: true);
        var peer = region.Peers.FirstOrDefault(p => p.PeerId == _learner);
        if (peer.PeerId == 0) return DestroyQuietly(storeId, region.Id, () => then(region));
        if (peer.StoreId != storeId || peer.Role != PeerRole.Learner)
            return Fail($"peer {_learner} on store {storeId} is no learner of {region} any more: left in place", stale: true);
        return Change(region, ConfChange.Of(new ConfChangeSingle(ConfChangeType.RemoveNode, _learner)), storeId, exactConfVersion: true,
            changed => DestroyQuietly(storeId, changed.Id, () => then(changed)));
    });

    /// <summary>One destroy of the learner's replica; whatever the answer, the operator goes on (placement's layout has the store drop it later).</summary>
    private OperatorAction DestroyQuietly(ulong storeId, ulong regionId, Func<OperatorAction> then) =>
        Ask(new OperatorAction.AskStore(new DestroyRegionReplica(storeId, regionId, _learner)), _ => then(), then);

    // ---- Shared steps ----

    private OperatorAction Lookup(Func<Region, OperatorAction> then) =>
        AskPatiently(new OperatorAction.AskPlacement(new PlacementLookup(PlacementLookupKind.ById, [], _order.RegionId)), reply => reply switch
        {
            PlacementLookupReply { Status: PlacementLookupStatus.NotFound } => Fail($"region {_order.RegionId} does not exist"),
            PlacementLookupReply { Status: PlacementLookupStatus.Ok, Regions.Length: > 0 } found => then(found.Regions[0].ToRegion()),
            PlacementLookupReply other => Fail($"placement did not answer for region {_order.RegionId}: {other.Status} {other.Detail}", stale: true),
            _ => Unexpected(reply),
        });

    /// <summary>The leader's progress: asks each voter's store (and the leader it names) until one leads, a round per poll.</summary>
    private OperatorAction FindLeader(Region region, Func<RegionProgressReply, OperatorAction> found, int round = 0)
    {
        var voters = region.Peers.Where(p => p.Role != PeerRole.Learner).Select(p => p.StoreId).ToList();
        OperatorAction AskVoter(int index)
        {
            if (index >= voters.Count)
                return round + 1 >= _budgets.LeaderSearchRounds ? Fail($"no leader found for {region}") : WaitThen(() => FindLeader(region, found, round + 1));
            var store = voters[index];
            OperatorAction Next() => AskVoter(index + 1);
            return Ask(new OperatorAction.AskStore(new GetRegionProgress(store, region.Id)), reply => reply switch
            {
                RegionProgressReply { IsLeader: true } leader => found(leader),
                RegionProgressReply { LeaderStore: var hint } when hint != 0 && hint != store =>
                    Ask(new OperatorAction.AskStore(new GetRegionProgress(hint, region.Id)),
                        hinted => hinted is RegionProgressReply { IsLeader: true } leader ? found(leader) : Next(), Next),
                _ => Next(),
            }, Next);
        }
        return AskVoter(0);
    }

    /// <summary>Proposes a change on the leader stamped with the epoch the leader's store holds; a stale stamp ends the operator.</summary>
    private OperatorAction Change(Region region, ConfChange change, ulong addedStore, bool exactConfVersion, Func<Region, OperatorAction> then, int attempt = 0) =>
        FindLeader(region, leader =>
        {
            var current = leader.Region?.ToRegion() ?? region;
            if (current.Epoch.Version != region.Epoch.Version || current.Epoch.ConfVersion < region.Epoch.ConfVersion
                || (exactConfVersion && current.Epoch.ConfVersion != region.Epoch.ConfVersion))
                return Fail($"{region} changed to {current} under the operator", stale: true);
            var stamped = current.Epoch;
            var request = new ChangeRegionPeers(leader.LeaderStore, region.Id, stamped.ConfVersion, stamped.Version, change.Encode(), [_learner], [addedStore]);
            OperatorAction Answered(ChangeRegionPeersReply reply) => reply switch
            {
                { Status: ChangePeersStatus.Ok, Region: { } after } => then(after.ToRegion()),
                { Status: ChangePeersStatus.EpochNotMatch } => Fail($"step {change} is stale: {reply.Detail}", stale: true),
                { Status: ChangePeersStatus.Refused } when !reply.Detail.Contains("pending", StringComparison.OrdinalIgnoreCase) =>
                    Fail($"step {change} refused: {reply.Detail}"),
                // Not leader any more, a change still pending, or an unknown outcome: look at the region again (a repeat
                // carries the old epoch and cannot apply twice).
                _ => WaitThen(() => FindLeader(region, after =>
                    after.Region?.ToRegion() is { } now && now.Epoch.ConfVersion > stamped.ConfVersion && Applied(now, change) ? then(now)
                    : attempt + 1 >= _budgets.ChangeAttempts ? Fail($"step {change} on {region} did not go through")
                    : Change(region, change, addedStore, exactConfVersion, then, attempt + 1))),
            };
            return Ask(new OperatorAction.AskStore(request, Long: true), reply => reply is ChangeRegionPeersReply answer ? Answered(answer) : Unexpected(reply),
                () => Answered(new ChangeRegionPeersReply(ChangePeersStatus.Retry, null, 0, "no answer in time")));
        });

    /// <summary>True when <paramref name="region"/> already shows the effect of <paramref name="change"/> (an earlier attempt went through).</summary>
    private static bool Applied(Region region, ConfChange change) => change.Changes.All(step => step.Type switch
    {
        ConfChangeType.AddLearnerNode => region.Peers.Any(p => p.PeerId == step.NodeId && p.Role == PeerRole.Learner),
        ConfChangeType.AddNode => region.Peers.Any(p => p.PeerId == step.NodeId && p.Role == PeerRole.Voter),
        _ => region.Peers.All(p => p.PeerId != step.NodeId || p.Role == PeerRole.Demoting),
    });

    // ---- Plumbing ----

    private OperatorAction Ask(OperatorAction ask, Func<object, OperatorAction> onReply, Func<OperatorAction> onNoAnswer)
    {
        Expect(onReply, onNoAnswer, null);
        return ask;
    }

    /// <summary>Asked until answered: every such request is a query or idempotent (an existing replica answers the same, ids are only wasted).</summary>
    private OperatorAction AskPatiently(OperatorAction ask, Func<object, OperatorAction> onReply) => Ask(ask, onReply, () => AskPatiently(ask, onReply));

    private OperatorAction WaitThen(Func<OperatorAction> then)
    {
        Expect(null, null, then);
        return OperatorAction.Wait.Instance;
    }

    private void Expect(Func<object, OperatorAction>? onReply, Func<OperatorAction>? onNoAnswer, Func<OperatorAction>? onWaited) =>
        (_onReply, _onNoAnswer, _onWaited) = (onReply, onNoAnswer, onWaited);

    private OperatorAction Unexpected(object reply) => Fail($"unexpected answer {reply.GetType().Name}");

    private OperatorAction Fail(string detail, bool stale = false) =>
        End(new OperatorOutcome(OperatorState.Failed, stale ? $"stale, re-planned next round: {detail}" : detail, stale));

    /// <summary>Ends the operator, through a rollback when a learner may have been added and not promoted.</summary>
    private OperatorAction End(OperatorOutcome outcome)
    {
        if (_pending is not null) return Finish(_pending); // the rollback itself failed: the learner is left for the orphan cleanup
        if (!_replicaAdded || _promoted) return Finish(outcome);
        _pending = outcome;
        return RollBack();
    }

    private OperatorAction.Finish Finish(OperatorOutcome outcome)
    {
        Expect(null, null, null);
        Outcome = outcome;
        return new OperatorAction.Finish(outcome);
    }

    private void Report(OperatorStep step, string detail, ulong match = 0, ulong lastIndex = 0, long snapshotSent = 0, long snapshotTotal = 0) =>
        Progress = new OperatorProgress(_id, step, detail, match, lastIndex, snapshotSent, snapshotTotal);
}
