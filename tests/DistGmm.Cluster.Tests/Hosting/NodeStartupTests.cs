using System.Net;
using System.Net.Sockets;
using DistGmm.Cluster.Hosting;
using Xunit;

namespace DistGmm.Cluster.Tests.Hosting;

/// <summary>A node config's bad values and a coordinator that no seed node admits: one clear line, never a hang.</summary>
public sealed class NodeStartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("distgmm-node-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Conf(string text)
    {
        var path = Path.Combine(_dir, "node.conf");
        File.WriteAllText(path, "distgmm.node-name = n1\n" + text + "\n");
        return path;
    }

    private string Refused(string text, string role = ClusterNodeConfig.WorkerRole)
    {
        var path = Conf(text);
        return Assert.Throws<ClusterConfigException>(() => ClusterNodeConfig.Load(path, role, runFolder: _dir)).Message;
    }

    [Theory]
    [InlineData("akka.remote.dot-netty.tcp.port = abc", "setting 'akka.remote.dot-netty.tcp.port': 'abc' is not a valid port (0-65535)")]
    [InlineData("akka.remote.dot-netty.tcp.port = 70000", "setting 'akka.remote.dot-netty.tcp.port': '70000' is not a valid port (0-65535)")]
    [InlineData("akka.remote.dot-netty.tcp.port { x = 1 }", "setting 'akka.remote.dot-netty.tcp.port': '{ x : 1 }' is not a valid port (0-65535)")]
    [InlineData("distgmm.worker.rejoin-after = banana", "setting 'distgmm.worker.rejoin-after': 'banana' is not a valid duration above 0 (e.g. 15s, 500ms)")]
    [InlineData("distgmm.worker.rejoin-after = 0s", "setting 'distgmm.worker.rejoin-after': '0s' is not a valid duration above 0 (e.g. 15s, 500ms)")]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 12xyz", "setting 'akka.remote.dot-netty.tcp.maximum-frame-size': '12xyz' is not a valid byte size (e.g. 64MiB)")]
    [InlineData("distgmm.tls.enabled = maybe", "setting 'distgmm.tls.enabled': 'maybe' is not a valid boolean (on or off)")]
    [InlineData("distgmm.health { enabled = on, port = 0 }", "setting 'distgmm.health.port': '0' is not a valid port (1-65535)")]
    [InlineData("distgmm.split-brain-lease.provider = zookeeper", "setting 'distgmm.split-brain-lease.provider': 'zookeeper' is not a valid lease provider (file or postgres)")]
    [InlineData("akka.cluster.seed-nodes = \"akka.tcp://distgmm@127.0.0.1:4053\"",
        "setting 'akka.cluster.seed-nodes': 'akka.tcp://distgmm@127.0.0.1:4053' is not a valid list of strings ([\"…\", …])")]
    [InlineData("distgmm.node-name = [a, b]", "setting 'distgmm.node-name': '[a,b]' is not a valid string")]
    public void A_bad_setting_value_names_the_file_the_setting_and_the_value(string line, string expected) =>
        Assert.Equal($"{Path.Combine(_dir, "node.conf")}: {expected}", Refused(line));

    [Theory]
    [InlineData("akka {\n  remote.dot-netty.tcp { port = 1 }\n", "2:6: '{' is never closed")]
    [InlineData("akka {\n  remote.dot-netty.tcp { port = 1\n}\n", "2:6: '{' is never closed")]
    [InlineData("akka { cluster.roles = [] }\n}\n", "3:1: '}' closes nothing")]
    [InlineData("akka.cluster.seed-nodes = [\"a\"}\n", "2:31: '}' closes the '[' of 2:27")]
    [InlineData("akka.remote.dot-netty.tcp.hostname = \"127.0.0.1\n", "2:38: the string opened here is never closed")]
    public void Unbalanced_HOCON_is_refused_at_the_place_it_goes_wrong(string text, string expected) =>
        Assert.Equal($"{Path.Combine(_dir, "node.conf")}:{expected}", Refused(text));

    [Fact]
    public void Braces_in_strings_comments_and_substitutions_do_not_count()
    {
        Assert.Null(HoconSyntax.FindUnbalanced("a = \"{[\" # }\nb = \"\"\"x } \"\"\"\" // ]\nc { d = ${a} }\ne = \"q\\\"{\"\n"));
        var config = ClusterNodeConfig.Load(Conf("distgmm.worker.rejoin-after = 3s # {"), ClusterNodeConfig.WorkerRole);
        Assert.Equal(TimeSpan.FromSeconds(3), config.RejoinAfter);
    }

    [Theory]
    [InlineData("loopback/coordinator.conf", ClusterNodeConfig.CoordinatorRole)]
    [InlineData("loopback/worker.conf", ClusterNodeConfig.WorkerRole)]
    [InlineData("docker/node.conf", ClusterNodeConfig.WorkerRole)]
    public void The_shipped_configs_pass(string file, string role)
    {
        var path = Path.Combine(RepoRoot(), "cluster-config", file);
        var config = ClusterNodeConfig.Load(path, role, new ClusterConfigOverrides { NodeName = "n1", Insecure = true }, _dir);
        Assert.Equal(TimeSpan.FromSeconds(15), config.RejoinAfter);
    }

    [Fact]
    public async Task A_coordinator_no_seed_node_admits_fails_within_the_wait_naming_the_seeds_and_the_cause()
    {
        var seed = FreePort(); // nothing listens there
        var config = ClusterNodeConfig.Load(Conf(""), ClusterNodeConfig.CoordinatorRole,
            new ClusterConfigOverrides { Port = 0, SeedNodes = [$"127.0.0.1:{seed}"] }, _dir);
        await using var node = CoordinatorNode.Start(config);
        Assert.False(node.IsSeedNode);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => node.WhenUpAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal($"coordinator 'n1': did not join the cluster within 1 s (seed nodes tried: akka.tcp://distgmm@127.0.0.1:{seed}); " +
            $"no seed node is running, or none admitted this node; this node's own address ({node.Address}) is not among the seed nodes, " +
            $"so it cannot form the cluster by itself: start the seed node akka.tcp://distgmm@127.0.0.1:{seed} first, or list this node's address first",
            error.Message);
    }

    [Fact]
    public async Task A_coordinator_that_is_its_own_only_seed_node_is_up_within_the_wait()
    {
        var port = FreePort();
        var config = ClusterNodeConfig.Load(Conf(""), ClusterNodeConfig.CoordinatorRole,
            new ClusterConfigOverrides { Port = port, SeedNodes = [$"127.0.0.1:{port}"] }, _dir);
        await using var node = CoordinatorNode.Start(config);
        Assert.True(node.IsSeedNode);
        await node.WhenUpAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DistGmm.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DistGmm.sln not found above the test binaries");
    }
}
