using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;

namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Runs one Redis command against the keyspace: deterministic, so every replica answers the same.</summary>
internal delegate KvResult RedisExecutor(RedisKeyspace keyspace, ImmutableArray<byte[]> args);

/// <summary>
/// One Redis command of the typed keyspace: Redis-style <see cref="Arity"/> (negative = at least, the verb counted),
/// key positions (<see cref="LastKey"/> negative counts from the end), read or write, and its executor.
/// </summary>
public sealed class RedisCommandSpec
{
    internal RedisCommandSpec(string name, int arity, int firstKey, int lastKey, int step, bool isWrite, string group, string summary, RedisExecutor execute)
    {
        Name = name;
        Arity = arity;
        FirstKey = firstKey;
        LastKey = lastKey;
        Step = step;
        IsWrite = isWrite;
        Group = group;
        Summary = summary;
        Execute = execute;
    }

    /// <summary>Lower-case name (as COMMAND lists it and as error messages quote it).</summary>
    public string Name { get; }

    /// <summary>Redis arity: exact count, or at least |arity| when negative; the verb counts.</summary>
    public int Arity { get; }

    /// <summary>Position of the first key (1 = right after the verb).</summary>
    public int FirstKey { get; }

    /// <summary>Position of the last key; -1 = the last argument.</summary>
    public int LastKey { get; }

    /// <summary>Distance between keys.</summary>
    public int Step { get; }

    /// <summary>True for a write (proposed through the log); false for a read served on the leader.</summary>
    public bool IsWrite { get; }

    /// <summary>Redis's command group (hash, list, set, sorted-set, generic, string).</summary>
    public string Group { get; }

    /// <summary>One line for COMMAND DOCS.</summary>
    public string Summary { get; }

    internal RedisExecutor Execute { get; }

    /// <summary>True when <paramref name="argumentCount"/> (verb included) fits the arity.</summary>
    public bool ArityAccepts(int argumentCount) => Arity >= 0 ? argumentCount == Arity : argumentCount >= -Arity;
}

/// <summary>
/// The Redis commands of the typed keyspace (hashes, lists, sets, sorted sets, key and string commands beyond the
/// dedicated GET/SET/DEL/INCRBY/MSET records): verb → arity, key positions, read/write, executor. The RESP layer and the
/// router learn keys and read/write from here; the state machine runs the executor.
/// </summary>
public static partial class RedisCommandTable
{
    private static readonly FrozenDictionary<string, RedisCommandSpec> ByName = BuildAll()
        .ToFrozenDictionary(s => s.Name.ToUpperInvariant(), StringComparer.Ordinal);

    /// <summary>Every command, in name order.</summary>
    public static IReadOnlyList<RedisCommandSpec> All { get; } = [.. ByName.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>The command named <paramref name="verb"/> (any ASCII case), or null.</summary>
    public static RedisCommandSpec? Find(ReadOnlySpan<byte> verb)
    {
        if (verb.Length is 0 or > 24) return null;
        Span<char> upper = stackalloc char[verb.Length];
        for (var i = 0; i < verb.Length; i++)
        {
            var b = verb[i];
            upper[i] = (char)(b is >= (byte)'a' and <= (byte)'z' ? b - 32 : b);
        }
        return ByName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(upper, out var spec) ? spec : null;
    }

    /// <summary>The keys of an argument vector (verb first) by its command's key positions; none for an unknown verb or a short vector.</summary>
    public static IEnumerable<byte[]> KeysOf(ImmutableArray<byte[]> args)
    {
        if (args.IsDefaultOrEmpty || Find(args[0]) is not { } spec || spec.FirstKey == 0 || args.Length <= spec.FirstKey) return [];
        var last = spec.LastKey < 0 ? args.Length + spec.LastKey : Math.Min(spec.LastKey, args.Length - 1);
        var keys = new List<byte[]>();
        for (var i = spec.FirstKey; i <= last; i += spec.Step) keys.Add(args[i]);
        return keys;
    }

    /// <summary>
    /// The error Redis answers for these arguments before it looks at any data (arity, syntax, not a number), or null when
    /// the command must run against the data. Checked by running the executor on an empty keyspace: executors parse all
    /// their arguments before their first lookup, and mark the errors that come from arguments alone.
    /// </summary>
    public static string? ArgumentError(ImmutableArray<byte[]> args)
    {
        if (args.IsDefaultOrEmpty || Find(args[0]) is not { } spec) return null;
        if (!spec.ArityAccepts(args.Length)) return RedisErrors.WrongArity(spec.Name).Message;
        var scratch = new KvStateMachine(new Regions.Region(0, [], [], Regions.RegionEpoch.Initial, [])); // an empty keyspace spanning every key
        var result = spec.Execute(new RedisKeyspace(scratch, 0, 0, readOnly: false), args);
        return result is KvResult.ErrorResult { IsArgumentError: true } error ? error.Message : null;
    }

    private static RedisCommandSpec Read(string name, int arity, int firstKey, int lastKey, int step, string group, string summary, RedisExecutor execute) =>
        new(name, arity, firstKey, lastKey, step, false, group, summary, execute);

    private static RedisCommandSpec Write(string name, int arity, int firstKey, int lastKey, int step, string group, string summary, RedisExecutor execute) =>
        new(name, arity, firstKey, lastKey, step, true, group, summary, execute);

    private static IEnumerable<RedisCommandSpec> BuildAll() =>
        [.. HashCommands(), .. ListCommands(), .. SetCommands(), .. SortedSetCommands(), .. KeyCommands(), .. StringCommands()];

    internal static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
