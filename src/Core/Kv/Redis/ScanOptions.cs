using System.Collections.Immutable;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>
/// HSCAN/SSCAN/ZSCAN's cursor, MATCH and COUNT. A collection lives in one region and is answered in one pass: cursor 0
/// returns every element (COUNT is a hint Redis also exceeds) and the next cursor 0; any other cursor returns nothing.
/// </summary>
internal sealed record ScanOptions(ulong Cursor, byte[]? Pattern)
{
    public bool Matches(byte[] item) => Pattern is null || RedisGlob.Matches(Pattern, item);

    /// <summary>Parses "key cursor [MATCH p] [COUNT n]"; null on an error (see <see cref="LastError"/>).</summary>
    public static ScanOptions? Parse(ImmutableArray<byte[]> a) => Check(a, out var options) is null ? options : null;

    /// <summary>The error of an argument vector <see cref="Parse"/> refused.</summary>
    public static KvResult LastError(ImmutableArray<byte[]> a) => Check(a, out _) ?? RedisErrors.Syntax;

    public static KvResult.ArrayResult Reply(List<KvResult> items) =>
        new([new KvResult.ValueResult("0"u8.ToArray()), new KvResult.ArrayResult(items)]);

    private static KvResult.ErrorResult? Check(ImmutableArray<byte[]> a, out ScanOptions? options)
    {
        options = null;
        if (!ulong.TryParse(System.Text.Encoding.ASCII.GetString(a[2]), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var cursor))
            return RedisErrors.Argument("ERR invalid cursor");
        byte[]? pattern = null;
        for (var i = 3; i < a.Length; i += 2)
        {
            if (i + 1 >= a.Length) return RedisErrors.Syntax;
            if (RedisArgs.Is(a[i], "MATCH")) pattern = a[i + 1];
            else if (RedisArgs.Is(a[i], "COUNT"))
            {
                if (!RedisArgs.TryInteger(a[i + 1], out var count)) return RedisErrors.NotInteger;
                if (count < 1) return RedisErrors.Syntax;
            }
            else return RedisErrors.Syntax;
        }
        options = new ScanOptions(cursor, pattern is null || (pattern.Length == 1 && pattern[0] == (byte)'*') ? null : pattern);
        return null;
    }
}

/// <summary>Redis's glob (stringmatchlen): <c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>[^a]</c>, <c>\x</c>; bytes compared exactly.</summary>
internal static class RedisGlob
{
    public static bool Matches(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, int depth = 0)
    {
        // Bounded recursion (Redis caps nesting the same way) so a pattern of many stars cannot exhaust the stack.
        if (depth > 1000) return false;
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == (byte)'*') pattern = pattern[1..];
                    if (pattern.Length == 1) return true;
                    for (var i = 0; i <= text.Length; i++)
                        if (Matches(pattern[1..], text[i..], depth + 1)) return true;
                    return false;
                case (byte)'?':
                    if (text.Length == 0) return false;
                    text = text[1..];
                    break;
                case (byte)'[':
                {
                    if (text.Length == 0) return false;
                    pattern = pattern[1..];
                    var not = pattern.Length > 0 && pattern[0] == (byte)'^';
                    if (not) pattern = pattern[1..];
                    var match = false;
                    while (pattern.Length > 0 && pattern[0] != (byte)']')
                    {
                        if (pattern[0] == (byte)'\\' && pattern.Length >= 2)
                        {
                            pattern = pattern[1..];
                            if (pattern[0] == text[0]) match = true;
                        }
                        else if (pattern.Length >= 3 && pattern[1] == (byte)'-')
                        {
                            var (lo, hi) = pattern[0] <= pattern[2] ? (pattern[0], pattern[2]) : (pattern[2], pattern[0]);
                            if (text[0] >= lo && text[0] <= hi) match = true;
                            pattern = pattern[2..];
                        }
                        else if (pattern[0] == text[0]) match = true;
                        pattern = pattern[1..];
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    text = text[1..];
                    if (pattern.Length == 0) return text.Length == 0; // unterminated class: Redis stops here
                    break;
                }
                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (text.Length == 0 || pattern[0] != text[0]) return false;
                    text = text[1..];
                    break;
                default:
                    if (text.Length == 0 || pattern[0] != text[0]) return false;
                    text = text[1..];
                    break;
            }
            pattern = pattern[1..];
        }
        return text.Length == 0;
    }
}
