namespace AkkaRaft.Host.Resp;

/// <summary>
/// Redis glob patterns (<c>stringmatchlen</c>): <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[a-z]</c>, <c>[^a]</c> and <c>\</c>
/// escapes, over bytes. Iterative with backtracking to the last star only, so a hostile pattern costs at most
/// pattern length × text length steps and no stack (Redis's own matcher recurses once per star).
/// </summary>
internal static class GlobPattern
{
    /// <summary>Longest pattern a command accepts; longer ones get <see cref="TooLongError"/> (bounds the work per match).</summary>
    public const int MaxLength = 1024;

    /// <summary>The error reply for a pattern over <see cref="MaxLength"/> bytes.</summary>
    public static string TooLongError(int length) => $"ERR pattern too long: {length} bytes, at most {MaxLength} are allowed";

    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>; ASCII letters fold when <paramref name="ignoreCase"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
    {
        // As in Redis: the empty string is matched by the empty pattern only (not even by "*").
        if (text.IsEmpty) return pattern.IsEmpty;
        int p = 0, s = 0;
        int resumeAt = -1, resumeText = 0; // the token after the last star seen, and where in the text it was tried
        while (s < text.Length)
        {
            if (p < pattern.Length && pattern[p] == (byte)'*')
            {
                while (p < pattern.Length && pattern[p] == (byte)'*') p++;
                if (p == pattern.Length) return true;
                (resumeAt, resumeText) = (p, s);
                continue;
            }
            var next = p < pattern.Length ? MatchOne(pattern, p, text[s], ignoreCase) : -1;
            if (next >= 0)
            {
                (p, s) = (next, s + 1);
                continue;
            }
            // Let the last star swallow one more byte; an earlier star cannot help (Redis's skipLongerMatches).
            if (resumeAt < 0) return false;
            (p, s) = (resumeAt, ++resumeText);
        }
        while (p < pattern.Length && pattern[p] == (byte)'*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches the single-byte token at <paramref name="p"/> (not a star) against <paramref name="c"/>: the next token's index, or -1.</summary>
    private static int MatchOne(ReadOnlySpan<byte> pattern, int p, byte c, bool ignoreCase)
    {
        switch (pattern[p])
        {
            case (byte)'?':
                return p + 1;
            case (byte)'[':
                return MatchClass(pattern, p + 1, c, ignoreCase);
            case (byte)'\\' when p + 1 < pattern.Length:
                return Same(pattern[p + 1], c, ignoreCase) ? p + 2 : -1;
            default:
                return Same(pattern[p], c, ignoreCase) ? p + 1 : -1;
        }
    }

    /// <summary>
    /// A class starting at <paramref name="i"/> (after its '['), read exactly as Redis reads it: a '\' escapes the next byte,
    /// "x-y" is a range in either order, an unterminated class runs to the end of the pattern.
    /// </summary>
    private static int MatchClass(ReadOnlySpan<byte> pattern, int i, byte c, bool ignoreCase)
    {
        var negated = i < pattern.Length && pattern[i] == (byte)'^';
        if (negated) i++;
        var matched = false;
        while (true)
        {
            if (i + 1 < pattern.Length && pattern[i] == (byte)'\\')
            {
                i++;
                matched |= Same(pattern[i], c, ignoreCase);
            }
            else if (i < pattern.Length && pattern[i] == (byte)']')
            {
                break;
            }
            else if (i >= pattern.Length)
            {
                i--; // unterminated: the class ends with the pattern
                break;
            }
            else if (i + 2 < pattern.Length && pattern[i + 1] == (byte)'-')
            {
                int start = pattern[i], end = pattern[i + 2], at = c;
                if (start > end) (start, end) = (end, start);
                if (ignoreCase) (start, end, at) = (Lower((byte)start), Lower((byte)end), Lower(c));
                matched |= at >= start && at <= end;
                i += 2;
            }
            else
            {
                matched |= Same(pattern[i], c, ignoreCase);
            }
            i++;
        }
        return matched != negated ? i + 1 : -1;
    }

    private static bool Same(byte a, byte b, bool ignoreCase) => a == b || (ignoreCase && Lower(a) == Lower(b));

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
}
