namespace AkkaRaft.Core.Raft;

/// <summary>Read-index requests waiting for a heartbeat quorum (etcd's readOnly), in arrival order, bounded.</summary>
internal sealed class PendingReads
{
    private readonly int _limit;
    private readonly Dictionary<string, Request> _byContext = [];
    private readonly Queue<string> _order = new();

    public PendingReads(int limit) => _limit = limit;

    // LeaseGeneration: the leader's lease generation when the request was queued; its heartbeats went out after that.
    public sealed record Request(ulong Index, ulong From, byte[] Context, HashSet<ulong> Acks, ulong LeaseGeneration);

    public int Count => _order.Count;

    public bool Full => _order.Count >= _limit;

    private static string Key(byte[] context) => Convert.ToHexString(context);

    /// <summary>Queues a request; a duplicate context joins the existing one.</summary>
    public void Add(ulong index, ulong from, byte[] context, ulong self, ulong leaseGeneration)
    {
        var key = Key(context);
        if (_byContext.ContainsKey(key)) return;
        _byContext[key] = new Request(index, from, context, [self], leaseGeneration);
        _order.Enqueue(key);
    }

    /// <summary>Records an acknowledgement; returns the request's acks or null when unknown.</summary>
    public HashSet<ulong>? Ack(ulong from, byte[] context)
    {
        if (!_byContext.TryGetValue(Key(context), out var request)) return null;
        request.Acks.Add(from);
        return request.Acks;
    }

    /// <summary>Removes and returns every request up to and including <paramref name="context"/> (earlier ones are confirmed too).</summary>
    public List<Request> ReleaseThrough(byte[] context)
    {
        var key = Key(context);
        var released = new List<Request>();
        if (!_byContext.ContainsKey(key)) return released;
        while (_order.Count > 0)
        {
            var k = _order.Dequeue();
            released.Add(_byContext[k]);
            _byContext.Remove(k);
            if (k == key) break;
        }
        return released;
    }

    public byte[] LastContext() => _order.Count == 0 ? [] : _byContext[_order.Last()].Context;

    public void Clear()
    {
        _byContext.Clear();
        _order.Clear();
    }
}
