using AkkaRaft.Core.Raft;

namespace AkkaRaft.Simulation;

/// <summary>A Raft message on the simulated wire, between two physical nodes; a streamed snapshot carries its stream.</summary>
internal sealed record InFlightMessage(long DeliverAt, int FromNode, int ToNode, ulong GroupId, Message Message, SnapshotStream? Stream = null);

/// <summary>
/// A seeded network between physical nodes: random drops, delays (delivery after k steps), duplicates, reordering
/// (everything due in a step is delivered in random order), symmetric and one-way partitions.
/// </summary>
internal sealed class SimulatedNetwork(Random random)
{
    private readonly List<InFlightMessage> _inFlight = [];
    private readonly HashSet<(int From, int To)> _blocked = [];

    /// <summary>Probability that a message silently vanishes.</summary>
    public double DropRate { get; set; }
    /// <summary>Probability that a message is delivered twice.</summary>
    public double DuplicateRate { get; set; }
    /// <summary>Largest extra delay in steps (a message is delivered 1..1+MaxDelay steps after sending).</summary>
    public int MaxDelay { get; set; }

    public int InFlightCount => _inFlight.Count;
    public bool HasPartition => _blocked.Count > 0;

    /// <summary>Queues a message; returns false when it was dropped at once.</summary>
    public bool Send(long now, int fromNode, int toNode, ulong groupId, Message message, SnapshotStream? stream = null)
    {
        if (random.NextDouble() < DropRate) return false;
        _inFlight.Add(new InFlightMessage(now + 1 + random.Next(MaxDelay + 1), fromNode, toNode, groupId, message, stream));
        // A stream delivers its snapshot once (chunks are acknowledged); a plain message may be duplicated.
        if (stream is null && random.NextDouble() < DuplicateRate)
        {
            _inFlight.Add(new InFlightMessage(now + 1 + random.Next(MaxDelay + 1), fromNode, toNode, groupId, message));
        }
        return true;
    }

    /// <summary>Removes and returns every message due by <paramref name="now"/>, shuffled.</summary>
    public List<InFlightMessage> TakeDue(long now)
    {
        var due = new List<InFlightMessage>();
        _inFlight.RemoveAll(m =>
        {
            if (m.DeliverAt > now) return false;
            due.Add(m);
            return true;
        });
        for (var i = due.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (due[i], due[j]) = (due[j], due[i]);
        }
        return due;
    }

    /// <summary>True when traffic from <paramref name="from"/> to <paramref name="to"/> is cut (a node always reaches itself).</summary>
    public bool IsBlocked(int from, int to) => from != to && _blocked.Contains((from, to));

    /// <summary>Cuts every link between <paramref name="side"/> and the other nodes, both ways.</summary>
    public void Partition(IReadOnlyCollection<int> side, IEnumerable<int> allNodes)
    {
        foreach (var other in allNodes.Where(n => !side.Contains(n)))
        {
            foreach (var n in side)
            {
                _blocked.Add((n, other));
                _blocked.Add((other, n));
            }
        }
    }

    /// <summary>Cuts traffic from <paramref name="from"/> to <paramref name="to"/> only.</summary>
    public void BlockOneWay(int from, int to) => _blocked.Add((from, to));

    /// <summary>Restores every link.</summary>
    public void Heal() => _blocked.Clear();
}
