using System.Net;
using System.Text;
using Akka.Configuration;
using AkkaRaft.Host.Hosting;
using AkkaRaft.Host.Security;

namespace AkkaRaft.Host.Tests;

/// <summary>Where the RESP password and the admin token come from, and how they are compared.</summary>
public sealed class SecretSourceTests : IDisposable
{
    private readonly string file = Path.GetTempFileName();

    public void Dispose() => File.Delete(file);

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void AFileBeatsTheEnvironmentWhichBeatsTheConfigWhichBeatsTheCommandLineValue()
    {
        File.WriteAllText(file, "from-file\n");
        var config = ConfigurationFactory.ParseString("akka-raft.host.password = from-config");
        var env = Environment(("AKKARAFT_PASSWORD", "from-env"));

        Assert.Equal("from-file", SecretSource.Password.Resolve(new FileInfo(file), "from-argument", config, env));
        Assert.Equal("from-env", SecretSource.Password.Resolve(null, "from-argument", config, env));
        Assert.Equal("from-config", SecretSource.Password.Resolve(null, "from-argument", config, Environment()));
        Assert.Equal("from-argument", SecretSource.Password.Resolve(null, "from-argument", null, Environment()));
        Assert.Null(SecretSource.Password.Resolve(null, null, null, Environment()));
    }

    [Fact]
    public void AFileNamedInTheConfigIsRead()
    {
        File.WriteAllText(file, "t0ken\r\n");
        var config = ConfigurationFactory.ParseString($"akka-raft.host.admin-token-file = \"{file.Replace("\\", "\\\\", StringComparison.Ordinal)}\"");

        Assert.Equal("t0ken", SecretSource.AdminToken.Resolve(null, null, config, Environment()));
    }

    [Fact]
    public void AnEmptyOrMissingSecretFileIsAClearErrorNotAnOpenServer()
    {
        File.WriteAllText(file, "\n");

        var empty = Assert.Throws<ArgumentException>(() => SecretSource.Password.Resolve(new FileInfo(file), null, null, Environment()));
        var missing = Assert.Throws<ArgumentException>(() => SecretSource.Password.Resolve(new FileInfo(file + ".missing"), null, null, Environment()));

        Assert.Contains("--password-file", empty.Message);
        Assert.Contains("empty", empty.Message);
        Assert.Contains("cannot read the password", missing.Message);
    }

    [Fact]
    public void TheEndpointTakesThePasswordTheTokenAndTheRespLimitsFromTheConfig()
    {
        var config = ConfigurationFactory.ParseString("""
            akka-raft.host { password = pw, admin-token = tk, max-clients = 50, idle-timeout = 300s }
            """);

        var endpoints = EndpointSecurity.Apply(new EndpointOptions(0, 0, null, IPAddress.Loopback), config, null, null, null, Environment());

        Assert.Equal("pw", endpoints.RespOptions().Password);
        Assert.Equal("tk", endpoints.AdminSecret);
        Assert.Equal(50, endpoints.RespOptions().MaxClients);
        Assert.Equal(TimeSpan.FromSeconds(300), endpoints.RespOptions().IdleTimeout);
        Assert.Equal("pw", EndpointSecurity.Apply(new EndpointOptions(0, 0, null, IPAddress.Loopback), null, "pw", null, null, Environment()).AdminSecret);
        Assert.Throws<ArgumentException>(() => EndpointSecurity.Apply(new EndpointOptions(0, 0, null, IPAddress.Loopback),
            ConfigurationFactory.ParseString("akka-raft.host.max-clients = 0"), null, null, null, Environment()));
    }

    [Fact]
    public void TheDigestMatchesOnlyTheSecretWhateverTheCandidateLength()
    {
        var digest = new SecretDigest("s3cret");

        Assert.True(digest.Matches("s3cret"));
        Assert.False(digest.Matches("s3cre"));
        Assert.False(digest.Matches("s3cret!"));
        Assert.False(digest.Matches(""));
        Assert.False(digest.Matches(Encoding.UTF8.GetBytes(new string('s', 10_000))));
    }
}
