namespace AkkaRaft.Simulation;

/// <summary>What a simulated client asked a replica.</summary>
internal enum RequestKind : byte
{
    Propose,
    Membership,
    Read,
    Transfer,
    Destroy,
    LivenessProbe,
}

/// <summary>One request to one replica incarnation; its id is the peer's reply-to token.</summary>
internal sealed class ClientRequest(ulong id, RequestKind kind, SimulatedReplica replica, long issuedAt)
{
    public ulong Id { get; } = id;
    public RequestKind Kind { get; } = kind;
    public SimulatedReplica Replica { get; } = replica;
    public int Incarnation { get; } = replica.Incarnation;
    public long IssuedAt { get; } = issuedAt;
    /// <summary>The replica's awake ticks when it was asked: its deadline runs on these.</summary>
    public long IssuedAtTick { get; } = replica.AwakeTicks;
    /// <summary>Hash of the proposed command, for proposals.</summary>
    public ulong PayloadHash { get; init; }
    /// <summary>For reads: every index applied anywhere before the read began, which the answer must reflect.</summary>
    public ulong ReadFloor { get; init; }
    public object? Answer { get; set; }

    /// <summary>The replica it went to crashed before answering: no answer will come, and none may.</summary>
    public bool Lost => Answer is null && (Replica.Incarnation != Incarnation || Replica.Peer is null);

    public override string ToString() => $"request {Id} ({Kind}) to {Replica}#{Incarnation} at step {IssuedAt}";
}
