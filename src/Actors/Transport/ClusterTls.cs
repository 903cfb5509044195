using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace AkkaRaft.Actors.Transport;

/// <summary>
/// TLS between nodes with mutual authentication, pinned to the cluster's certificate. With
/// <c>akka.remote.dot-netty.tcp.enable-ssl = on</c> every node presents the certificate of
/// <c>akka.remote.dot-netty.tcp.ssl.certificate.path</c> (PKCS#12, <c>.password</c>) and accepts a peer only when the peer
/// presents that same certificate or one listed (SHA-256, hex) in <c>akka-raft.remote.trusted-certificates</c>; chains and
/// host names are not consulted, so a self-signed cluster certificate is enough and a certificate from any public CA is not.
/// A node without it can neither join nor deliver a single message: the TLS handshake fails before Akka reads a byte.
/// </summary>
internal static class ClusterTls
{
    /// <summary>Further peer certificates (SHA-256 fingerprints, hex) accepted besides the node's own, e.g. during a rotation.</summary>
    public const string TrustedCertificatesKey = "akka-raft.remote.trusted-certificates";

    /// <summary>Creates an actor system from <paramref name="config"/>, with pinned mutual TLS when the config turns TLS on.</summary>
    /// <param name="name">The actor system's name.</param>
    /// <param name="config">The node's full config.</param>
    /// <param name="onRefused">Told the fingerprint (or "none") and the peer address of every certificate refused (tests, metrics).</param>
    public static ActorSystem CreateSystem(string name, Config config, Action<string, string>? onRefused = null) =>
        ActorSystem.Create(name, Setup(config, onRefused));

    /// <summary>The setup <see cref="CreateSystem"/> uses: the config, and the TLS setup when TLS is on.</summary>
    /// <exception cref="ConfigurationException">TLS is on but the certificate is missing, unreadable or has no private key.</exception>
    public static ActorSystemSetup Setup(Config config, Action<string, string>? onRefused = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false)) return ActorSystemSetup.Create(bootstrap);
        var certificate = LoadCertificate(config);
        var trusted = config.GetStringList(TrustedCertificatesKey, [])
            .Select(Normalize).Append(Fingerprint(certificate)).ToImmutableHashSet(StringComparer.Ordinal);
        CertificateValidationCallback pinned = (peer, _, address, _, log) =>
        {
            var fingerprint = peer is null ? "none" : Fingerprint(peer);
            if (trusted.Contains(fingerprint)) return true;
            log?.Warning("refused a TLS peer at {0}: its certificate {1} is not the cluster's ({2})", address, fingerprint, TrustedCertificatesKey);
            onRefused?.Invoke(fingerprint, address);
            return false;
        };
        return ActorSystemSetup.Create(bootstrap,
            new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, pinned));
    }

    /// <summary>SHA-256 of the certificate's DER bytes, upper-case hex: what <see cref="TrustedCertificatesKey"/> lists.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawData));
    }

    private static string Normalize(string fingerprint) => fingerprint.Replace(":", "", StringComparison.Ordinal).Trim().ToUpperInvariant();

    private static X509Certificate2 LoadCertificate(Config config)
    {
        const string pathKey = "akka.remote.dot-netty.tcp.ssl.certificate.path";
        var path = config.GetString(pathKey, "");
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigurationException($"akka.remote.dot-netty.tcp.enable-ssl is on but {pathKey} is empty");
        var password = config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.password", "");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, string.IsNullOrEmpty(password) ? null : password);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{pathKey}: cannot load the cluster certificate from {path}: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey) throw new ConfigurationException($"{pathKey}: {path} holds no private key; a node must be able to prove it holds the certificate");
        return certificate;
    }
}
