using System.Security.Cryptography;
using System.Text;

namespace AkkaRaft.Host.Security;

/// <summary>
/// A configured secret (RESP password, admin token) kept as its SHA-256 digest. A candidate is hashed and the two fixed-size
/// digests are compared in constant time, so neither the time taken nor an early exit tells anything about the secret's
/// content or length.
/// </summary>
internal sealed class SecretDigest
{
    private readonly byte[] digest;

    /// <summary>Keeps the digest of <paramref name="secret"/> (UTF-8); an empty secret is refused.</summary>
    public SecretDigest(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        digest = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>True when <paramref name="candidate"/> (raw bytes) is the secret.</summary>
    public bool Matches(ReadOnlySpan<byte> candidate)
    {
        Span<byte> hashed = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(candidate, hashed);
        return CryptographicOperations.FixedTimeEquals(hashed, digest);
    }

    /// <summary>True when <paramref name="candidate"/> (as UTF-8) is the secret.</summary>
    public bool Matches(string candidate) => Matches(Encoding.UTF8.GetBytes(candidate));
}
