using System.Text;

namespace AkkaRaft.TestKit.Linearizability;

/// <summary>What a client did to one register (key).</summary>
public enum RegisterOpKind
{
    /// <summary>Wrote <see cref="RegisterOp.Argument"/>.</summary>
    Set,
    /// <summary>Read <see cref="RegisterOp.Output"/> (null: the register was empty).</summary>
    Get,
    /// <summary>Added <see cref="RegisterOp.Argument"/> (an empty register counts as 0) and saw the sum as <see cref="RegisterOp.Output"/>.</summary>
    Increment,
}

/// <summary>
/// One operation of a history on a single key: invoked and returned at monotonic timestamps. An operation whose outcome
/// is unknown (a write that timed out) has <see cref="Returned"/> = <see cref="long.MaxValue"/> and no output: it may
/// have taken effect at any point after its invocation, or never (placing it last is the same as never).
/// </summary>
/// <param name="Client">Who issued it (for the report).</param>
/// <param name="Key">The register it touched; registers are checked independently.</param>
/// <param name="Kind">Set, Get or Increment.</param>
/// <param name="Argument">The value set, or the amount added; ignored for Get.</param>
/// <param name="Output">What a Get read or an Increment answered; null for a Set, an empty register, or an unknown outcome.</param>
/// <param name="Invoked">Monotonic timestamp (e.g. <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>) before the request was sent.</param>
/// <param name="Returned">Monotonic timestamp after the answer came; <see cref="long.MaxValue"/> when the outcome is unknown.</param>
public sealed record RegisterOp(int Client, string Key, RegisterOpKind Kind, long Argument, long? Output, long Invoked, long Returned)
{
    /// <summary>True when the operation may or may not have taken effect (a write that timed out).</summary>
    public bool IsUnknown => Returned == long.MaxValue;

    /// <inheritdoc />
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
/// The search is exponential in the number of concurrent operations per key: keep a few clients per key and at most a
/// few thousand operations per key.
/// </summary>
public static class RegisterLinearizabilityChecker
{
    /// <summary>Null when every key's history is linearizable; otherwise a description of the first key that is not.</summary>
    public static string? Check(IReadOnlyList<RegisterOp> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Any(op => op is null || op.Returned < op.Invoked))
            throw new ArgumentException("every operation must be non-null and return no earlier than it was invoked", nameof(history));
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

    /// <summary>The register model: the state after <paramref name="op"/>, or false when its output contradicts <paramref name="state"/>.</summary>
    public static bool Step(long? state, RegisterOp op, out long? next)
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
