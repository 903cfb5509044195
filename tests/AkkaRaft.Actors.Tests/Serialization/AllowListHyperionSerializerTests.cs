using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Settings;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Serialization;

/// <summary>An allowed message: lives under the "AkkaRaft." prefix.</summary>
public sealed record SampleCommand(string Key, long Index, byte[] Payload, ImmutableList<string> Tags) : IRaftRemoteMessage;

/// <summary>An allowed envelope that can smuggle any object inside.</summary>
public sealed record Envelope(object Inner) : IRaftRemoteMessage;

public sealed class AllowListHyperionSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public AllowListHyperionSerializerTests(ITestOutputHelper output)
        : base(RaftReferenceConfig.Value, nameof(AllowListHyperionSerializerTests), output)
    {
        _output = output;
    }

    private ExtendedActorSystem ExtendedSystem => (ExtendedActorSystem)Sys;

    private AllowListHyperionSerializer Strict() => new(ExtendedSystem, ["AkkaRaft."]);

    [Fact]
    public void Reference_conf_binds_remote_messages_to_the_serializer_with_fixed_id_4711()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new Envelope("x"));

        var allowList = Assert.IsType<AllowListHyperionSerializer>(serializer);
        Assert.Equal(4711, allowList.Identifier);
        Assert.False(allowList.IncludeManifest);
        Assert.Contains("AkkaRaft.", allowList.AllowedTypePrefixes);
    }

    [Fact]
    public void Allowed_record_round_trips_through_the_actor_system_serialization()
    {
        var command = new SampleCommand("user:42", 17, [1, 2, 3, 255], ["a", "b"]);
        var serializer = Sys.Serialization.FindSerializerFor(command);

        var copy = Assert.IsType<SampleCommand>(serializer.FromBinary(serializer.ToBinary(command), typeof(SampleCommand)));

        Assert.Equal(command.Key, copy.Key);
        Assert.Equal(command.Index, copy.Index);
        Assert.Equal(command.Payload, copy.Payload);
        Assert.Equal(command.Tags, copy.Tags);
    }

    [Fact]
    public void Serializing_a_type_outside_the_allow_list_fails_with_a_clear_error()
    {
        var error = Assert.Throws<SerializationException>(() => Strict().ToBinary(new FileInfo("/etc/passwd")));

        Assert.Contains("System.IO.FileInfo", error.Message);
        Assert.Contains("not on the allow-list", error.Message);
    }

    [Fact]
    public void Payload_naming_a_type_outside_the_allow_list_is_refused_before_the_type_is_used()
    {
        // A permissive peer (or an attacker) writes a type we do not allow inside an allowed envelope.
        var permissive = new AllowListHyperionSerializer(ExtendedSystem, ["AkkaRaft.", "Intruder."]);
        var bytes = permissive.ToBinary(new Envelope(new Intruder.NotOnTheList("rm -rf /")));

        var error = Assert.Throws<SerializationException>(() => Strict().FromBinary(bytes, null));

        _output.WriteLine(error.Message);
        Assert.Contains("Intruder.NotOnTheList", error.ToString());
    }

    [Fact]
    public void Root_type_outside_the_allow_list_is_refused_on_read()
    {
        var permissive = new AllowListHyperionSerializer(ExtendedSystem, ["AkkaRaft.", "Intruder."]);
        var bytes = permissive.ToBinary(new Intruder.NotOnTheList("x"));

        var error = Assert.Throws<SerializationException>(() => Strict().FromBinary(bytes, null));

        Assert.Contains("Intruder.NotOnTheList", error.ToString());
    }

    [Fact]
    public void Generic_argument_outside_the_allow_list_is_refused_even_if_the_collection_is_allowed()
    {
        var filter = new TypeNamePrefixFilter(["AkkaRaft.", "System.Collections.Generic.List`1"]);

        Assert.True(filter.IsAllowed(typeof(List<SampleCommand>)));
        Assert.True(filter.IsAllowed(typeof(SampleCommand[])));
        Assert.True(filter.IsAllowed(typeof(List<SampleCommand>).AssemblyQualifiedName!));
        Assert.False(filter.IsAllowed(typeof(List<FileInfo>)));
        Assert.False(filter.IsAllowed(typeof(List<FileInfo>).AssemblyQualifiedName!));
        Assert.False(filter.IsAllowed(typeof(Dictionary<string, SampleCommand>)));
        Assert.False(filter.IsAllowed(""));
    }

    [Fact]
    public async Task Random_bytes_always_fail_with_SerializationException_and_never_hang()
    {
        var seed = Environment.GetEnvironmentVariable("AKKARAFT_FUZZ_SEED") is { } fixedSeed
            ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        var serializer = Strict();
        var perCase = TimeSpan.FromSeconds(5);

        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[random.Next(0, 257)];
            random.NextBytes(bytes);
            object? result = null;
            Exception? failure = null;
            try
            {
                result = await Task.Run(() => serializer.FromBinary(bytes, null)).WaitAsync(perCase);
            }
            catch (TimeoutException)
            {
                // The serializer wraps everything it throws, so a TimeoutException can only be WaitAsync's.
                Assert.Fail($"case {i} did not finish within {perCase}; replay with AKKARAFT_FUZZ_SEED={seed}; bytes={Convert.ToHexString(bytes)}");
            }
            catch (Exception e)
            {
                failure = e;
            }

            Assert.True(failure is SerializationException,
                $"case {i}: expected SerializationException, got {(failure is null ? "success: " + result : failure.GetType().Name + ": " + failure.Message)}; replay with AKKARAFT_FUZZ_SEED={seed}; bytes={Convert.ToHexString(bytes)}");
        }
    }
}

public sealed class AllowListConfigurationTests
{
    [Fact]
    public async Task Allow_list_comes_from_akka_raft_serialization_in_the_system_config()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka-raft.serialization.allowed-type-prefixes = ["AkkaRaft.Actors.Tests.Serialization.Sample"]
            """).WithFallback(RaftReferenceConfig.Value);
        var system = ActorSystem.Create("allow-list-from-config", config);
        try
        {
            var serializer = Assert.IsType<AllowListHyperionSerializer>(system.Serialization.FindSerializerFor(new Envelope("x")));

            Assert.Equal(new[] { "AkkaRaft.Actors.Tests.Serialization.Sample" }, serializer.AllowedTypePrefixes.ToArray());
            Assert.Throws<SerializationException>(() => serializer.ToBinary(new Envelope("not on the narrowed list")));
            Assert.NotEmpty(serializer.ToBinary(new SampleCommand("k", 1, [], [])));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Serializer_specific_settings_override_the_akka_raft_allow_list()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.serialization-settings.akka-raft-hyperion.allowed-type-prefixes = ["AkkaRaft.Actors.Tests.Serialization.Envelope"]
            """).WithFallback(RaftReferenceConfig.Value);
        var system = ActorSystem.Create("allow-list-from-binding", config);
        try
        {
            var serializer = Assert.IsType<AllowListHyperionSerializer>(system.Serialization.FindSerializerFor(new Envelope("x")));

            Assert.Equal(new[] { "AkkaRaft.Actors.Tests.Serialization.Envelope" }, serializer.AllowedTypePrefixes.ToArray());
        }
        finally
        {
            await system.Terminate();
        }
    }
}
