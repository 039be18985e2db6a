using Akka.Configuration;
using DistGmm.Cluster.Security;
using Xunit;

namespace DistGmm.Cluster.Tests.Security;

public sealed class TlsSettingsTests
{
    [Fact]
    public void By_default_TLS_is_off_and_only_loopback_binds_are_allowed()
    {
        var tls = TlsSettings.FromConfig(Config.Empty);
        Assert.Equal(TlsSettings.Disabled, tls);
        Assert.True(tls.ToAkkaConfig().IsEmpty);

        foreach (var host in new[] { "127.0.0.1", "localhost", "127.0.1.1", "::1", "[::1]" })
            TlsSettings.EnsureTransportSecurity(host, tls, insecure: false);
        foreach (var host in new[] { "10.0.0.5", "worker-1.distgmm.svc", "0.0.0.0", "", null })
        {
            var e = Assert.Throws<TransportSecurityException>(() => TlsSettings.EnsureTransportSecurity(host, tls, insecure: false));
            Assert.Contains("akka.remote.dot-netty.tcp.hostname", e.Message);
            Assert.Contains("distgmm.tls.enabled = on", e.Message);
            Assert.Contains("--insecure", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void The_guard_message_names_the_host_and_the_settings()
    {
        var e = Assert.Throws<TransportSecurityException>(() => TlsSettings.EnsureTransportSecurity("10.0.0.5", TlsSettings.Disabled, false));
        Assert.Equal("refusing to bind akka.remote.dot-netty.tcp.hostname = 10.0.0.5 without TLS: set distgmm.tls.enabled = on " +
                     "(certificates: 'distgmm certs'), or pass --insecure (distgmm.tls.insecure = on) for a trusted network", e.Message);
    }

    [Fact]
    public void A_non_loopback_bind_is_allowed_with_TLS_or_when_told_insecure()
    {
        var insecureByConfig = TlsSettings.FromConfig(ConfigurationFactory.ParseString("distgmm.tls.insecure = on"));
        Assert.True(insecureByConfig.Insecure);
        TlsSettings.EnsureTransportSecurity("10.0.0.5", insecureByConfig, insecure: false);
        TlsSettings.EnsureTransportSecurity("10.0.0.5", TlsSettings.Disabled, insecure: true);
        TlsSettings.EnsureTransportSecurity("10.0.0.5", new TlsSettings(true, "n.pfx", null, "ca.crt", false), insecure: false);
    }

    [Fact]
    public void The_node_setup_runs_the_guard_on_the_configured_hostname()
    {
        var exposed = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.hostname = \"0.0.0.0\"");
        var e = Assert.Throws<TransportSecurityException>(() => TlsSettings.Disabled.CreateActorSystemSetup(exposed));
        Assert.StartsWith("refusing to bind akka.remote.dot-netty.tcp.hostname = 0.0.0.0 without TLS", e.Message);
        Assert.NotNull(TlsSettings.Disabled.CreateActorSystemSetup(exposed, insecureFlag: true));
        Assert.NotNull(TlsSettings.Disabled.CreateActorSystemSetup(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.hostname = 127.0.0.1")));
    }

    [Fact]
    public void The_section_is_read_with_its_HOCON_names()
    {
        var tls = TlsSettings.FromConfig(ConfigurationFactory.ParseString("""
            distgmm.tls {
              enabled = on
              certificate-path = "/certs/worker-1.pfx"
              certificate-password-env = DISTGMM_TLS_PASSWORD
              ca-certificate-path = "/certs/ca.crt"
            }
            """));
        Assert.Equal(new TlsSettings(true, "/certs/worker-1.pfx", "DISTGMM_TLS_PASSWORD", "/certs/ca.crt", false), tls);
        var akka = tls.ToAkkaConfig();
        Assert.True(akka.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.True(akka.GetBoolean("akka.remote.dot-netty.tcp.ssl.require-mutual-authentication"));
        Assert.False(akka.GetBoolean("akka.remote.dot-netty.tcp.ssl.suppress-validation"));
        Assert.False(akka.GetBoolean("akka.remote.dot-netty.tcp.ssl.validate-certificate-hostname"));
    }

    [Fact]
    public void Paths_may_name_the_node_so_every_node_shares_one_config_file()
    {
        var config = ConfigurationFactory.ParseString("""
            distgmm.tls { enabled = on, certificate-path = "/certs/{node}/{node}.pfx", ca-certificate-path = "/certs/{node}/ca.crt" }
            """);
        Assert.Equal(new TlsSettings(true, "/certs/worker-2/worker-2.pfx", null, "/certs/worker-2/ca.crt", false), TlsSettings.FromConfig(config, "worker-2"));
        Assert.Equal("distgmm.tls.certificate-path = \"/certs/{node}/{node}.pfx\" uses {node} but the node has no name (give --node-name)",
            Assert.Throws<TransportSecurityException>(() => TlsSettings.FromConfig(config)).Message);
    }

    [Theory]
    [InlineData("distgmm.tls { enabled = on, ca-certificate-path = ca.crt }", "distgmm.tls.certificate-path is required when distgmm.tls.enabled = on")]
    [InlineData("distgmm.tls { enabled = on, certificate-path = n.pfx }", "distgmm.tls.ca-certificate-path is required when distgmm.tls.enabled = on")]
    [InlineData("distgmm.tls { enabled = maybe }", "distgmm.tls.enabled: Unknown boolean format: maybe (use on or off)")]
    public void Incomplete_or_invalid_settings_are_one_line_errors_naming_the_setting(string hocon, string expected)
    {
        var e = Assert.Throws<TransportSecurityException>(() => TlsSettings.FromConfig(ConfigurationFactory.ParseString(hocon)));
        Assert.StartsWith(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Missing_files_a_wrong_password_and_a_foreign_node_certificate_are_refused_at_start_up()
    {
        var cluster = new TestCluster("cluster-ca");
        var good = cluster.Node("worker-1");
        Assert.NotNull(good.CreateSslSetup(new TlsRejections()).CustomValidator);

        var missing = good with { CertificatePath = "/nonexistent/worker.pfx" };
        Assert.Equal("distgmm.tls.certificate-path: /nonexistent/worker.pfx: not found",
            Assert.Throws<TransportSecurityException>(() => missing.CreateSslSetup()).Message);
        var noCa = good with { CaCertificatePath = "/nonexistent/ca.crt" };
        Assert.Equal("distgmm.tls.ca-certificate-path: /nonexistent/ca.crt: not found",
            Assert.Throws<TransportSecurityException>(() => noCa.CreateSslSetup()).Message);

        var variable = "DISTGMM_TEST_TLS_" + Guid.NewGuid().ToString("N");
        var unsetPassword = good with { CertificatePasswordEnv = variable };
        Assert.Equal($"distgmm.tls.certificate-password-env: environment variable {variable} is not set",
            Assert.Throws<TransportSecurityException>(() => unsetPassword.CreateSslSetup()).Message);
        Environment.SetEnvironmentVariable(variable, "wrong");
        try
        {
            Assert.Contains("cannot read the PKCS#12 file", Assert.Throws<TransportSecurityException>(() => unsetPassword.CreateSslSetup()).Message);
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }

        // A node certificate from another CA: this node would be refused by every peer, so it does not start.
        var other = new TestCluster("other-ca").Node("worker-2");
        var foreign = good with { CertificatePath = other.CertificatePath };
        var e = Assert.Throws<TransportSecurityException>(() => foreign.CreateSslSetup());
        Assert.StartsWith($"distgmm.tls.certificate-path: {other.CertificatePath}: this node's certificate would be refused: certificate issued by 'CN=other-ca', not by the cluster CA 'CN=cluster-ca'", e.Message);

        // The pinned certificate must be a CA.
        var leafAsCa = good with { CaCertificatePath = Path.ChangeExtension(good.CertificatePath!, ".crt") };
        Assert.EndsWith("'CN=worker-1' is not a CA certificate", Assert.Throws<TransportSecurityException>(() => leafAsCa.CreateSslSetup()).Message);
    }

    [Fact]
    public void The_validator_refuses_self_signed_foreign_expired_and_missing_certificates_and_counts_them()
    {
        var cluster = new TestCluster("cluster-ca");
        var rejections = new TlsRejections();
        var validator = new ClusterCaValidator(cluster.Ca, rejections);
        using var member = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(cluster.Node("w1").CertificatePath!, null);
        Assert.Null(validator.Check(member));

        using var selfSigned = SelfSigned.Create("intruder");
        Assert.StartsWith("self-signed certificate, not issued by the cluster CA 'CN=cluster-ca'", validator.Check(selfSigned));
        Assert.Equal("the peer presented the cluster CA certificate itself, not a node certificate", validator.Check(cluster.Ca));
        Assert.Equal("no certificate presented", validator.Check(null));
        var expiredCheck = new ClusterCaValidator(cluster.Ca, rejections, () => DateTimeOffset.UtcNow.AddDays(8));
        Assert.StartsWith("certificate chain to the cluster CA is invalid: NotTimeValid", expiredCheck.Check(member));
        var notYetValid = new ClusterCaValidator(cluster.Ca, rejections, () => DateTimeOffset.UtcNow.AddHours(-1));
        Assert.StartsWith("certificate chain to the cluster CA is invalid: NotTimeValid", notYetValid.Check(member));
        using var serverOnly = SignedWithoutClientAuth(cluster.Ca);
        Assert.StartsWith("certificate chain to the cluster CA is invalid: NotValidForUsage", validator.Check(serverOnly));
        // Check alone counts nothing: only refusals of real handshakes are counted (see MutualTlsRemotingTests).
        Assert.Equal(0, rejections.Count);
    }

    /// <summary>A certificate the cluster CA signed for server authentication only (not what `distgmm certs` issues).</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 SignedWithoutClientAuth(
        System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=server-only", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension(
            [new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
    }
}
