using System.Diagnostics;
using System.Text.Json;
using DistGmm.Cluster.Hosting;
using Akka.Configuration;
using DistGmm.Cluster.Security;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>
/// cluster-config/k8s: every manifest parses (python3-yaml; no cluster needed), the objects reference each other
/// consistently and no credential is a literal; the node config in the ConfigMap (HOCON) agrees with the pods; the
/// loopback node configs (HOCON) load with the real loader.
/// </summary>
public sealed class ServeDeploymentTests
{
    private static readonly Lazy<JsonElement[]> Documents = new(LoadManifests);

    private static string K8s => RepoPaths.InRepo("cluster-config", "k8s");

    /// <summary>Every YAML document of the kustomization's resources, as JSON.</summary>
    private static JsonElement[] LoadManifests()
    {
        var kustomization = YamlToJson(Path.Combine(K8s, "kustomization.yaml")).Single();
        var files = kustomization.GetProperty("resources").EnumerateArray().Select(r => Path.Combine(K8s, r.GetString()!)).ToArray();
        return [.. files.SelectMany(YamlToJson)];
    }

    private static JsonElement[] YamlToJson(string path)
    {
        var start = new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], sys.stdout)", path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, $"{path} is not valid YAML: {stderr}");
        return [.. JsonDocument.Parse(stdout.Result).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static JsonElement Object(string kind, string name) =>
        Assert.Single(Documents.Value, d => d.GetProperty("kind").GetString() == kind && d.GetProperty("metadata").GetProperty("name").GetString() == name);

    private static IEnumerable<JsonElement> Workloads() =>
        Documents.Value.Where(d => d.GetProperty("kind").GetString() is "Deployment" or "StatefulSet");

    private static JsonElement PodSpec(JsonElement workload) => workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    private static IEnumerable<JsonElement> Items(JsonElement e, string name) =>
        e.TryGetProperty(name, out var list) ? list.EnumerateArray() : [];

    [Fact]
    public void The_set_has_coordinators_workers_serve_services_config_and_storage()
    {
        Assert.Equal("distgmm-coordinator", Object("StatefulSet", "distgmm-coordinator").GetProperty("spec").GetProperty("serviceName").GetString());
        Assert.Equal("None", Object("Service", "distgmm-coordinator").GetProperty("spec").GetProperty("clusterIP").GetString());
        Assert.Equal(3, Object("Deployment", "distgmm-worker").GetProperty("spec").GetProperty("replicas").GetInt32());
        Object("ServiceAccount", "distgmm");
        Object("Deployment", "distgmm-serve");
        Object("Service", "distgmm-serve");
        Object("ConfigMap", "distgmm-config");
        Object("PersistentVolumeClaim", "distgmm-data");
        Object("PersistentVolumeClaim", "distgmm-runs");
        Assert.DoesNotContain(Documents.Value, d => d.GetProperty("kind").GetString() == "Secret");
    }

    [Fact]
    public void Selectors_match_pod_labels_and_services_find_their_pods()
    {
        foreach (var w in Workloads())
        {
            var labels = w.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels");
            foreach (var s in w.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels").EnumerateObject())
                Assert.Equal(s.Value.GetString(), labels.GetProperty(s.Name).GetString());
        }
        foreach (var service in Documents.Value.Where(d => d.GetProperty("kind").GetString() == "Service"))
        {
            var selector = service.GetProperty("spec").GetProperty("selector").EnumerateObject().ToArray();
            var pods = Workloads().Where(w => selector.All(s =>
                w.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels").TryGetProperty(s.Name, out var v)
                && v.GetString() == s.Value.GetString())).ToArray();
            Assert.NotEmpty(pods);
            foreach (var port in Items(service.GetProperty("spec"), "ports"))
            {
                var target = port.GetProperty("targetPort").GetString();
                Assert.All(pods, p => Assert.Contains(PodSpec(p).GetProperty("containers").EnumerateArray().SelectMany(c => Items(c, "ports")),
                    cp => cp.GetProperty("name").GetString() == target));
            }
        }
    }

    [Fact]
    public void Volumes_config_and_secrets_are_references_that_resolve()
    {
        var configKeys = Object("ConfigMap", "distgmm-config").GetProperty("data").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var w in Workloads())
        {
            var pod = PodSpec(w);
            var volumes = Items(pod, "volumes").ToDictionary(v => v.GetProperty("name").GetString()!);
            foreach (var volume in volumes.Values)
            {
                if (volume.TryGetProperty("configMap", out var cm)) Object("ConfigMap", cm.GetProperty("name").GetString()!);
                if (volume.TryGetProperty("persistentVolumeClaim", out var pvc)) Object("PersistentVolumeClaim", pvc.GetProperty("claimName").GetString()!);
            }
            foreach (var container in pod.GetProperty("containers").EnumerateArray())
            {
                foreach (var mount in Items(container, "volumeMounts"))
                    Assert.True(volumes.ContainsKey(mount.GetProperty("name").GetString()!), $"{w.GetProperty("metadata").GetProperty("name")}: no volume {mount.GetProperty("name")}");
                var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
                if (args.IndexOf("--config") is >= 0 and var at)
                    Assert.Contains(Path.GetFileName(args[at + 1]), configKeys);
                foreach (var env in Items(container, "env"))
                {
                    var name = env.GetProperty("name").GetString()!;
                    if (name.Contains("PASSWORD") || name.Contains("USER") || name.Contains("SECRET") || name.Contains("CONNECTION"))
                    {
                        Assert.False(env.TryGetProperty("value", out _), $"{name} must come from a Secret, not a literal");
                        Assert.Equal("distgmm-credentials", env.GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString());
                    }
                }
            }
        }
    }

    [Fact]
    public void Containers_run_as_non_root_with_a_read_only_root_and_limits()
    {
        foreach (var w in Workloads())
        {
            Assert.True(PodSpec(w).GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
            foreach (var container in PodSpec(w).GetProperty("containers").EnumerateArray())
            {
                var security = container.GetProperty("securityContext");
                Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean());
                Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
                Assert.True(container.GetProperty("resources").GetProperty("limits").TryGetProperty("memory", out _));
            }
        }
    }

    [Fact]
    public void Serve_listens_on_all_interfaces_only_with_allow_remote_and_probes_healthz()
    {
        var container = PodSpec(Object("Deployment", "distgmm-serve")).GetProperty("containers")[0];
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
        Assert.Equal("serve", args[0]);
        Assert.Contains("--allow-remote", args);
        Assert.Equal("http://0.0.0.0:8080", args[Array.IndexOf(args, "--urls") + 1]);
        Assert.Equal(8080, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.Equal("/healthz", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        // The arguments are ones `serve` accepts (parse only; nothing starts).
        Assert.Empty(CliApp.BuildRoot().Parse(args).Errors);
    }

    [Theory]
    [InlineData("coordinator.conf", ClusterNodeConfig.CoordinatorRole, "coordinator", 4053)]
    [InlineData("worker.conf", ClusterNodeConfig.WorkerRole, "worker-1", 0)]
    public void Loopback_node_configs_load_with_the_cluster_config_loader(string file, string role, string nodeName, int port)
    {
        var runFolder = Directory.CreateTempSubdirectory("distgmm-node-conf-").FullName;
        var config = ClusterNodeConfig.Load(RepoPaths.InRepo("cluster-config", "loopback", file), role, runFolder: runFolder);
        Assert.Equal((nodeName, role, "127.0.0.1", port), (config.NodeName, config.Role, config.Hostname, config.Port));
        // Every node seeds from the coordinator's address, spelled exactly as its hostname (or the cluster never forms).
        Assert.Equal(["akka.tcp://distgmm@127.0.0.1:4053"], config.SeedNodes);
        Assert.Equal([role], config.Config.GetStringList("akka.cluster.roles"));
        if (role == ClusterNodeConfig.CoordinatorRole)
            Assert.Equal(Path.Combine(runFolder, "journal.db"), config.Journal.SqlitePath); // a relative journal lives in the run folder
        else
            Assert.Equal(JournalSettings.None, config.Journal);
    }

    [Fact]
    public void The_node_config_is_HOCON_with_mutual_TLS_from_the_mounted_secret_and_probes_on_the_health_endpoint()
    {
        var hocon = Object("ConfigMap", "distgmm-config").GetProperty("data").GetProperty("node.conf").GetString()!;
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(ClusterNodeConfig.ClusterDefaults);
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.DoesNotContain("rabbit", hocon, StringComparison.OrdinalIgnoreCase);
        var tls = TlsSettings.FromConfig(config);
        Assert.True(tls.Enabled);
        Assert.True(config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") >= 2 * 1024 * 1024); // statistics ≈ 1.8 MB
        // Pods run on several machines: the journal and the split-brain lease are PostgreSQL locks, not files.
        Assert.Equal(("postgres", "postgres"), (config.GetString("distgmm.journal.provider"), config.GetString("distgmm.split-brain-lease.provider")));
        var remotingPort = config.GetInt("akka.remote.dot-netty.tcp.port");

        // Seeds: every coordinator pod by its StatefulSet name under the headless Service, on the remoting port.
        var coordinators = Object("StatefulSet", "distgmm-coordinator");
        var replicas = coordinators.GetProperty("spec").GetProperty("replicas").GetInt32();
        Assert.Equal(2, replicas);
        var service = coordinators.GetProperty("spec").GetProperty("serviceName").GetString();
        Assert.True(Object("Service", service!).GetProperty("spec").GetProperty("publishNotReadyAddresses").GetBoolean());
        Assert.Equal(Enumerable.Range(0, replicas).Select(i => $"akka.ssl.tcp://distgmm@distgmm-coordinator-{i}.{service}:{remotingPort}"),
            config.GetStringList("akka.cluster.seed-nodes"));

        foreach (var (workload, secret, role) in new[] { (coordinators, "distgmm-tls-coordinator", "coordinator"),
                     (Object("Deployment", "distgmm-worker"), "distgmm-tls-worker", "worker") })
        {
            var pod = PodSpec(workload);
            var container = pod.GetProperty("containers")[0];
            var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
            Assert.Equal(role, args[0]);
            Assert.Equal("$(POD_NAME)", args[args.IndexOf("--node-name") + 1]);
            // The TLS files are where the role's Secret is mounted; the pod's token is not (no API access needed).
            var mount = container.GetProperty("volumeMounts").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tls");
            Assert.Equal(mount.GetProperty("mountPath").GetString(), Path.GetDirectoryName(tls.CertificatePath));
            Assert.Equal(mount.GetProperty("mountPath").GetString(), Path.GetDirectoryName(tls.CaCertificatePath));
            var volume = pod.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "tls");
            Assert.Equal(secret, volume.GetProperty("secret").GetProperty("secretName").GetString());
            Assert.False(pod.GetProperty("automountServiceAccountToken").GetBoolean());
            // Probes hit the health endpoint's paths on the port the config opens.
            var ports = container.GetProperty("ports").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("containerPort").GetInt32());
            Assert.Equal(remotingPort, ports["remoting"]);
            Assert.Equal(config.GetInt("distgmm.health.port"), ports["health"]);
            Assert.Equal(HealthEndpoint.ReadyPath, container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
            Assert.Equal(HealthEndpoint.AlivePath, container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
            Assert.Equal("health", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("port").GetString());
        }
        // A coordinator announces exactly the name its seed URL uses.
        var coordinatorArgs = PodSpec(coordinators).GetProperty("containers")[0].GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Equal($"$(POD_NAME).{service}", coordinatorArgs[coordinatorArgs.IndexOf("--public-hostname") + 1]);
    }
}
