using System.Diagnostics;
using Akka.Configuration;
using DistGmm.Cluster.Security;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// docker-compose.yml renders with Debian's docker-compose (no Docker engine needed): postgres, the certs job, one
/// coordinator and three workers, no broker; every node's certificate folder is one the certs job writes.
/// </summary>
public sealed class ComposeDeploymentTests
{
    private static readonly string[] Nodes = ["coordinator", "worker-1", "worker-2", "worker-3"];

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));

    private static (int ExitCode, string Output) Compose(string? pgPassword)
    {
        var start = new ProcessStartInfo("docker-compose")
        {
            ArgumentList = { "-f", RepoPaths.InRepo("docker-compose.yml"), "config" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("DISTGMM_PG_PASSWORD");
        if (pgPassword is not null) start.Environment["DISTGMM_PG_PASSWORD"] = pgPassword;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + stderr.Result);
    }

    [Fact]
    public void Compose_renders_postgres_certs_a_coordinator_and_three_workers_only_with_the_password_supplied()
    {
        if (!OnPath("docker-compose"))
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
                Assert.Fail("docker-compose is not installed: scripts/services.sh installs it");
            System.Console.WriteLine("NOTICE: docker-compose not installed; skipping the compose validation");
            return;
        }
        var refused = Compose(null);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("set DISTGMM_PG_PASSWORD", refused.Output);

        var (code, yaml) = Compose("pg-password");
        Assert.Equal(0, code);
        Assert.DoesNotContain("rabbit", yaml, StringComparison.OrdinalIgnoreCase);
        var services = ToJson(yaml).GetProperty("services");
        Assert.Equal(["certs", "coordinator", "postgres", "worker-1", "worker-2", "worker-3"],
            services.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var service in services.EnumerateObject())
            Assert.False(service.Value.TryGetProperty("ports", out _), $"{service.Name} publishes a port on the host");
        // The certs job issues exactly the nodes' certificates into the volume the nodes mount read-only.
        var script = services.GetProperty("certs").GetProperty("command")[0].GetString()!;
        Assert.Contains($"for node in {string.Join(' ', Nodes)}; do", script);
        Assert.Contains("certs:/certs:rw", services.GetProperty("certs").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
        foreach (var node in Nodes)
        {
            var service = services.GetProperty(node);
            Assert.Equal(node, service.GetProperty("hostname").GetString());
            var command = service.GetProperty("command").EnumerateArray().Select(a => a.GetString()!).ToList();
            Assert.Equal(node, command[command.IndexOf("--node-name") + 1]);
            Assert.Equal("/config/docker/node.conf", command[command.IndexOf("--config") + 1]);
            Assert.Contains("certs:/certs:ro", service.GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
            Assert.Equal("service_completed_successfully", service.GetProperty("depends_on").GetProperty("certs").GetProperty("condition").GetString());
        }
    }

    private static System.Text.Json.JsonElement ToJson(string yaml)
    {
        var start = new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var python = Process.Start(start)!;
        python.StandardInput.Write(yaml);
        python.StandardInput.Close();
        var json = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        return System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
    }

    [Fact]
    public void The_shared_node_config_gives_each_node_the_certificate_folder_of_its_name()
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(RepoPaths.InRepo("cluster-config", "docker", "node.conf")))
            .WithFallback(DistGmm.Cluster.Hosting.ClusterNodeConfig.ClusterDefaults);
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal(["akka.ssl.tcp://distgmm@coordinator:4053"], config.GetStringList("akka.cluster.seed-nodes"));
        // The split-brain lease is a flock on the runs volume that every node mounts (one Docker host).
        Assert.Equal("lease-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(("file", "/runs/.distgmm-sbr.lease"), (config.GetString("distgmm.split-brain-lease.provider"), config.GetString("distgmm.split-brain-lease.path")));
        Assert.Equal("postgres", config.GetString("distgmm.journal.provider"));
        foreach (var node in Nodes)
            Assert.Equal(new TlsSettings(true, $"/certs/{node}/{node}.pfx", null, $"/certs/{node}/ca.crt", false), TlsSettings.FromConfig(config, node));
        // What `distgmm certs node NAME --out /certs/NAME` writes is what the node then loads.
        var certs = Directory.CreateTempSubdirectory("distgmm-compose-certs-").FullName;
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "ca", "--out", Path.Combine(certs, "ca")).ExitCode);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "node", "worker-2", "--ca", Path.Combine(certs, "ca"), "--out", Path.Combine(certs, "worker-2")).ExitCode);
        var tls = TlsSettings.FromConfig(config, "worker-2");
        var local = tls with { CertificatePath = tls.CertificatePath!.Replace("/certs", certs), CaCertificatePath = tls.CaCertificatePath!.Replace("/certs", certs) };
        Assert.NotNull(local.CreateSslSetup(new TlsRejections()).CustomValidator);
    }
}
