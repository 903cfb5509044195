using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;
using AkkaRaft.Actors.Hosting;
using AkkaRaft.Core.Raft;

namespace AkkaRaft.Actors.Tests.PublicApi;

/// <summary>
/// The public API of the libraries users reference (AkkaRaft.Core, AkkaRaft.Actors) is pinned in api/*.txt: a change
/// to it fails here until the listing is regenerated (AKKARAFT_UPDATE_API=1 dotnet test --filter PublicApiTests), so
/// every addition to what users can touch is a deliberate, reviewed diff.
/// </summary>
public class PublicApiTests
{
    [Theory]
    [InlineData("AkkaRaft.Core")]
    [InlineData("AkkaRaft.Actors")]
    public void The_public_api_matches_its_listing(string assemblyName)
    {
        var assembly = assemblyName == "AkkaRaft.Core" ? typeof(IRaftStateMachine).Assembly : typeof(AkkaRaftOptions).Assembly;
        var actual = PublicApiListing.Of(assembly);
        var path = Path.Combine(RepositoryRoot(), "api", $"{assemblyName}.txt");
        if (Environment.GetEnvironmentVariable("AKKARAFT_UPDATE_API") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"{path} is missing: run with AKKARAFT_UPDATE_API=1 to create it");
        var listed = File.ReadAllText(path).ReplaceLineEndings("\n");
        var added = actual.Split('\n').Except(listed.Split('\n')).ToList();
        var removed = listed.Split('\n').Except(actual.Split('\n')).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"the public API of {assemblyName} differs from {path} (regenerate with AKKARAFT_UPDATE_API=1 if intended):\n" +
            string.Join("\n", added.Select(l => "+ " + l).Concat(removed.Select(l => "- " + l))));
    }

    [Fact]
    public void The_listing_names_members_with_their_signatures()
    {
        var listing = PublicApiListing.Of(typeof(AkkaRaftOptions).Assembly);
        Assert.Contains("class AkkaRaft.Actors.Hosting.AkkaRaftOptions", listing);
        Assert.Contains("  method System.Void Validate(Akka.Configuration.Config hocon)", listing);
        Assert.DoesNotContain("RaftGroupActor", listing);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AkkaRaft.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no AkkaRaft.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Renders the types and members an assembly exposes (public and protected), one per line, sorted.</summary>
internal static class PublicApiListing
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Of(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(Kind(type)).Append(' ').Append(Name(type));
            var bases = new[] { type.BaseType }.Where(b => b is not null && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
                .Concat(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic)).Select(t => Name(t!)).Order(StringComparer.Ordinal).ToList();
            if (bases.Count > 0) text.Append(" : ").AppendJoin(", ", bases);
            text.Append('\n');
            foreach (var member in type.GetMembers(Declared).Select(Member).Where(m => m is not null).Order(StringComparer.Ordinal))
                text.Append("  ").Append(member).Append('\n');
        }
        return text.ToString();
    }

    private static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate" : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : "class";

    private static string? Member(MemberInfo member) => member switch
    {
        ConstructorInfo c when Visible(c) => $"ctor({Parameters(c)})",
        MethodInfo m when Visible(m) && !m.IsSpecialName && m.GetCustomAttribute<CompilerGeneratedAttribute>() is null =>
            $"method {(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "")}({Parameters(m)})",
        PropertyInfo p when (p.GetMethod is { } g && Visible(g)) || (p.SetMethod is { } s && Visible(s)) =>
            $"property {((p.GetMethod ?? p.SetMethod)!.IsStatic ? "static " : "")}{Name(p.PropertyType)} {p.Name} {{{(p.GetMethod is { } get && Visible(get) ? " get;" : "")}{(p.SetMethod is { } set && Visible(set) ? (set.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? " init;" : " set;") : "")} }}",
        FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName =>
            f.DeclaringType!.IsEnum ? $"value {f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}" : $"field {(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}",
        EventInfo e when e.AddMethod is { } add && Visible(add) => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => null,
    };

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}"));

    private static string Name(Type type)
    {
        if (type.IsByRef) return Name(type.GetElementType()!);
        if (type.IsArray) return Name(type.GetElementType()!) + "[]";
        if (type.IsGenericParameter) return type.Name;
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Name(underlying) + "?";
        var name = type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : $"{type.Namespace}.{type.Name}";
        if (!type.IsGenericType) return name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        var own = type.GetGenericArguments().Skip(type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", own.Select(Name)) + ">";
    }
}
