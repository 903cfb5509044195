using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Runtime;

/// <summary>Turns commands of type <typeparamref name="T"/> into the bytes Raft replicates, and back. Must round-trip exactly.</summary>
public interface IRaftCodec<T>
{
    /// <summary>The bytes of <paramref name="value"/>.</summary>
    byte[] Encode(T value);

    /// <summary>The value encoded in <paramref name="data"/>; throws <see cref="FormatException"/> on bytes it did not write.</summary>
    T Decode(ReadOnlySpan<byte> data);
}

/// <summary>
/// A replicated state machine over typed commands. Deterministic: the same commands in the same order give the same state
/// and results on every replica. The runtime keeps the applied index and decodes commands with the group's codec.
/// </summary>
/// <typeparam name="TCommand">What a proposal carries.</typeparam>
/// <typeparam name="TResult">What applying one command answers to its proposer.</typeparam>
public interface IRaftStateMachine<in TCommand, out TResult>
{
    /// <summary>Applies one committed command (at Raft index <paramref name="index"/>) and returns the proposer's answer.</summary>
    TResult Apply(TCommand command, ulong index);

    /// <summary>The whole state as bytes.</summary>
    byte[] TakeSnapshot();

    /// <summary>Replaces the whole state with one <see cref="TakeSnapshot"/> wrote; throws <see cref="FormatException"/> on corrupt bytes.</summary>
    void Restore(ReadOnlySpan<byte> snapshot);
}

/// <summary>The result of a committed entry the group's codec could not decode: it changed nothing.</summary>
public sealed record UndecodableCommand(string Reason);

/// <summary>
/// Runs an <see cref="IRaftStateMachine{TCommand, TResult}"/> as the untyped <see cref="IRaftStateMachine"/> a group applies
/// to: decodes each committed entry (one that does not decode is skipped, answering <see cref="UndecodableCommand"/>) and
/// counts the applied index.
/// </summary>
internal sealed class TypedStateMachine<TMachine, TCommand, TResult> : IRaftStateMachine
    where TMachine : IRaftStateMachine<TCommand, TResult>
{
    private readonly IRaftCodec<TCommand> _codec;

    /// <summary>Wraps <paramref name="machine"/>, decoding commands with <paramref name="codec"/>.</summary>
    public TypedStateMachine(TMachine machine, IRaftCodec<TCommand> codec)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(codec);
        Machine = machine;
        _codec = codec;
    }

    /// <summary>The user's state machine (what typed reads query).</summary>
    public TMachine Machine { get; }

    /// <inheritdoc />
    public ulong AppliedIndex { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        var results = new object?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            TCommand command;
            try
            {
                command = _codec.Decode(batch[i].Data);
            }
            catch (FormatException e)
            {
                // Bytes the codec did not write (proposed through the untyped API): skipped the same way on every replica.
                results[i] = new UndecodableCommand(e.Message);
                AppliedIndex = batch[i].Index;
                continue;
            }
            results[i] = Machine.Apply(command, batch[i].Index);
            AppliedIndex = batch[i].Index;
        }
        return results;
    }

    /// <inheritdoc />
    public byte[] TakeSnapshot() => Machine.TakeSnapshot();

    /// <inheritdoc />
    public void Restore(byte[] snapshot, ulong index)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Machine.Restore(snapshot);
        AppliedIndex = index;
    }
}
