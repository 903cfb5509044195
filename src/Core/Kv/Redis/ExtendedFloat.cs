using System.Globalization;
using System.Numerics;
using System.Text;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>
/// The x87 80-bit long double that INCRBYFLOAT and HINCRBYFLOAT compute in (64-bit mantissa), emulated exactly with
/// big integers so the digits match Redis's: decimal text is rounded to a 64-bit mantissa (half to even), the sum is
/// rounded again, and the result is printed as C's "%.17Lf" with trailing zeros cut (Redis's humanfriendly mode).
/// </summary>
internal readonly record struct ExtendedFloat(BigInteger Mantissa, int Exponent)
{
    private const int MantissaBits = 64;

    /// <summary>Largest binary exponent of a finite long double (beyond it the value is infinite).</summary>
    private const int MaxExponent = 16383;

    /// <summary>Most decimal exponent digits accepted (Redis refuses numbers of 5k characters and more anyway).</summary>
    private const int MaxDecimalExponent = 6000;

    /// <summary>Parses decimal text (sign, digits, point, exponent); false for anything else, including inf and nan.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out ExtendedFloat value)
    {
        value = default;
        var s = Encoding.ASCII.GetString(text);
        var i = 0;
        var negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
        var digits = new StringBuilder();
        var fractionDigits = 0;
        var seenPoint = false;
        var seenDigit = false;
        for (; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i]))
            {
                digits.Append(s[i]);
                seenDigit = true;
                if (seenPoint) fractionDigits++;
            }
            else if (s[i] == '.' && !seenPoint) seenPoint = true;
            else break;
        }
        if (!seenDigit) return false;
        long exponent = 0;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            var start = i;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
            if (i == s.Length || !long.TryParse(s.AsSpan(start, s.Length - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            i = s.Length;
        }
        if (i != s.Length || Math.Abs(exponent) > MaxDecimalExponent) return false;
        var numerator = BigInteger.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        var decimalExponent = (int)exponent - fractionDigits;
        var denominator = BigInteger.One;
        if (decimalExponent >= 0) numerator *= BigInteger.Pow(10, decimalExponent);
        else denominator = BigInteger.Pow(10, -decimalExponent);
        if (negative) numerator = -numerator;
        value = FromRational(numerator, denominator);
        return true;
    }

    /// <summary>True when the value is beyond a long double's range (Redis's strtold gives inf: an error).</summary>
    public bool IsInfinite => !Mantissa.IsZero && Exponent + MantissaBits > MaxExponent;

    /// <summary>The sum, rounded to a 64-bit mantissa.</summary>
    public static ExtendedFloat operator +(ExtendedFloat a, ExtendedFloat b)
    {
        if (a.Mantissa.IsZero) return b;
        if (b.Mantissa.IsZero) return a;
        var low = Math.Min(a.Exponent, b.Exponent);
        var sum = (a.Mantissa << (a.Exponent - low)) + (b.Mantissa << (b.Exponent - low));
        return FromRational(sum << Math.Max(0, low), low < 0 ? BigInteger.One << -low : BigInteger.One);
    }

    /// <summary>C's "%.17Lf" with trailing zeros and a bare point cut; "-0" becomes "0".</summary>
    public string ToHumanString()
    {
        var scale = BigInteger.Pow(10, 17);
        var scaled = Exponent >= 0
            ? (Mantissa << Exponent) * scale
            : RoundHalfEven(Mantissa * scale, BigInteger.One << -Exponent);
        var negative = scaled.Sign < 0;
        var magnitude = BigInteger.Abs(scaled);
        var integer = BigInteger.DivRem(magnitude, scale, out var fraction);
        var text = integer.ToString(CultureInfo.InvariantCulture) + "." + fraction.ToString(CultureInfo.InvariantCulture).PadLeft(17, '0');
        text = text.TrimEnd('0').TrimEnd('.');
        return negative && text != "0" ? "-" + text : text;
    }

    private static ExtendedFloat FromRational(BigInteger numerator, BigInteger denominator)
    {
        if (numerator.IsZero) return new ExtendedFloat(BigInteger.Zero, 0);
        var negative = numerator.Sign < 0;
        var n = BigInteger.Abs(numerator);
        // Choose the binary exponent so the quotient has 64 bits: 2^63 <= n / d / 2^e < 2^64.
        var e = (int)(n.GetBitLength() - denominator.GetBitLength()) - MantissaBits;
        BigInteger mantissa;
        while (true)
        {
            mantissa = e >= 0 ? RoundHalfEven(n, denominator << e) : RoundHalfEven(n << -e, denominator);
            if (mantissa.GetBitLength() > MantissaBits) e++;
            else if (mantissa.GetBitLength() < MantissaBits) e--;
            else break;
        }
        return new ExtendedFloat(negative ? -mantissa : mantissa, e);
    }

    private static BigInteger RoundHalfEven(BigInteger numerator, BigInteger denominator)
    {
        var quotient = BigInteger.DivRem(BigInteger.Abs(numerator), denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven)) quotient++;
        return numerator.Sign < 0 ? -quotient : quotient;
    }
}
