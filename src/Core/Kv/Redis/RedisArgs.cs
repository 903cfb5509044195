using System.Globalization;
using System.Text;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Redis's argument parsing and number formatting rules, byte-exact.</summary>
internal static class RedisArgs
{
    /// <summary>An argument as upper-case ASCII, for option keywords.</summary>
    public static string Keyword(byte[] argument) => argument.Length > 32 ? "" : Encoding.ASCII.GetString(argument).ToUpperInvariant();

    /// <summary>True when the argument equals <paramref name="keyword"/> ignoring ASCII case.</summary>
    public static bool Is(byte[] argument, string keyword) =>
        argument.Length == keyword.Length && Keyword(argument) == keyword;

    /// <summary>Redis's string2ll: optional '-', digits, no '+', spaces or leading zeros, within 64 bits.</summary>
    public static bool TryInteger(byte[] argument, out long value) => KvStateMachine.TryParseInteger(argument, out value);

    /// <summary>
    /// Redis's rule for scores and increments (getDoubleFromObject): at most 128 bytes, no leading space, strtod must read
    /// every byte, the empty string, a result out of double's range (ERANGE: overflow, or underflow to zero) and nan are
    /// refused. As with strtod, hexadecimal ("0x10", "0x1p4") is a number.
    /// </summary>
    public static bool TryDouble(ReadOnlySpan<byte> argument, out double value)
    {
        value = 0;
        if (argument.Length is 0 or > 128 || IsCSpace(argument[0])) return false;
        return TryStrtod(argument, out value, out var outOfRange) && !outOfRange && !double.IsNaN(value);
    }

    /// <summary>
    /// A score bound: <c>-inf</c>, <c>+inf</c>, <c>1.5</c> or exclusive <c>(1.5</c> (zslParseRange: strtod reading every byte;
    /// leading spaces, overflow and the empty string, read as 0, allowed; nan refused).
    /// </summary>
    public static bool TryScoreBound(byte[] argument, out double value, out bool exclusive)
    {
        exclusive = argument.Length > 0 && argument[0] == (byte)'(';
        return TryStrtod(argument.AsSpan(exclusive ? 1 : 0), out value, out _) && !double.IsNaN(value);
    }

