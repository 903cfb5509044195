using System.Globalization;

namespace AkkaRaft.Host.Hosting;

/// <summary>Parses sizes such as "64KiB", "96MiB", "1GiB", "500kB" or "1048576" into bytes.</summary>
internal static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("kB", 1000), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1),
    ];

    /// <summary>Bytes, or a message saying why <paramref name="text"/> is not a size.</summary>
    public static bool TryParse(string text, out long bytes, out string? error)
    {
        bytes = 0;
        error = null;
        var trimmed = text.Trim();
        long factor = 1;
        foreach (var (suffix, unitFactor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = unitFactor;
                trimmed = trimmed[..^suffix.Length].Trim();
                break;
            }
        }
        if (!long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            error = $"'{text}' is not a size (examples: 64KiB, 96MiB, 1GiB, 1048576)";
            return false;
        }
        if (number > long.MaxValue / factor)
        {
            error = $"'{text}' is too large";
            return false;
        }
        bytes = number * factor;
        return true;
    }
}
