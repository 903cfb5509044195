using System.Collections.Immutable;
using Hyperion;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Hyperion type filter that admits a type name only if it and every type named inside it
/// (generic arguments, array element types) start with an allowed prefix or is a core value type.
/// </summary>
/// <remarks>
/// Hyperion's own TypeFilterBuilder admits an exact, closed set of types, which would have to be
/// enumerated at start-up; prefixes let every type of our own assemblies through while checking
/// generic arguments, so List`1 of an arbitrary type is still refused.
/// </remarks>
public sealed class TypeNamePrefixFilter : ITypeFilter
{
    /// <summary>Creates a filter over <paramref name="allowedPrefixes"/> (ordinal, case-sensitive).</summary>
    public TypeNamePrefixFilter(IEnumerable<string> allowedPrefixes)
    {
        ArgumentNullException.ThrowIfNull(allowedPrefixes);
        AllowedPrefixes = allowedPrefixes.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()).ToImmutableArray();
        if (AllowedPrefixes.IsEmpty)
            throw new ArgumentException("At least one allowed type-name prefix is required.", nameof(allowedPrefixes));
    }

    /// <summary>
    /// Behaviour-free core types always allowed by exact name (they appear as generic arguments,
    /// e.g. ImmutableList`1[[System.String, ...]]); allowing "System." by prefix would admit everything.
    /// </summary>
    public static readonly ImmutableHashSet<string> CoreValueTypes = ImmutableHashSet.Create(StringComparer.Ordinal,
        "System.String", "System.Boolean", "System.Char", "System.Byte", "System.SByte",
        "System.Int16", "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64",
        "System.Single", "System.Double", "System.Decimal", "System.Guid",
        "System.DateTime", "System.DateTimeOffset", "System.TimeSpan", "System.Nullable`1");

    /// <summary>The allowed type-name prefixes.</summary>
    public ImmutableArray<string> AllowedPrefixes { get; }

    /// <summary>True if every type named in <paramref name="typeName"/> (assembly-qualified or not) is allowed.</summary>
    public bool IsAllowed(string typeName)
    {
        if (string.IsNullOrWhiteSpace(typeName))
            return false;
        foreach (var name in NamedTypes(typeName))
        {
            if (!CoreValueTypes.Contains(name) && !AllowedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
                return false;
        }
        return true;
    }

    /// <summary>True if <paramref name="type"/> and all of its generic arguments / element types are allowed.</summary>
    public bool IsAllowed(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return IsAllowed(type.FullName ?? type.Name);
    }

    /// <summary>True if <paramref name="type"/> may be a whole message: its own name matches a prefix (core value types alone are not messages) and everything inside it is allowed.</summary>
    public bool IsAllowedMessageType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var name = type.FullName ?? type.Name;
        return AllowedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) && IsAllowed(name);
    }

    // Splits "Outer`1[[Arg, Asm],[Arg2[], Asm]], OuterAsm" into "Outer`1", "Arg", "Arg2".
    // A name starts at the beginning or right after a '[' that opens a type argument; it ends at
    // the first ',', '[' or ']'. "[]" and "[,]" are array ranks, not names.
    internal static IEnumerable<string> NamedTypes(string typeName)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < typeName.Length; i++)
        {
            if (typeName[i] != '[' || i + 1 >= typeName.Length)
                continue;
            var next = typeName[i + 1];
            if (next is not ('[' or ']' or ',' or '*'))
                starts.Add(i + 1);
        }

        foreach (var start in starts)
        {
            var end = typeName.IndexOfAny([',', '[', ']'], start);
            var name = (end < 0 ? typeName[start..] : typeName[start..end]).Trim();
            if (name.Length > 0)
                yield return name;
        }
    }
}