    private static bool IsCSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    /// <summary>
    /// C's strtod when the whole input must be consumed: leading white space, a sign, then inf/infinity/nan, a hexadecimal
    /// float (0x, optional point, optional binary exponent p) or a decimal one. No conversion at all (the empty string)
    /// leaves 0 and nothing unread, as strtod does. <paramref name="outOfRange"/> is strtod's ERANGE.
    /// </summary>
    private static bool TryStrtod(ReadOnlySpan<byte> text, out double value, out bool outOfRange)
    {
        value = 0;
        outOfRange = false;
        if (text.Length == 0) return true;
        var i = 0;
        while (i < text.Length && IsCSpace(text[i])) i++;
        var negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-') negative = text[i++] == (byte)'-';
        var rest = Encoding.ASCII.GetString(text[i..]);
        if (rest.Equals("inf", StringComparison.OrdinalIgnoreCase) || rest.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (rest.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }
        double magnitude;
        if (rest.Length > 2 && rest[0] == '0' && rest[1] is 'x' or 'X')
        {
            if (!TryHexFloat(rest.AsSpan(2), out magnitude)) return false;
        }
        else
        {
            if (!IsDecimalFloat(rest)) return false;
            magnitude = double.Parse(rest, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
            outOfRange = double.IsInfinity(magnitude) || (magnitude == 0 && rest.TakeWhile(c => c is not ('e' or 'E')).Any(c => c is >= '1' and <= '9'));
        }
        value = negative ? -magnitude : magnitude;
        return true;
    }

    /// <summary>digits [. digits] [e [sign] digits] with at least one mantissa digit, nothing else.</summary>
    private static bool IsDecimalFloat(string text)
    {
        var i = 0;
        var digits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; digits++; }
        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-') i++;
            var exponentDigits = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; exponentDigits++; }
            if (exponentDigits == 0) return false;
        }
        return i == text.Length;
    }

    private static int HexDigitValue(char digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;

    /// <summary>hexdigits [. hexdigits] [p [sign] digits] after "0x", at least one hex digit, nothing else.</summary>
    private static bool TryHexFloat(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        var i = 0;
        var digits = 0;
        var exponent = 0L;
        for (var fraction = false; i < text.Length; i++)
        {
            if (text[i] == '.' && !fraction) { fraction = true; continue; }
            if (!char.IsAsciiHexDigit(text[i])) break;
            value = (value * 16) + HexDigitValue(text[i]);
            if (fraction) exponent -= 4;
            digits++;
        }
        if (digits == 0) return false;
        if (i < text.Length && text[i] is 'p' or 'P')
        {
            i++;
            var sign = 1;
            if (i < text.Length && text[i] is '+' or '-') sign = text[i++] == '-' ? -1 : 1;
            var start = i;
            var binary = 0L;
            while (i < text.Length && char.IsAsciiDigit(text[i])) binary = Math.Min((binary * 10) + (text[i++] - '0'), 100_000);
            if (i == start) return false;
            exponent += sign * binary;
        }
        if (i != text.Length) return false;
        value = Math.ScaleB(value, (int)Math.Clamp(exponent, -100_000, 100_000));
        return true;
    }

    /// <summary>A score range from ZRANGEBYSCORE's min and max.</summary>
    public static bool TryScoreRange(byte[] min, byte[] max, out ScoreRange range)
    {
        range = default;
        if (!TryScoreBound(min, out var lo, out var loExclusive) || !TryScoreBound(max, out var hi, out var hiExclusive)) return false;
        range = new ScoreRange(lo, loExclusive, hi, hiExclusive);
        return true;
    }

    /// <summary>A lex bound: <c>-</c>, <c>+</c>, <c>[a</c> (inclusive) or <c>(a</c> (exclusive).</summary>
    public static bool TryLexBound(byte[] argument, out LexBound bound)
    {
        bound = default;
        if (argument.Length == 0) return false;
        switch (argument[0])
        {
            case (byte)'-' when argument.Length == 1: bound = new LexBound(LexBoundKind.MinusInfinity, []); return true;
            case (byte)'+' when argument.Length == 1: bound = new LexBound(LexBoundKind.PlusInfinity, []); return true;
            case (byte)'[': bound = new LexBound(LexBoundKind.Inclusive, argument[1..]); return true;
            case (byte)'(': bound = new LexBound(LexBoundKind.Exclusive, argument[1..]); return true;
            default: return false;
        }
    }

    /// <summary>Redis's %.17g rendering of a score (integers below 2^52 without a fraction; inf, -inf, nan).</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return "0"; // -0 too, as redis-server 7.0 prints it
        var text = value.ToString("G17", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return text;
        // C prints at least two exponent digits with a sign: 1e+20, 9.9999999999999995e-08.
        var mantissa = text[..e];
        var sign = text[e + 1] == '-' ? '-' : '+';
        var digits = text[(e + 1)..].TrimStart('+', '-').TrimStart('0');
        return $"{mantissa}e{sign}{digits.PadLeft(2, '0')}";
    }

    /// <summary>A score as a bulk reply.</summary>
    public static KvResult.DoubleResult DoubleReply(double value) => new(value);

    /// <summary>
    /// INCRBYFLOAT's sum and rendering, digit for digit as Redis's (long double sum, "%.17Lf" with trailing zeros cut):
    /// see <see cref="ExtendedFloat"/>. Null when the sum is not finite (or an operand is inf).
    /// </summary>
    public static byte[]? AddFloats(byte[] current, byte[] increment)
    {
        if (!ExtendedFloat.TryParse(current, out var x) || !ExtendedFloat.TryParse(increment, out var y) || x.IsInfinite || y.IsInfinite) return null;
        var sum = x + y;
        return sum.IsInfinite ? null : Encoding.ASCII.GetBytes(sum.ToHumanString());
    }

    /// <summary>A bulk reply of text.</summary>
    public static KvResult.ValueResult Bulk(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>An array of bulk replies.</summary>
    public static KvResult.ArrayResult BulkArray(IEnumerable<byte[]?> items, ArrayShape shape = ArrayShape.List) =>
        new([.. items.Select(i => (KvResult)new KvResult.ValueResult(i))], shape);

    /// <summary>Redis's list/rank index normalization: negative counts from the end.</summary>
    public static long Normalize(long index, long count) => index < 0 ? index + count : index;
}

/// <summary>Redis's number texts, for front ends that render replies.</summary>
internal static class RedisText
{
    /// <summary>A score as Redis prints it (%.17g; inf, -inf, nan; 0 for -0).</summary>
    public static string Double(double value) => RedisArgs.FormatDouble(value);
}

/// <summary>Kinds of lex range ends.</summary>
internal enum LexBoundKind : byte
{
    MinusInfinity,
    PlusInfinity,
    Inclusive,
    Exclusive,
}

/// <summary>One end of a ZRANGEBYLEX range.</summary>
internal readonly record struct LexBound(LexBoundKind Kind, byte[] Value)
{
    /// <summary>True when <paramref name="member"/> is at or past this bound taken as the minimum.</summary>
    public bool AllowsAsMin(byte[] member) => Kind switch
    {
        LexBoundKind.MinusInfinity => true,
        LexBoundKind.PlusInfinity => false,
        LexBoundKind.Inclusive => member.AsSpan().SequenceCompareTo(Value) >= 0,
        _ => member.AsSpan().SequenceCompareTo(Value) > 0,
    };

    /// <summary>True when <paramref name="member"/> is at or before this bound taken as the maximum.</summary>
    public bool AllowsAsMax(byte[] member) => Kind switch
    {
        LexBoundKind.MinusInfinity => false,
        LexBoundKind.PlusInfinity => true,
        LexBoundKind.Inclusive => member.AsSpan().SequenceCompareTo(Value) <= 0,
        _ => member.AsSpan().SequenceCompareTo(Value) < 0,
    };
}
