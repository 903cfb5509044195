using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Regions;
using Xunit;
using Xunit.Abstractions;
using HyperionSerializer = Hyperion.Serializer;

namespace AkkaRaft.Actors.Tests.Serialization;

/// <summary>A test type that says it crosses nodes but is not on the allow-list.</summary>
public sealed record NotListedMessage(string Key) : IRaftRemoteMessage;

/// <summary>The control-plane serializer: Akka.Serialization.Hyperion's exact type filter, and garbage that never decodes.</summary>
public sealed class RemoteMessageSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public RemoteMessageSerializerTests(ITestOutputHelper output)
        : base(RaftReferenceConfig.Value, nameof(RemoteMessageSerializerTests), output)
    {
        _output = output;
    }

    private RemoteMessageSerializer Serializer => Assert.IsType<RemoteMessageSerializer>(Sys.Serialization.FindSerializerFor(new StoreHello(1)));

    // What a peer without our filter (or an attacker) can write: plain Hyperion, any type.
    private static byte[] Unfiltered(object message)
    {
        using var stream = new MemoryStream();
        new HyperionSerializer(Hyperion.SerializerOptions.Default.WithVersionTolerance(false).WithPreserveObjectReferences(false)).Serialize(message, stream);
        return stream.ToArray();
    }

    [Fact]
    public void Reference_conf_binds_remote_messages_to_the_package_configured_serializer_with_fixed_id_4711()
    {
        var serializer = Serializer;

        Assert.Equal(4711, serializer.Identifier);
        Assert.False(serializer.IncludeManifest);
        Assert.True(serializer.Settings.DisallowUnsafeType);
        Assert.IsType<Hyperion.TypeFilter>(serializer.Settings.TypeFilter);
    }

    [Fact]
    public void The_allow_list_is_exactly_the_remote_message_types_and_the_records_they_carry()
    {
        var roots = typeof(IRaftRemoteMessage).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IRaftRemoteMessage).IsAssignableFrom(t));
        var remote = new HashSet<Type>();
        foreach (var root in roots) Reach(root, remote);

        var allowed = Serializer.AllowedTypes().ToHashSet();

        Assert.Empty(remote.Except(allowed).Select(t => t.FullName)); // a new remote message must be listed in reference.conf
        Assert.Empty(allowed.Except(remote).Select(t => t.FullName)); // and nothing else may be
        var filter = Serializer.Settings.TypeFilter;
        Assert.DoesNotContain(typeof(AkkaRaft.Actors.Runtime.CreateGroup), allowed);
        Assert.False(filter.IsAllowed("AkkaRaft.Actors.Runtime.CreateGroup, AkkaRaft.Actors"));
        Assert.True(filter.IsAllowed("AkkaRaft.Actors.Regions.StoreHello, AkkaRaft.Actors"));
    }

    /// <summary>A type and what Hyperion names when it writes one: our records, their arrays and enums (primitives, strings and byte arrays need no name).</summary>
    private static void Reach(Type type, HashSet<Type> seen)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        if (inner.IsPrimitive || inner == typeof(string) || inner == typeof(byte[]) || inner == typeof(ulong[])) return;
        if (!seen.Add(inner) || inner.IsEnum) return;
        if (inner.IsArray)
        {
            Reach(inner.GetElementType()!, seen);
            return;
        }
        foreach (var property in inner.GetProperties().Where(p => p.DeclaringType == inner && p.GetIndexParameters().Length == 0 && p.CanWrite))
        {
            Reach(property.PropertyType, seen);
        }
    }

    [Fact]
    public void A_forged_type_name_is_refused_before_the_type_is_used()
    {
        var intruder = Unfiltered(new Intruder.NotOnTheList("rm -rf /"));
        var ownButNotRemote = Unfiltered(new AkkaRaft.Core.Raft.HardState(1, 2, 3));

        var refusedIntruder = Assert.Throws<SerializationException>(() => Serializer.FromBinary(intruder, null));
        var refusedOwn = Assert.Throws<SerializationException>(() => Serializer.FromBinary(ownButNotRemote, null));

        _output.WriteLine(refusedIntruder.Message);
        Assert.Contains("Intruder.NotOnTheList", refusedIntruder.ToString());
        Assert.Contains("AkkaRaft.Core.Raft.HardState", refusedOwn.ToString());
    }

    [Fact]
    public void A_listed_type_name_with_its_name_swapped_for_another_type_is_refused()
    {
        var bytes = Serializer.ToBinary(new StoreHello(7));
        var text = Encoding.UTF8.GetString(bytes);
        // Same length, another type of the same assembly: "StoreHello" -> "GroupStatu" would not load; use a real one.
        var forged = Encoding.UTF8.GetBytes(text.Replace("AkkaRaft.Actors.Regions.StoreHello", "AkkaRaft.Actors.Runtime.NodeHello ", StringComparison.Ordinal));

        Assert.Throws<SerializationException>(() => Serializer.FromBinary(forged, null));
    }

    [Fact]
    public void Serializing_a_type_that_is_not_on_the_list_fails_with_a_clear_error()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.ToBinary(new NotListedMessage("k")));

        Assert.Contains(nameof(NotListedMessage), error.Message);
        Assert.Contains("allowed-types", error.Message);
    }

    [Fact]
    public async Task Random_bytes_always_fail_with_SerializationException_and_never_hang()
    {
        var seed = Environment.GetEnvironmentVariable("AKKARAFT_FUZZ_SEED") is { } fixedSeed
            ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        var serializer = Serializer;
        var perCase = TimeSpan.FromSeconds(5);

        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[random.Next(0, 257)];
            random.NextBytes(bytes);
            var failure = await FailureOfAsync(serializer, bytes, perCase, $"case {i}; replay with AKKARAFT_FUZZ_SEED={seed}");
            Assert.True(failure is SerializationException,
                $"case {i}: expected SerializationException, got {failure?.GetType().Name ?? "success"}; replay with AKKARAFT_FUZZ_SEED={seed}; bytes={Convert.ToHexString(bytes)}");
        }
    }

    /// <summary>What FromBinary threw (null when it decoded a listed type); fails the test when it did not finish in time.</summary>
    private static async Task<Exception?> FailureOfAsync(RemoteMessageSerializer serializer, byte[] bytes, TimeSpan limit, string replay)
    {
        try
        {
            var result = await Task.Run(() => serializer.FromBinary(bytes, null)).WaitAsync(limit);
            Assert.Contains(result.GetType(), serializer.AllowedTypes());
            return null;
        }
        catch (TimeoutException)
        {
            // The serializer wraps everything it throws, so a TimeoutException can only be WaitAsync's.
            Assert.Fail($"did not finish within {limit}: {replay}; bytes={Convert.ToHexString(bytes)}");
            return null;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return e;
        }
    }
}
