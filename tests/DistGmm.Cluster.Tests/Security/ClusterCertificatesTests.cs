using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistGmm.Cluster.Security;
using Xunit;

namespace DistGmm.Cluster.Tests.Security;

public sealed class ClusterCertificatesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_CA_is_a_self_signed_CA_that_may_sign_leaf_certificates_only()
    {
        using var ca = ClusterCertificates.CreateCa("distgmm-ca", TimeSpan.FromDays(365), Now);

        Assert.Equal("CN=distgmm-ca", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.True(ca.HasPrivateKey);
        var constraints = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.HasPathLengthConstraint);
        Assert.Equal(0, constraints.PathLengthConstraint);
        var usage = Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Equal(Now.UtcDateTime.AddMinutes(-5), ca.NotBefore.ToUniversalTime());
        Assert.Equal(Now.UtcDateTime.AddDays(365), ca.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void A_node_certificate_names_the_node_and_the_given_DNS_names_and_IPs_and_allows_server_and_client_auth()
    {
        using var ca = ClusterCertificates.CreateCa("distgmm-ca", TimeSpan.FromDays(365), Now);
        using var node = ClusterCertificates.IssueNode(ca, "worker-1", ["worker-1.distgmm.svc", "WORKER-1"],
            [IPAddress.Parse("10.0.0.7"), IPAddress.IPv6Loopback], TimeSpan.FromDays(30), Now);

        Assert.Equal("CN=worker-1", node.Subject);
        Assert.Equal(ca.Subject, node.Issuer);
        Assert.True(node.HasPrivateKey);
        var san = Assert.Single(node.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["worker-1", "worker-1.distgmm.svc"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.0.0.7"), IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        var eku = Assert.Single(node.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.False(Assert.Single(node.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.Equal(Now.UtcDateTime.AddDays(30), node.NotAfter.ToUniversalTime());
        Assert.Null(new ClusterCaValidator(ca, new TlsRejections(), () => Now).Check(node));
    }

    [Fact]
    public void A_node_certificate_never_outlives_its_CA()
    {
        using var ca = ClusterCertificates.CreateCa("short-ca", TimeSpan.FromDays(10), Now);
        using var node = ClusterCertificates.IssueNode(ca, "n1", [], [], TimeSpan.FromDays(825), Now);
        Assert.Equal(ca.NotAfter, node.NotAfter);
    }

    [Fact]
    public void Written_keys_are_owner_only_and_the_CA_loads_back_and_signs()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-certs-").FullName;
        using var ca = ClusterCertificates.CreateCa("distgmm-ca", TimeSpan.FromDays(365));
        var caFiles = ClusterCertificates.WriteCa(ca, Path.Combine(dir, "ca"), pfxPassword: "s3cret");
        using var loaded = ClusterCertificates.LoadCa(Path.Combine(dir, "ca"));
        Assert.Equal(ca.Thumbprint, loaded.Thumbprint);
        using var node = ClusterCertificates.IssueNode(loaded, "coordinator", [], [], TimeSpan.FromDays(1));
        var nodeFiles = ClusterCertificates.WriteNode(node, loaded, Path.Combine(dir, "coordinator"), "coordinator");

        if (!OperatingSystem.IsWindows())
        {
            var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.Equal(ownerOnly, File.GetUnixFileMode(caFiles.KeyPem));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(caFiles.Pfx));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(nodeFiles.KeyPem));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(nodeFiles.Pfx));
            Assert.True(File.GetUnixFileMode(nodeFiles.CertificatePem).HasFlag(UnixFileMode.OtherRead)); // certificates are public
        }
        Assert.Equal(["ca.crt", "ca.key", "ca.pfx"], Directory.GetFiles(Path.Combine(dir, "ca")).Select(Path.GetFileName).Order());
        Assert.Equal(["ca.crt", "coordinator.crt", "coordinator.key", "coordinator.pfx"],
            Directory.GetFiles(Path.Combine(dir, "coordinator")).Select(Path.GetFileName).Order());
        using var fromPfx = X509CertificateLoader.LoadPkcs12FromFile(caFiles.Pfx, "s3cret");
        Assert.True(fromPfx.HasPrivateKey);
        using var nodePfx = X509CertificateLoader.LoadPkcs12FromFile(nodeFiles.Pfx, null);
        Assert.Equal(node.Thumbprint, nodePfx.Thumbprint);
        Assert.Equal(File.ReadAllText(caFiles.CertificatePem), File.ReadAllText(nodeFiles.CaCertificatePem!));
    }

    [Fact]
    public void Existing_files_are_not_overwritten_unless_asked()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-certs-").FullName;
        using var first = ClusterCertificates.CreateCa("a", TimeSpan.FromDays(1));
        using var second = ClusterCertificates.CreateCa("b", TimeSpan.FromDays(1));
        ClusterCertificates.WriteCa(first, dir);

        var e = Assert.Throws<IOException>(() => ClusterCertificates.WriteCa(second, dir));
        Assert.Equal($"{Path.Combine(dir, "ca.crt")}: already exists (refusing to overwrite; pass --force to replace it)", e.Message);
        Assert.Equal(first.Thumbprint, ClusterCertificates.LoadCa(dir).Thumbprint);

        ClusterCertificates.WriteCa(second, dir, overwrite: true);
        Assert.Equal(second.Thumbprint, ClusterCertificates.LoadCa(dir).Thumbprint);
        Assert.Equal(3, Directory.GetFiles(dir).Length); // no temporary files left behind
    }

    [Theory]
    [InlineData("")]
    [InlineData("-worker")]
    [InlineData("worker 1")]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    public void Invalid_names_are_refused(string name)
    {
        using var ca = ClusterCertificates.CreateCa("ca", TimeSpan.FromDays(1));
        var e = Assert.Throws<ArgumentException>(() => ClusterCertificates.IssueNode(ca, name, [], [], TimeSpan.FromDays(1)));
        Assert.StartsWith($"invalid node name '{name}'", e.Message);
    }

    [Fact]
    public void Only_a_CA_with_its_key_can_issue()
    {
        using var ca = ClusterCertificates.CreateCa("ca", TimeSpan.FromDays(1));
        using var node = ClusterCertificates.IssueNode(ca, "n1", [], [], TimeSpan.FromDays(1));
        using var publicOnly = X509CertificateLoader.LoadCertificate(ca.RawData);
        Assert.Contains("has no private key", Assert.Throws<ArgumentException>(() => ClusterCertificates.IssueNode(publicOnly, "n2", [], [], TimeSpan.FromDays(1))).Message);
        Assert.Contains("is not a CA certificate", Assert.Throws<ArgumentException>(() => ClusterCertificates.IssueNode(node, "n2", [], [], TimeSpan.FromDays(1))).Message);
    }
}
