using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace DistGmm.Cluster.Security;

/// <summary>
/// Accepts a TLS peer only if its certificate chains to the pinned cluster CA, is in date and allows both
/// server and client authentication. The operating system's trust store plays no part (a certificate from a
/// public CA is refused like a self-signed one), and host names are not compared: nodes are addressed by IP or
/// pod name, and possession of a CA-signed certificate is what admits a node. Every refusal is logged with
/// the peer and the reason, and counted.
/// </summary>
public sealed class ClusterCaValidator
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2 _ca;
    private readonly TlsRejections _rejections;
    private readonly Func<DateTimeOffset> _clock;

    public ClusterCaValidator(X509Certificate2 ca, TlsRejections rejections, Func<DateTimeOffset>? clock = null)
    {
        _ca = ca;
        _rejections = rejections;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>The hook Akka.Remote's DotNetty transport calls on both ends of every handshake.</summary>
    public CertificateValidationCallback Callback => Validate;

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        // `chain` and `errors` come from the OS trust store, which does not know the cluster CA: they are not used.
        var reason = Check(certificate);
        if (reason is null) return true;
        var subject = certificate is null ? "(none)" : $"{certificate.Subject} (issuer {certificate.Issuer}, thumbprint {certificate.Thumbprint})";
        _rejections.Record(new TlsRejection(_clock(), peer, subject, reason));
        log.Warning("TLS peer {0} refused: {1}; certificate {2}", peer, reason, subject);
        return false;
    }

    /// <summary>Null if the certificate is acceptable, else why not (one line).</summary>
    public string? Check(X509Certificate2? certificate)
    {
        if (certificate is null) return "no certificate presented";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // the cluster CA publishes no revocation list
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = _clock().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ServerAuthOid));
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthOid));
        var built = chain.Build(certificate);
        if (certificate.Thumbprint == _ca.Thumbprint) return "the peer presented the cluster CA certificate itself, not a node certificate";
        if (!built)
        {
            var statuses = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            if (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
                return $"self-signed certificate, not issued by the cluster CA '{_ca.Subject}' ({statuses})";
            if (chain.ChainStatus.Any(s => s.Status is X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot))
                return $"certificate issued by '{certificate.Issuer}', not by the cluster CA '{_ca.Subject}' ({statuses})";
            return $"certificate chain to the cluster CA is invalid: {statuses}";
        }
        var root = chain.ChainElements[^1].Certificate;
        if (root.Thumbprint != _ca.Thumbprint)
            return $"certificate chains to '{root.Subject}', not to the cluster CA '{_ca.Subject}'";
        return null;
    }
}
