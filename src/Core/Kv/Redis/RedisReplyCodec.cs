using System.Text;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>
/// Binary encoding of a reply tree (<see cref="KvResult"/>: OK, bulk or nil, integer, status, error, array or nil array)
/// for the wire between a region's leader and the router: a format version byte, then per node a tag and its fields as
/// varints and length-prefixed bytes. Nesting is bounded by <see cref="MaxDepth"/>; malformed input fails with
/// <see cref="KvCodecException"/>.
/// </summary>
public static class RedisReplyCodec
{
    /// <summary>The format version written first; decoding any other version fails.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Deepest nesting of arrays accepted (Redis replies of this store nest at most two deep).</summary>
    public const int MaxDepth = 8;

    private enum Tag : byte
    {
        Ok = 1,
        Bulk = 2,
        Nil = 3,
        Integer = 4,
        Status = 5,
        Error = 6,
        Array = 7,
        NilArray = 8,
        Double = 9,
    }

    /// <summary>True for the results this codec carries (the reply tree; not routing errors or split results).</summary>
    public static bool CanEncode(KvResult result) => result switch
    {
        KvResult.OkResult or KvResult.ValueResult or KvResult.IntegerResult or KvResult.StatusResult or KvResult.ErrorResult or KvResult.DoubleResult => true,
        KvResult.ArrayResult { Shape: > ArrayShape.Pairs } => false,
        KvResult.ArrayResult array => array.Items is null || array.Items.All(CanEncode),
        _ => false,
    };

    /// <summary>Encodes a reply tree.</summary>
    public static byte[] Encode(KvResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var writer = new WireWriter();
        writer.WriteByte(FormatVersion);
        Write(writer, result, 0);
        return writer.ToArray();
    }

    /// <summary>Decodes a reply tree; throws <see cref="KvCodecException"/> on anything but a complete, valid encoding.</summary>
    public static KvResult Decode(ReadOnlySpan<byte> data)
    {
        var reader = new WireReader(data, "Redis reply");
        var version = reader.ReadByte("format version");
        if (version != FormatVersion) throw reader.Fail($"unsupported reply format version {version} (this build reads {FormatVersion})");
        var result = Read(ref reader, 0);
        reader.EnsureEnd();
        return result;
    }

    private static void Write(WireWriter writer, KvResult result, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"reply nests deeper than {MaxDepth}", nameof(result));
        switch (result)
        {
            case KvResult.OkResult:
                writer.WriteByte((byte)Tag.Ok);
                break;
            case KvResult.ValueResult { Data: null }:
                writer.WriteByte((byte)Tag.Nil);
                break;
            case KvResult.ValueResult value:
                writer.WriteByte((byte)Tag.Bulk);
                writer.WriteBytes(value.Data);
                break;
            case KvResult.IntegerResult integer:
                writer.WriteByte((byte)Tag.Integer);
                writer.WriteVarInt(integer.Value);
                break;
            case KvResult.StatusResult status:
                writer.WriteByte((byte)Tag.Status);
                writer.WriteBytes(Encoding.UTF8.GetBytes(status.Text));
                break;
            case KvResult.ErrorResult error:
                writer.WriteByte((byte)Tag.Error);
                writer.WriteByte(error.IsArgumentError ? (byte)1 : (byte)0);
                writer.WriteBytes(Encoding.UTF8.GetBytes(error.Message));
                break;
            case KvResult.ArrayResult { Items: null }:
                writer.WriteByte((byte)Tag.NilArray);
                break;
            case KvResult.DoubleResult number:
                writer.WriteByte((byte)Tag.Double);
                writer.WriteVarUInt((ulong)BitConverter.DoubleToInt64Bits(number.Value));
                break;
            case KvResult.ArrayResult { Shape: > ArrayShape.Pairs } array:
                throw new ArgumentException($"unknown array shape {(byte)array.Shape}", nameof(result));
            case KvResult.ArrayResult array:
                writer.WriteByte((byte)Tag.Array);
                writer.WriteByte((byte)array.Shape);
                writer.WriteVarUInt((ulong)array.Items.Count);
                foreach (var item in array.Items) Write(writer, item, depth + 1);
                break;
            default:
                throw new ArgumentException($"{result.GetType().Name} is not part of a reply tree", nameof(result));
        }
    }

    private static KvResult Read(ref WireReader reader, int depth)
    {
        if (depth > MaxDepth) throw reader.Fail($"reply nests deeper than {MaxDepth}");
        var tag = (Tag)reader.ReadByte("reply tag");
        switch (tag)
        {
            case Tag.Ok: return KvResult.Ok;
            case Tag.Nil: return new KvResult.ValueResult(null);
            case Tag.Bulk: return new KvResult.ValueResult(reader.ReadBytes("bulk"));
            case Tag.Integer: return new KvResult.IntegerResult(reader.ReadVarInt("integer"));
            case Tag.Status: return new KvResult.StatusResult(Encoding.UTF8.GetString(reader.ReadSpan("status")));
            case Tag.Error:
                var flags = reader.ReadByte("error flags");
                if (flags > 1) throw reader.Fail($"unknown error flags 0x{flags:x2}");
                return new KvResult.ErrorResult(Encoding.UTF8.GetString(reader.ReadSpan("error")), flags == 1);
            case Tag.NilArray: return new KvResult.ArrayResult(null);
            case Tag.Double: return new KvResult.DoubleResult(BitConverter.Int64BitsToDouble((long)reader.ReadVarUInt("double")));
            case Tag.Array:
                var shape = reader.ReadByte("array shape");
                if (shape > (byte)ArrayShape.Pairs) throw reader.Fail($"unknown array shape {shape}");
                var count = reader.ReadCount("array length", minBytesPerItem: 1);
                var items = new KvResult[count];
                for (var i = 0; i < count; i++) items[i] = Read(ref reader, depth + 1);
                return new KvResult.ArrayResult(items, (ArrayShape)shape);
            default:
                throw reader.Fail($"unknown reply tag {(byte)tag}");
        }
    }
}
