using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

using HyperionSerializer = Hyperion.Serializer;
using HyperionOptions = Hyperion.SerializerOptions;

namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// Hyperion for the messages that cross nodes (<see cref="IRaftRemoteMessage"/>), configured like Akka.Serialization.Hyperion
/// (<c>akka.actor.serialization-settings.akka-raft-hyperion</c>, read by its <see cref="HyperionSerializerSettings"/>): its
/// <c>allowed-types</c> filter names exactly the remote message types, so a payload naming any other type is refused
/// before that type is loaded, and unsafe types are refused as well.
/// </summary>
/// <remarks>
/// On top of the package: a root that is not an allowed message type is refused on write and on read; the root's type
/// name is bounds-checked before Hyperion allocates for it; reads past the end of the payload fail at once (Hyperion
/// trusts forged counts and would spin over an exhausted MemoryStream); trailing bytes are refused; every failure is a
/// <see cref="SerializationException"/>.
/// </remarks>
internal sealed partial class RemoteMessageSerializer : Akka.Serialization.Serializer
{
    /// <summary>Identifier written next to every payload; never change it once data exists.</summary>
    public const int SerializerId = 4711;

    // Hyperion's wire format for a root object without known types or version tolerance: 0xFF, int32 length, UTF-8 type name, fields.
    private const byte HyperionManifestFull = 255;
    private const int MaxTypeNameBytes = 1024;

    private readonly HyperionSerializer _hyperion;
    private readonly HashSet<Type> _allowed;

    /// <summary>Created by Akka from akka.actor.serializers with the serializer's own settings section.</summary>
    public RemoteMessageSerializer(ExtendedActorSystem system, Config config)
        : this(system, HyperionSerializerSettings.Create(config), AllowedTypes(config))
    {
    }

    private RemoteMessageSerializer(ExtendedActorSystem system, HyperionSerializerSettings settings, HashSet<Type> allowed)
        : base(system)
    {
        if (allowed.Count == 0) throw new ConfigurationException("akka-raft-hyperion.allowed-types is empty: no remote message could travel");
        if (!settings.DisallowUnsafeType) throw new ConfigurationException("akka-raft-hyperion.disallow-unsafe-type must stay on: remote peers must not name unsafe types");
        _allowed = allowed;
        Settings = settings;
        _hyperion = new HyperionSerializer(new HyperionOptions(
            settings.VersionTolerance, settings.PreserveObjectReferences, settings.Surrogates, serializerFactories: null, knownTypes: null,
            ignoreISerializable: true, settings.PackageNameOverrides, disallowUnsafeTypes: true, new ShortNameTypeFilter(settings.TypeFilter)));
    }

    /// <summary>The package's settings in force (type filter, flags).</summary>
    public HyperionSerializerSettings Settings { get; }

    /// <summary>The exact types a payload may carry (from <c>allowed-types</c>).</summary>
    public IReadOnlyCollection<Type> AllowedTypes() => _allowed;

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>False: Hyperion writes the root type into the payload itself.</summary>
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = obj.GetType();
        if (!_allowed.Contains(type))
            throw new SerializationException($"Type '{type.FullName}' is not a remote message type (akka-raft-hyperion.allowed-types); refusing to serialize it.");
        try
        {
            using var stream = new MemoryStream();
            _hyperion.Serialize(obj, stream);
            return stream.ToArray();
        }
        catch (Exception e) when (e is not (SerializationException or OutOfMemoryException))
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
        catch (OutOfMemoryException e)
        {
            // A forged length asked for a huge buffer; the payload is garbage, not a real OOM.
            throw new SerializationException($"Cannot deserialize {bytes.Length} bytes: a length field asks for more memory than available (corrupt payload).", e);
        }
        catch (Exception e) when (e is not StackOverflowException)
        {
            throw new SerializationException($"Cannot deserialize {bytes.Length} bytes as a remote message: {e.GetType().Name}: {e.Message}", e);
        }

        if (result is null)
            throw new SerializationException($"Deserializing {bytes.Length} bytes produced null; messages are never null.");
        if (!_allowed.Contains(result.GetType()))
            throw new SerializationException($"Deserialized type '{result.GetType().FullName}' is not a remote message type; refusing it.");
        return result;
    }

    // Cheap structural check before Hyperion allocates anything: a message is an object with a short type name.
    // Without it a forged root length makes Hyperion allocate up to 2 GiB.
    private static void CheckRootHeader(byte[] bytes)
    {
        if (bytes.Length < 5 || bytes[0] != HyperionManifestFull)
            throw new SerializationException($"Not a remote message: {bytes.Length} bytes without an object header (first byte {(bytes.Length > 0 ? bytes[0] : -1)}).");
        var nameLength = BitConverter.ToInt32(bytes, 1);
        if (nameLength <= 0 || nameLength > MaxTypeNameBytes || nameLength > bytes.Length - 5)
            throw new SerializationException($"Not a remote message: type name length {nameLength} is impossible for a {bytes.Length}-byte payload.");
    }

    /// <summary>
    /// Hyperion 0.12.2 asks the filter with the short name when it reads a payload but with the full assembly-qualified
    /// name (version, culture, key) when it writes one, and the package's filter holds short names only, so every write
    /// was refused. This passes the package's filter the short name in both cases.
    /// </summary>
    private sealed partial class ShortNameTypeFilter(Hyperion.ITypeFilter inner) : Hyperion.ITypeFilter
    {
        public bool IsAllowed(string typeName) => inner.IsAllowed(AssemblyDetails().Replace(typeName, ""));

        [System.Text.RegularExpressions.GeneratedRegex(@", Version=[^,\]]+, Culture=[^,\]]+, PublicKeyToken=[^,\]]+")]
        private static partial System.Text.RegularExpressions.Regex AssemblyDetails();
    }

    private static HashSet<Type> AllowedTypes(Config config)
    {
        var allowed = new HashSet<Type>();
        foreach (var name in config.GetStringList("allowed-types"))
        {
            allowed.Add(Type.GetType(name) ?? throw new ConfigurationException($"akka-raft-hyperion.allowed-types: cannot load type [{name}]"));
        }
        return allowed;
    }
}
