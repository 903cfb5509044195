namespace AkkaRaft.Core.Raft;

/// <summary>One membership step.</summary>
public enum ConfChangeType : byte
{
    /// <summary>Add (or promote to) a voter.</summary>
    AddNode = 0,
    /// <summary>Remove a voter or learner.</summary>
    RemoveNode = 1,
    /// <summary>Add a learner (or demote a voter).</summary>
    AddLearnerNode = 2,
}

/// <summary>How a change with several steps is carried out.</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>Single step changes apply directly; several steps use joint consensus and leave it automatically.</summary>
    Auto = 0,
    /// <summary>Always joint; leave automatically once the joint config is committed.</summary>
    JointImplicit = 1,
    /// <summary>Always joint; leaving needs an explicit empty change.</summary>
    JointExplicit = 2,
}

/// <summary>A single add/remove of a replica.</summary>
public readonly record struct ConfChangeSingle(ConfChangeType Type, ulong NodeId);

/// <summary>A membership change (etcd's ConfChangeV2). An empty change leaves a joint configuration.</summary>
public sealed record ConfChange(ConfChangeTransition Transition, IReadOnlyList<ConfChangeSingle> Changes, byte[] Context)
{
    /// <summary>A change consisting of the given steps.</summary>
    public static ConfChange Of(params ConfChangeSingle[] changes) => new(ConfChangeTransition.Auto, changes, []);

    /// <summary>The change that leaves a joint configuration.</summary>
    public static ConfChange LeaveJoint { get; } = new(ConfChangeTransition.Auto, [], []);

    /// <summary>True when this asks to leave a joint configuration.</summary>
    public bool IsLeaveJoint => Changes.Count == 0;

    /// <summary>Whether applying uses joint consensus, and if so whether leaving is automatic.</summary>
    public (bool UseJoint, bool AutoLeave) JointMode()
    {
        if (Transition != ConfChangeTransition.Auto || Changes.Count > 1)
        {
            return (true, Transition != ConfChangeTransition.JointExplicit);
        }
        return (false, false);
    }

    /// <summary>Encodes to entry data: version, transition, count, (type, id)*, context.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[2 + 4 + Changes.Count * 9 + 4 + Context.Length];
        var span = buffer.AsSpan();
        span[0] = 1;
        span[1] = (byte)Transition;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[2..], Changes.Count);
        var offset = 6;
        foreach (var change in Changes)
        {
            span[offset] = (byte)change.Type;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(span[(offset + 1)..], change.NodeId);
            offset += 9;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[offset..], Context.Length);
        Context.CopyTo(span[(offset + 4)..]);
        return buffer;
    }

    /// <summary>Decodes entry data; throws <see cref="FormatException"/> on malformed bytes.</summary>
    public static ConfChange Decode(byte[] data)
    {
        var span = data.AsSpan();
        if (span.Length < 10 || span[0] != 1) throw new FormatException("conf change: bad header or unknown version");
        var transition = span[1];
        if (transition > 2) throw new FormatException($"conf change: unknown transition {transition}");
        var count = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(span[2..]);
        if (count < 0 || count > (span.Length - 10) / 9) throw new FormatException($"conf change: bad change count {count}");
        var changes = new ConfChangeSingle[count];
        var offset = 6;
        for (var i = 0; i < count; i++)
        {
            var type = span[offset];
            if (type > 2) throw new FormatException($"conf change: unknown change type {type}");
            changes[i] = new ConfChangeSingle((ConfChangeType)type, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(span[(offset + 1)..]));
            offset += 9;
        }
        var contextLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(span[offset..]);
        if (contextLength < 0 || contextLength != span.Length - offset - 4) throw new FormatException("conf change: bad context length");
        return new ConfChange((ConfChangeTransition)transition, changes, span[(offset + 4)..].ToArray());
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsLeaveJoint ? "leave-joint" : string.Join(' ', Changes.Select(c => c.Type switch
        {
            ConfChangeType.AddNode => $"v{c.NodeId}",
            ConfChangeType.AddLearnerNode => $"l{c.NodeId}",
            _ => $"r{c.NodeId}",
        }));
}
