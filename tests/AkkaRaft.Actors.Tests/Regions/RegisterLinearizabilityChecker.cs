using System.Text;

namespace AkkaRaft.Actors.Tests.Regions;

/// <summary>What a client did to one key.</summary>
internal enum RegisterOpKind
{
    Set,
    Get,
    Increment,
}

/// <summary>
/// One operation of a history on a single key: invoked and returned at monotonic timestamps. An operation whose outcome
/// is unknown (a write that timed out) has <see cref="Returned"/> = <see cref="long.MaxValue"/> and no output: it may
/// have taken effect at any point after its invocation, or never (placing it last is the same as never).
/// </summary>
internal sealed record RegisterOp(int Client, string Key, RegisterOpKind Kind, long Argument, long? Output, long Invoked, long Returned)
{
    public bool IsUnknown => Returned == long.MaxValue;

    public override string ToString() => Kind switch
    {
        RegisterOpKind.Set => $"c{Client} SET {Key} {Argument}",
        RegisterOpKind.Get => $"c{Client} GET {Key} -> {Output?.ToString() ?? "nil"}",
        _ => $"c{Client} INCRBY {Key} {Argument} -> {(IsUnknown ? "?" : Output?.ToString() ?? "?")}",
    } + $" [{Invoked}, {(IsUnknown ? "unknown" : Returned.ToString())}]";
}

/// <summary>
/// Wing–Gong linearizability check (with Lowe's memoization of visited (linearized set, state) pairs) of a history of
/// SET/GET/INCRBY on single registers. Keys are independent (linearizability is local), so each key is checked alone.
/// </summary>
internal static class RegisterLinearizabilityChecker
{
    /// <summary>Null when every key's history is linearizable; otherwise a description of the first key that is not.</summary>
    public static string? Check(IReadOnlyList<RegisterOp> history)
    {
        foreach (var perKey in history.GroupBy(op => op.Key))
        {
            var ops = perKey.OrderBy(op => op.Invoked).ToList();
            if (!new Search(ops).Run())
            {
                var text = new StringBuilder($"history of key {perKey.Key} is not linearizable ({ops.Count} operations):");
                foreach (var op in ops) text.AppendLine().Append("  ").Append(op);
                return text.ToString();
            }
        }
        return null;
    }

    /// <summary>The register model: the state after <paramref name="op"/>, or false when its output contradicts the state.</summary>
    internal static bool Step(long? state, RegisterOp op, out long? next)
    {
        switch (op.Kind)
        {
            case RegisterOpKind.Set:
                next = op.Argument;
                return true;
            case RegisterOpKind.Get:
                next = state;
                return op.Output == state;
            default:
                next = (state ?? 0) + op.Argument;
                return op.IsUnknown || op.Output == next;
        }
    }

    private sealed class Search(List<RegisterOp> ops)
    {
        private readonly bool[] _done = new bool[ops.Count];
        private readonly HashSet<string> _visited = [];

        public bool Run() => Visit(null, ops.Count);

        private bool Visit(long? state, int remaining)
        {
            if (remaining == 0) return true;
            if (!_visited.Add(Fingerprint(state))) return false;
            // An operation may go next only if no pending operation returned before it was invoked.
            var earliestReturn = long.MaxValue;
            for (var i = 0; i < ops.Count; i++)
                if (!_done[i] && ops[i].Returned < earliestReturn) earliestReturn = ops[i].Returned;
            for (var i = 0; i < ops.Count; i++)
            {
                if (_done[i] || ops[i].Invoked > earliestReturn) continue;
                if (!Step(state, ops[i], out var next)) continue;
                _done[i] = true;
                if (Visit(next, remaining - 1)) return true;
                _done[i] = false;
            }
            return false;
        }

        private string Fingerprint(long? state)
        {
            var text = new StringBuilder(_done.Length + 24);
            foreach (var done in _done) text.Append(done ? '1' : '0');
            return text.Append('|').Append(state?.ToString() ?? "nil").ToString();
        }
    }
}
