using System.Text;

namespace AkkaRaft.Core.Regions;

/// <summary>Renders keys for messages and logs: printable ASCII as is, other bytes as \xNN, always quoted.</summary>
internal static class KeyText
{
    /// <summary>Quotes a key, e.g. <c>"m"</c> or <c>"\x00\xff"</c>; an empty key renders as <c>""</c>.</summary>
    public static string Quote(ReadOnlySpan<byte> key) => '"' + Escape(key) + '"';

    /// <summary>The key without quotes: printable ASCII as is, other bytes (and quote, backslash) as \xNN.</summary>
    public static string Escape(ReadOnlySpan<byte> key)
    {
        var text = new StringBuilder(key.Length);
        foreach (var b in key)
        {
            if (b is >= 0x20 and < 0x7f && b != (byte)'"' && b != (byte)'\\') text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Renders a half-open range, e.g. <c>["", "m")</c>.</summary>
    public static string Range(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) => $"[{Quote(start)}, {Quote(end)})";
}
