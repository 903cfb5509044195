using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using AkkaRaft.Actors.Settings;
using HyperionSerializer = Hyperion.Serializer;
using HyperionOptions = Hyperion.SerializerOptions;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Hyperion serializer that only writes and reads types on an allow-list of type-name prefixes
/// (akka-raft.serialization.allowed-type-prefixes) and refuses Hyperion's known unsafe types.
/// </summary>
/// <remarks>
/// No type from the wire is trusted: the filter runs before Hyperion loads a type named in the
/// payload, and the deserialized root is checked again, so garbage that happens to decode as a
/// primitive is refused too. Every failure surfaces as <see cref="SerializationException"/>.
/// </remarks>
public sealed class AllowListHyperionSerializer : Serializer
{
    /// <summary>HOCON key (under the system config) holding the allowed prefixes.</summary>
    public const string AllowedPrefixesKey = "akka-raft.serialization.allowed-type-prefixes";

    // Hyperion's wire format for a root object (no known types, no version tolerance):
    // 0xFF, int32 little-endian length, UTF-8 type name, then the fields.
    private const byte HyperionManifestFull = 255;
    private const int MaxTypeNameBytes = 1024;

    private readonly HyperionSerializer _hyperion;

    /// <summary>Created by Akka from akka.actor.serializers; reads the allow-list from the system config (reference.conf as fallback).</summary>
    public AllowListHyperionSerializer(ExtendedActorSystem system)
        : this(system, ReadPrefixes(system.Settings.Config))
    {
    }

    /// <summary>Created by Akka when akka.actor.serialization-settings.akka-raft-hyperion exists; its allowed-type-prefixes win.</summary>
    public AllowListHyperionSerializer(ExtendedActorSystem system, Config serializerSettings)
        : this(system, serializerSettings.HasPath("allowed-type-prefixes")
            ? serializerSettings.GetStringList("allowed-type-prefixes")
            : ReadPrefixes(system.Settings.Config))
    {
    }

    /// <summary>Creates the serializer with an explicit allow-list.</summary>
    public AllowListHyperionSerializer(ExtendedActorSystem system, IEnumerable<string> allowedTypePrefixes)
        : base(system)
    {
        Filter = new TypeNamePrefixFilter(allowedTypePrefixes);
        _hyperion = new HyperionSerializer(HyperionOptions.Default
            .WithDisallowUnsafeType(true)
            .WithTypeFilter(Filter)
            // Object references and version tolerance widen what a payload can express; not needed.
            .WithPreserveObjectReferences(false)
            .WithVersionTolerance(false));
    }

    /// <summary>The allow-list in force.</summary>
    public TypeNamePrefixFilter Filter { get; }

    /// <summary>Allowed prefixes, for diagnostics.</summary>
    public ImmutableArray<string> AllowedTypePrefixes => Filter.AllowedPrefixes;

    /// <summary>False: Hyperion writes the root type into the payload itself.</summary>
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = obj.GetType();
        if (!Filter.IsAllowedMessageType(type))
            throw new SerializationException($"Type '{type.FullName}' is not on the allow-list ({AllowedPrefixesKey}: {string.Join(", ", AllowedTypePrefixes)}); refusing to serialize it.");
        try
        {
            using var stream = new MemoryStream();
            _hyperion.Serialize(obj, stream);
            return stream.ToArray();
        }
        catch (Exception e) when (e is not SerializationException)
        {
            throw new SerializationException($"Hyperion could not serialize '{type.FullName}': {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        CheckRootHeader(bytes);
        object? result;
        try
        {
            using var stream = new EndCheckedReadStream(bytes);
            result = _hyperion.Deserialize(stream);
            if (stream.Position != bytes.Length)
                throw new SerializationException($"{bytes.Length - stream.Position} trailing bytes after the message.");
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
        {
            throw new SerializationException($"Cannot deserialize {bytes.Length} bytes with the allow-list Hyperion serializer: {e.GetType().Name}: {e.Message}", e);
        }
        catch (OutOfMemoryException e)
        {
            // A forged length prefix asked for a huge buffer; the payload is garbage, not a real OOM.
            throw new SerializationException($"Cannot deserialize {bytes.Length} bytes: a length field asks for more memory than available (corrupt payload).", e);
        }

        if (result is null)
            throw new SerializationException($"Deserializing {bytes.Length} bytes produced null; messages are never null.");
        var actual = result.GetType();
        if (!Filter.IsAllowedMessageType(actual))
            throw new SerializationException($"Deserialized type '{actual.FullName}' is not on the allow-list ({AllowedPrefixesKey}); refusing it.");
        return result;
    }

    // Cheap structural check before Hyperion allocates anything: a message is always an object
    // with a short type name. Without it a forged root length makes Hyperion allocate up to 2 GiB.
    private static void CheckRootHeader(byte[] bytes)
    {
        if (bytes.Length < 5 || bytes[0] != HyperionManifestFull)
            throw new SerializationException($"Not an allow-list Hyperion message: {bytes.Length} bytes without an object header (first byte {(bytes.Length > 0 ? bytes[0] : -1)}).");
        var nameLength = BitConverter.ToInt32(bytes, 1);
        if (nameLength <= 0 || nameLength > MaxTypeNameBytes || nameLength > bytes.Length - 5)
            throw new SerializationException($"Not an allow-list Hyperion message: type name length {nameLength} is impossible for a {bytes.Length}-byte payload.");
    }

    private static IEnumerable<string> ReadPrefixes(Config systemConfig)
    {
        var config = systemConfig.WithFallback(RaftReferenceConfig.Value);
        return config.GetStringList(AllowedPrefixesKey);
    }
}
