using System.Text;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>A state machine that remembers every command it applied, in order: enough to check replication end to end.</summary>
public sealed class RecordingStateMachine : IRaftStateMachine
{
    public List<string> Commands { get; } = [];

    public ulong AppliedIndex { get; private set; }

    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
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

    public byte[] TakeSnapshot() => Encoding.UTF8.GetBytes(string.Join('\n', Commands));

    public void Restore(byte[] snapshot, ulong index)
    {
        Commands.Clear();
        var text = Encoding.UTF8.GetString(snapshot);
        if (text.Length > 0) Commands.AddRange(text.Split('\n'));
        AppliedIndex = index;
    }
}
