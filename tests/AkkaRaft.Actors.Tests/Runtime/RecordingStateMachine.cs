using System.Text;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>A state machine that remembers every command it applied, in order: enough to check replication end to end.</summary>
/// <remarks>The group actor applies on its own thread; tests read <see cref="CommandsSoFar"/> from theirs, hence the lock.</remarks>
public sealed class RecordingStateMachine : IRaftStateMachine
{
    private readonly object _gate = new();

    /// <summary>The applied commands; only for code running inside the group actor (e.g. a read query).</summary>
    public List<string> Commands { get; } = [];

    public ulong AppliedIndex { get; private set; }

    /// <summary>A copy of the applied commands, safe to take from any thread.</summary>
    public List<string> CommandsSoFar()
    {
        lock (_gate) return [.. Commands];
    }

    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        lock (_gate)
        {
            var results = new object?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Index <= AppliedIndex) throw new InvalidOperationException($"index {batch[i].Index} applied twice");
                Commands.Add(Encoding.UTF8.GetString(batch[i].Data));
                AppliedIndex = batch[i].Index;
                results[i] = Commands.Count;
            }
            return results;
        }
    }

    public byte[] TakeSnapshot()
    {
        lock (_gate) return Encoding.UTF8.GetBytes(string.Join('\n', Commands));
    }

    public void Restore(byte[] snapshot, ulong index)
    {
        lock (_gate)
        {
            Commands.Clear();
            var text = Encoding.UTF8.GetString(snapshot);
            if (text.Length > 0) Commands.AddRange(text.Split('\n'));
            AppliedIndex = index;
        }
    }
}
