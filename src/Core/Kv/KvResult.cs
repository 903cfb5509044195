using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>How RESP3 sends an array reply; RESP2 sends every shape as the flat array.</summary>
public enum ArrayShape : byte
{
    /// <summary>A plain array.</summary>
    List = 0,
    /// <summary>Field, value, field, value...: a RESP3 map (HGETALL).</summary>
    Map = 1,
    /// <summary>Unordered distinct members: a RESP3 set (SMEMBERS).</summary>
    Set = 2,
    /// <summary>Member, score, member, score...: in RESP3 an array of two-element arrays (WITHSCORES).</summary>
    Pairs = 3,
}

/// <summary>The answer to a KV command: a value or a typed error the caller can act on (never an exception).</summary>
public abstract record KvResult
{
    private KvResult()
    {
    }

    /// <summary>True for the error variants.</summary>
    public virtual bool IsError => false;

    /// <summary>The shared <see cref="OkResult"/>.</summary>
    public static OkResult Ok { get; } = new();

    /// <summary>Plain success (SET, MSET).</summary>
    public sealed record OkResult : KvResult;

    /// <summary>A bulk value; null is Redis's nil (absent key, or SET NX/XX not performed).</summary>
    public sealed record ValueResult(byte[]? Data) : KvResult
    {
        /// <summary>Content equality.</summary>
        public bool Equals(ValueResult? other) => other is not null && ByteKeyComparer.Instance.Equals(Data, other.Data);

        /// <inheritdoc />
        public override int GetHashCode() => Data?.Length ?? -1;

        /// <summary>Renders as <c>Value "abc"</c> or <c>Value nil</c>.</summary>
        public override string ToString() => $"Value {(Data is null ? "nil" : KeyText.Quote(Data))}";
    }

    /// <summary>An integer reply (DEL, EXISTS, INCRBY).</summary>
    public sealed record IntegerResult(long Value) : KvResult;

    /// <summary>Right-hand region created by an applied split, with its data; the runtime starts a replica from it.</summary>
    public sealed record SplitResult(Region Left, Region Right, KvStateMachine RightHalf) : KvResult;

    /// <summary>A membership change was applied: <see cref="Region"/> has the new peers and conf version.</summary>
    /// <param name="Region">The region after the change.</param>
    /// <param name="InTransition">True while a joint configuration is in force (outgoing voters are <see cref="PeerRole.Demoting"/>).</param>
    public sealed record MembershipChanged(Region Region, bool InTransition) : KvResult;

    /// <summary>A key lies outside the region: the router's cache is outdated.</summary>
    public sealed record KeyNotInRegion(byte[] Key, Region Region) : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;

        /// <summary>Content equality.</summary>
        public bool Equals(KeyNotInRegion? other) =>
            other is not null && ByteKeyComparer.Instance.Equals(Key, other.Key) && Region == other.Region;

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(Key.Length, Region);

        /// <inheritdoc />
        public override string ToString() => $"KeyNotInRegion: key {KeyText.Quote(Key)} is not in {Region}";
    }

    /// <summary>The command was routed with another region id or epoch than the region's current one.</summary>
    public sealed record EpochNotMatch(Region Current) : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;

        /// <inheritdoc />
        public override string ToString() => $"EpochNotMatch: current is {Current}";
    }

    /// <summary>The stored value is not a decimal 64-bit integer (Redis: "value is not an integer or out of range").</summary>
    public sealed record NotAnInteger : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;
    }

    /// <summary>The increment would overflow a 64-bit integer (Redis: "increment or decrement would overflow").</summary>
    public sealed record Overflow : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;
    }

    /// <summary>
    /// A Redis error reply, <see cref="Message"/> with its prefix (<c>ERR ...</c>, <c>WRONGTYPE ...</c>).
    /// <see cref="IsArgumentError"/>: the arguments alone caused it, before any data was looked at, so a front end may
    /// answer it without going through the log.
    /// </summary>
    public sealed record ErrorResult(string Message, bool IsArgumentError = false) : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;
    }

    /// <summary>A status line other than OK (TYPE's <c>hash</c>).</summary>
    public sealed record StatusResult(string Text) : KvResult;

    /// <summary>
    /// A score (ZSCORE, WITHSCORES): RESP2 sends it as a bulk string in Redis's %.17g form, RESP3 as a double.
    /// </summary>
    public sealed record DoubleResult(double Value) : KvResult;

    /// <summary>
    /// An array of replies; <see cref="Items"/> null is Redis's nil array. <see cref="Shape"/> is how RESP3 sends it
    /// (RESP2 always sends the flat array).
    /// </summary>
    public sealed record ArrayResult(IReadOnlyList<KvResult>? Items, ArrayShape Shape = ArrayShape.List) : KvResult
    {
        /// <summary>Element-wise equality.</summary>
        public bool Equals(ArrayResult? other) =>
            other is not null && Shape == other.Shape
            && (Items is null ? other.Items is null : other.Items is not null && Items.SequenceEqual(other.Items));

        /// <inheritdoc />
        public override int GetHashCode() => Items?.Count ?? -1;

        /// <summary>Renders as <c>[a, b]</c> or <c>nil array</c>.</summary>
        public override string ToString() => Items is null ? "nil array" : $"[{string.Join(", ", Items)}]";
    }

    /// <summary>A command that cannot be executed as sent (undecodable, read through the log, bad split).</summary>
    public sealed record InvalidCommand(string Reason) : KvResult
    {
        /// <inheritdoc />
        public override bool IsError => true;
    }
}
