using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistGmm.Cluster.Security;

namespace DistGmm.Cli.Tests;

/// <summary>`distgmm certs ca|node`: a cluster secured in two commands, and their errors.</summary>
public sealed class CertCommandsTests
{
    private static string Temp() => Directory.CreateTempSubdirectory("distgmm-certs-cli-").FullName;

    [Fact]
    public void Two_commands_make_a_CA_and_a_node_certificate_that_the_TLS_layer_accepts()
    {
        var dir = Temp();
        var caDir = Path.Combine(dir, "ca");
        var nodeDir = Path.Combine(dir, "worker-1");

        var ca = CliRunner.Run("certs", "ca", "--out", caDir);
        Assert.Equal(ExitCodes.Ok, ca.ExitCode);
        Assert.Equal("", ca.Error);
        Assert.StartsWith("cluster CA 'CN=distgmm-cluster-ca' valid until ", ca.Out);

        var node = CliRunner.Run("certs", "node", "worker-1", "--ca", caDir, "--dns", "worker-1.distgmm.svc", "--dns", "w1",
            "--ip", "10.0.0.7", "--ip", "127.0.0.1", "--out", nodeDir, "--days", "30");
        Assert.Equal(ExitCodes.Ok, node.ExitCode);
        Assert.Equal("", node.Error);
        Assert.StartsWith("node certificate 'CN=worker-1' (worker-1, worker-1.distgmm.svc, w1, 10.0.0.7, 127.0.0.1) signed by 'CN=distgmm-cluster-ca'", node.Out);
        Assert.Contains($"distgmm.tls {{ enabled = on, certificate-path = \"{Path.Combine(nodeDir, "worker-1.pfx")}\", ca-certificate-path = \"{Path.Combine(nodeDir, "ca.crt")}\" }}", node.Out);

        using var issued = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(nodeDir, "worker-1.pfx"), null);
        var san = Assert.Single(issued.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["worker-1", "worker-1.distgmm.svc", "w1"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.0.0.7"), IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.InRange((issued.NotAfter - issued.NotBefore).TotalDays, 30, 30.01);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(caDir, "ca.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(nodeDir, "worker-1.pfx")));
        }
        // What the node's config points at loads, and the node's own certificate passes the cluster-CA check.
        var tls = new TlsSettings(true, Path.Combine(nodeDir, "worker-1.pfx"), null, Path.Combine(nodeDir, "ca.crt"), false);
        Assert.NotNull(tls.CreateSslSetup(new TlsRejections()).CustomValidator);
    }

    [Fact]
    public void A_password_protected_pfx_uses_the_named_variable()
    {
        var dir = Temp();
        var variable = "DISTGMM_TEST_PFX_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "correct horse");
        try
        {
            Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "ca", "--out", Path.Combine(dir, "ca"), "--name", "prod-ca").ExitCode);
            var node = CliRunner.Run("certs", "node", "coordinator", "--ca", Path.Combine(dir, "ca"), "--out", Path.Combine(dir, "n"), "--password-env", variable);
            Assert.Equal(ExitCodes.Ok, node.ExitCode);
            Assert.Contains($"certificate-password-env = {variable} }}", node.Out);
            using var pfx = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "n", "coordinator.pfx"), "correct horse");
            Assert.Equal("CN=prod-ca", pfx.Issuer);
            new TlsSettings(true, Path.Combine(dir, "n", "coordinator.pfx"), variable, Path.Combine(dir, "n", "ca.crt"), false).CreateSslSetup(new TlsRejections());
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }
    }

    [Fact]
    public void Help_describes_every_option()
    {
        var node = CliRunner.Run("certs", "node", "--help");
        Assert.Equal(ExitCodes.Ok, node.ExitCode);
        foreach (var option in new[] { "NAME", "--ca", "--dns", "--ip", "--out", "--days", "--password-env", "--force" })
            Assert.Contains(option, node.Out);
        var ca = CliRunner.Run("certs", "ca", "--help");
        foreach (var option in new[] { "--out", "--name", "--days", "--password-env", "--force" })
            Assert.Contains(option, ca.Out);
        Assert.Contains("certs", CliRunner.Run("--help").Out);
    }

    private static void AssertOneLineError(CliRunner.Result result, int exitCode, params string[] mentions)
    {
        Assert.Equal(exitCode, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("distgmm: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    [Fact]
    public void Errors_are_one_line_with_the_documented_exit_codes()
    {
        var dir = Temp();
        var caDir = Path.Combine(dir, "ca");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", Path.Combine(dir, "none"), "--out", dir), ExitCodes.BadInput,
            Path.Combine(dir, "none"), "distgmm certs ca --out");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "ca", "--out", caDir).ExitCode);
        AssertOneLineError(CliRunner.Run("certs", "ca", "--out", caDir), ExitCodes.Usage, "ca.crt: already exists", "--force");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "ca", "--out", caDir, "--force").ExitCode);
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", caDir, "--ip", "10.0.0.300", "--out", dir), ExitCodes.Usage, "--ip '10.0.0.300': not an IP address");
        AssertOneLineError(CliRunner.Run("certs", "node", "../w1", "--ca", caDir, "--out", dir), ExitCodes.Usage, "NAME '../w1'");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", caDir, "--dns", "a b", "--out", dir), ExitCodes.Usage, "--dns 'a b'");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", caDir, "--out", dir, "--days", "0"), ExitCodes.Usage, "--days");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", caDir, "--out", dir, "--password-env", "DISTGMM_SURELY_UNSET_VARIABLE"),
            ExitCodes.Usage, "--password-env DISTGMM_SURELY_UNSET_VARIABLE");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--out", dir), ExitCodes.Usage, "--ca");
        File.WriteAllText(Path.Combine(caDir, "ca.key"), "not a key");
        AssertOneLineError(CliRunner.Run("certs", "node", "w1", "--ca", caDir, "--out", dir), ExitCodes.BadInput, "cannot load the CA");
    }
}
