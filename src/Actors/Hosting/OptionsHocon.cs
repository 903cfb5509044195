using System.Globalization;
using System.Text;
using Akka.Configuration;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Hosting;

/// <summary>
/// The HOCON a typed options object renders to: one line per option that is set, remembering which option wrote which
/// key, so a settings error about that key can name the option.
/// </summary>
internal sealed class OptionsHocon(string optionsType)
{
    private readonly List<(string Option, string Key, string Value)> _lines = [];

    /// <summary>Adds <paramref name="key"/> = <paramref name="value"/> when <paramref name="value"/> is set.</summary>
    public OptionsHocon Set(string option, string key, object? value)
    {
        if (value is not null) _lines.Add((option, key, Render(value)));
        return this;
    }

    /// <summary>Whether any option under <paramref name="keyPrefix"/> is set.</summary>
    public bool HasAny(string keyPrefix) => _lines.Exists(l => l.Key.StartsWith(keyPrefix, StringComparison.Ordinal));

    /// <summary>The rendered config (empty when nothing is set).</summary>
    public Config ToConfig()
    {
        if (_lines.Count == 0) return Config.Empty;
        var text = new StringBuilder();
        foreach (var (_, key, value) in _lines) text.Append(key).Append(" = ").Append(value).Append('\n');
        return ConfigurationFactory.ParseString(text.ToString());
    }

    /// <summary>Runs <paramref name="validate"/>; a settings error about a key an option set is reported as that option's error.</summary>
    public void Validate(Action validate)
    {
        try
        {
            validate();
        }
        catch (RaftSettingsException e) when (_lines.FindLast(l => l.Key == e.Key) is { Option: not null } line)
        {
            throw new AkkaRaftOptionsException($"{optionsType}.{line.Option}", e.Key, e.Value, e.Reason, e);
        }
    }

    /// <summary>An error about <paramref name="option"/> found before rendering (e.g. a node id of 0).</summary>
    public AkkaRaftOptionsException Fail(string option, string key, object value, string reason) =>
        new($"{optionsType}.{option}", key, Render(value), reason);

    private static string Render(object value) => value switch
    {
        string s => Quote(s),
        bool b => b ? "on" : "off",
        TimeSpan t => Duration(t),
        IEnumerable<string> list => "[" + string.Join(", ", list.Select(Quote)) + "]",
        IEnumerable<ulong> list => "[" + string.Join(", ", list.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"cannot render {value.GetType().Name} as HOCON", nameof(value)),
    };

    // Whole milliseconds when exact, else microseconds; a negative or zero duration is left for the settings reader to refuse.
    private static string Duration(TimeSpan t) =>
        t.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? $"{(t.Ticks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture)}ms"
            : $"{(t.Ticks / (TimeSpan.TicksPerMillisecond / 1000)).ToString(CultureInfo.InvariantCulture)}us";

    // HOCON quoted string: escape backslashes (Windows paths) and quotes.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
