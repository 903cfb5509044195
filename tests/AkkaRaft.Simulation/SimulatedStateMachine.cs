using System.Buffers.Binary;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>What a read returns: the state machine's applied index and its hash chain there.</summary>
internal readonly record struct ChainState(ulong Index, ulong Chain);

/// <summary>What an applied command answers its proposer.</summary>
internal readonly record struct AppliedCommand(ulong Index, ulong Term);

/// <summary>
/// The application state of one replica incarnation: a hash chain over every command and membership change applied (a
/// register whose value is its whole history). Like the KV state machine it lives in memory, is lost on a crash and is
/// rebuilt from snapshot and journal; every apply and restore is checked against the group's history.
/// </summary>
internal sealed class SimulatedStateMachine(SimulatedGroup group, SimulatedReplica replica) : IRaftStateMachine
{
    public ulong AppliedIndex { get; private set; }
    public ulong Chain { get; private set; }

    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        var results = new object?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var command = batch[i];
            Chain = InvariantChecker.CheckApply(group, replica, AppliedIndex, Chain, command.Index, Hashing.Of(command.Data));
            AppliedIndex = command.Index;
            if (Liveness.IsProbe(command.Data) && group.LivenessProbeIndex == 0) group.LivenessProbeIndex = command.Index;
            results[i] = new AppliedCommand(command.Index, command.Term);
        }
        return results;
    }

    public object? ApplyMembership(ulong index, ConfChange change, IReadOnlyDictionary<ulong, ulong> peerNodes)
    {
        // Like the KV state machine: membership is part of the state, so a snapshot at this index includes it.
        Chain = InvariantChecker.CheckApply(group, replica, AppliedIndex, Chain, index, Hashing.Of(change.Encode()));
        AppliedIndex = index;
        return null;
    }

    public byte[] TakeSnapshot()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, AppliedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), Chain);
        return bytes;
    }

    public void Restore(byte[] snapshot, ulong index)
    {
        if (snapshot.Length != 16) throw new InvariantViolationException($"{replica}: snapshot data of {snapshot.Length} bytes is not a simulator state");
        var state = new ChainState(BinaryPrimitives.ReadUInt64LittleEndian(snapshot), BinaryPrimitives.ReadUInt64LittleEndian(snapshot.AsSpan(8)));
        InvariantChecker.CheckSnapshotRestore(group, replica, AppliedIndex, index, state);
        AppliedIndex = state.Index;
        Chain = state.Chain;
    }

    /// <summary>The read query: everything applied so far.</summary>
    public ChainState Read() => new(AppliedIndex, Chain);
}
