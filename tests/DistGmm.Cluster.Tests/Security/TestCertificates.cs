using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistGmm.Cluster.Security;

namespace DistGmm.Cluster.Tests.Security;

/// <summary>A cluster CA and node certificates written to a temporary folder, as `distgmm certs` would.</summary>
internal sealed class TestCluster
{
    public string Directory { get; }
    public X509Certificate2 Ca { get; }

    public TestCluster(string caName)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("distgmm-tls-").FullName;
        Ca = ClusterCertificates.CreateCa(caName, TimeSpan.FromDays(30));
        ClusterCertificates.WriteCa(Ca, Path.Combine(Directory, "ca"));
    }

    public string CaPem => Path.Combine(Directory, "ca", ClusterCertificates.CaCertificateFile);

    /// <summary>Issues NAME's certificate (loopback SANs) and returns TLS settings pointing at its files.</summary>
    public TlsSettings Node(string name)
    {
        var node = ClusterCertificates.IssueNode(Ca, name, ["localhost"], [IPAddress.Loopback], TimeSpan.FromDays(7));
        var files = ClusterCertificates.WriteNode(node, Ca, Path.Combine(Directory, name), name);
        return new TlsSettings(true, files.Pfx, null, files.CaCertificatePem, false);
    }
}

internal static class SelfSigned
{
    /// <summary>A self-signed certificate with the node EKUs and a key: what someone without the cluster CA can make.</summary>
    public static X509Certificate2 Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
