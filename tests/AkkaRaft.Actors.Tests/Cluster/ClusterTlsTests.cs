using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Transport;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Cluster;

/// <summary>Mutual TLS pinned to the cluster's certificate: its holders form a cluster; a node with another certificate or none gets nowhere.</summary>
public sealed class ClusterTlsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const string Password = "pfx-pa55";
    private readonly string _dir = Directory.CreateTempSubdirectory("akkaraft-tls-").FullName;
    private readonly List<ActorSystem> _systems = [];

    /// <summary>A self-signed certificate allowed for server and client authentication, written as a password-protected PKCS#12 file.</summary>
    private string NewCertificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client authentication
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_dir, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return path;
    }

    private static Config NodeConfig(string? certificate) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = WARNING
          actor.provider = cluster
          remote.dot-netty.tcp {
            hostname = "127.0.0.1"
            port = 0
            enable-ssl = {{(certificate is null ? "off" : "on")}}
            ssl.certificate { path = "{{certificate?.Replace("\\", "\\\\", StringComparison.Ordinal)}}", password = "{{Password}}" }
          }
          cluster.downing-provider-class = ""
        }
        """);

    private ActorSystem Start(string name, string? certificate, Action<string, string>? onRefused = null)
    {
        var system = ClusterTls.CreateSystem("tls", NodeConfig(certificate), onRefused);
        _systems.Add(system);
        return system;
    }

    [Fact]
    public async Task Nodes_holding_the_cluster_certificate_form_a_cluster_and_a_node_without_it_cannot_join_or_deliver_a_message()
    {
        var clusterCertificate = NewCertificate("cluster");
        var refusals = new ConcurrentQueue<string>();
        var seed = Start("seed", clusterCertificate, (fingerprint, _) => refusals.Enqueue(fingerprint));
        var member = Start("member", clusterCertificate);
        var intruder = Start("intruder", NewCertificate("intruder"));
        var plain = Start("plain", null);
        var seedAddress = Akka.Cluster.Cluster.Get(seed).SelfAddress;
        var inbox = CreateTestProbe(seed);
        var raftPath = new RootActorPath(seedAddress) / "user" / "raft";
        seed.ActorOf(Props.Create(() => new Forwarder(inbox.Ref)), "raft");

        // A node without TLS speaks plain akka.tcp to the same port.
        var plainSeed = new Address("akka.tcp", seedAddress.System, seedAddress.Host, seedAddress.Port);

        Akka.Cluster.Cluster.Get(seed).Join(seedAddress);
        Akka.Cluster.Cluster.Get(intruder).Join(seedAddress);
        Akka.Cluster.Cluster.Get(plain).Join(plainSeed);
        intruder.ActorSelection(raftPath).Tell("forged raft batch from the intruder");
        plain.ActorSelection(new RootActorPath(plainSeed) / "user" / "raft").Tell("forged raft batch over plain tcp");

        // The seed refuses the intruder's certificate during the handshake.
        await AwaitConditionAsync(() => Task.FromResult(!refusals.IsEmpty), TimeSpan.FromSeconds(30));
        Assert.Contains(ClusterTls.Fingerprint(X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_dir, "intruder.pfx"), Password)), refusals);

        // A holder of the cluster certificate joins and its message arrives ...
        Akka.Cluster.Cluster.Get(member).Join(seedAddress);
        await AwaitAssertAsync(() => Assert.Equal(2, Akka.Cluster.Cluster.Get(seed).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)),
            TimeSpan.FromSeconds(30));
        member.ActorSelection(raftPath).Tell("raft batch from the member");
        inbox.ExpectMsg("raft batch from the member", TimeSpan.FromSeconds(15));

        // ... while the others never became members and nothing of theirs was delivered.
        var members = Akka.Cluster.Cluster.Get(seed).State.Members.Select(m => m.Address).ToList();
        Assert.DoesNotContain(Akka.Cluster.Cluster.Get(intruder).SelfAddress, members);
        Assert.DoesNotContain(Akka.Cluster.Cluster.Get(plain).SelfAddress, members);
        intruder.ActorSelection(raftPath).Tell("second forged raft batch");
        inbox.ExpectNoMsg(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Tls_on_without_a_usable_certificate_fails_start_up_with_a_clear_error()
    {
        var missing = Assert.Throws<ConfigurationException>(() => ClusterTls.Setup(NodeConfig(Path.Combine(_dir, "missing.pfx"))));
        var empty = Assert.Throws<ConfigurationException>(() => ClusterTls.Setup(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on")));

        Assert.Contains("cannot load the cluster certificate", missing.Message);
        Assert.Contains("ssl.certificate.path is empty", empty.Message);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Task.WhenAll(_systems.Select(s => s.Terminate())).Wait(TimeSpan.FromSeconds(15));
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder.
        }
        base.Dispose(disposing);
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(target.Forward);
    }
}
