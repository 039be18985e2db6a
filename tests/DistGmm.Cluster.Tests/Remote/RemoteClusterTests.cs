using System.Diagnostics;
using System.Reflection;
using System.Text;
using DistGmm.Cluster.Remote;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Remoting.Configuration;
using DistGmm.Testing;
using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Cluster.Tests.Remote;

/// <summary>
/// Cluster mode with real processes: three `distgmm worker` processes and a coordinator node (in this process) over
/// the RabbitMQ of scripts/services.sh train and score; the run folder matches the embedded run bit for bit.
/// </summary>
public sealed class RemoteClusterTests(DatasetFixture data, ITestOutputHelper output) : IClassFixture<DatasetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Coordinator_and_three_worker_processes_train_and_score_bit_identically_to_the_embedded_run()
    {
        if (Amqp() is not { } broker) return;
        var dataset = data.Dataset(KddCut(3000), shards: 6);
        var run = $"t{Guid.NewGuid():N}"[..9]; // unique node (and so queue) names per test run
        var configPath = Path.Combine(data.Root, $"{run}.json");
        File.WriteAllText(configPath, $$"""
            { "version": 1, "node": { "name": "{{run}}-c", "role": "coordinator" },
              "broker": { "uri": "{{broker}}" }, "secret": { "value": "{{run}} test cluster secret" } }
            """);
        var cli = await CliDll.Value;

        var workers = new List<NodeProcess>();
        try
        {
            await using var coordinator = await CoordinatorNode.StartAsync(
                ClusterConfigLoader.Load(configPath, new ClusterConfigOverrides { Role = NodeRole.Coordinator }), output.WriteLine);
            for (var w = 1; w <= 3; w++)
                workers.Add(NodeProcess.Start(cli, "worker", "--config", configPath, "--node-name", $"{run}-w{w}", "--coordinator", $"{run}-c",
                    "--cores", "1", "--join-seconds", "120"));
            try
            {
                await coordinator.WaitForWorkersAsync(3, Bound);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}\n{string.Join("\n", workers.Select(p => p.Describe()))}", ex);
            }

            var em = new EmOptions(3, CovarianceType.Full, Seed: 7);
            RunJobSpec Spec(string outDir, ClusterOptions? cluster) =>
                new(dataset, PreprocessingSpec.Preset("seed"), em, 3, [], ThresholdRule.Default, outDir, Cluster: cluster);
            var remote = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions())).WaitAsync(Bound);
            var embedded = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), null));
            var sent = coordinator.Node.Remote.TransportCounters;
            output.WriteLine($"coordinator sent {sent.MessagesSent} messages ({sent.BytesSent} bytes), received {sent.MessagesReceived} ({sent.BytesReceived} bytes)");

            Assert.Equal(embedded.Train.Model.Model.ToBytes(), remote.Train.Model.Model.ToBytes());
            Assert.Equal(embedded.Train.Fit.Iterations, remote.Train.Fit.Iterations);
            Assert.Equal(File.ReadAllText(embedded.Score.ModelPath), File.ReadAllText(remote.Score.ModelPath));
            Assert.Equal(BitConverter.DoubleToInt64Bits(embedded.Score.Summary.Threshold), BitConverter.DoubleToInt64Bits(remote.Score.Summary.Threshold));
            Assert.Equal(3000, remote.Score.Summary.Rows);
            Assert.Equal(embedded.Score.Summary.Anomalies, remote.Score.Summary.Anomalies);
            Assert.Equal(File.ReadAllBytes(embedded.Score.AnomaliesCsvPath), File.ReadAllBytes(remote.Score.AnomaliesCsvPath));
            Assert.Equal(0, sent.RejectedAuthentication);
            Assert.True(sent.MessagesReceived > 0 && sent.BytesSent > 0);
        }
        finally
        {
            foreach (var worker in workers)
            {
                output.WriteLine(worker.Describe());
                worker.Dispose();
            }
        }
    }

    [Fact]
    public async Task Missing_nodes_end_bounded_waits_with_messages_that_name_them()
    {
        if (Amqp() is not { } broker) return;
        var run = $"t{Guid.NewGuid():N}"[..9];
        var configPath = Path.Combine(data.Root, $"{run}.json");
        Directory.CreateDirectory(data.Root);
        File.WriteAllText(configPath, $$"""
            { "version": 1, "node": { "name": "{{run}}-c", "role": "coordinator" },
              "broker": { "uri": "{{broker}}" }, "secret": { "value": "{{run}} test cluster secret" } }
            """);

        await using (var coordinator = await CoordinatorNode.StartAsync(
            ClusterConfigLoader.Load(configPath, new ClusterConfigOverrides { Role = NodeRole.Coordinator }), output.WriteLine))
        {
            var error = await Assert.ThrowsAsync<TimeoutException>(() => coordinator.WaitForWorkersAsync(2, TimeSpan.FromSeconds(1)));
            Assert.Contains($"only 0 of 2 worker(s) joined", error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{run}-c'", error.Message, StringComparison.Ordinal);
        }

        var workerConfig = ClusterConfigLoader.Load(configPath, new ClusterConfigOverrides { NodeName = $"{run}-w", Role = NodeRole.Worker });
        var joinError = await Assert.ThrowsAsync<TimeoutException>(() =>
            WorkerNode.StartAsync(workerConfig, $"{run}-nobody", 1, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200), output.WriteLine));
        Assert.Contains($"coordinator node '{run}-nobody' did not answer", joinError.Message, StringComparison.Ordinal);
    }

    private string KddCut(int rows)
    {
        Directory.CreateDirectory(data.Root);
        var cut = Path.Combine(data.Root, $"kdd-first-{rows}.data");
        if (File.Exists(cut)) return cut;
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")),
            System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        using var writer = new StreamWriter(cut);
        for (var n = 0; n < rows && reader.ReadLine() is { } line; n++) writer.WriteLine(line);
        return cut;
    }

    /// <summary>The broker URI from scripts/services.sh; required under CI, otherwise the test returns early.</summary>
    private static string? Amqp() => DistGmm.Testing.TestServiceVariables.Read("DISTGMM_TEST_AMQP");

    /// <summary>
    /// The CLI built with the same configuration and output layout as this test assembly (artifacts or bin/). Its
    /// DistGmm assemblies must be the very ones this test runs (deterministic builds: same bytes), or the workers would
    /// compute with other code; a missing or stale CLI is built once.
    /// </summary>
    private static readonly Lazy<Task<string>> CliDll = new(async () =>
    {
        var configuration = typeof(RemoteClusterTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var inRepo = testDir.StartsWith(RepoPaths.Root, StringComparison.Ordinal);
        string? artifacts = inRepo ? null : Path.GetFullPath(Path.Combine(testDir, "..", "..", ".."));
        var dll = artifacts is null
            ? RepoPaths.InRepo("src", "DistGmm.Cli", "bin", configuration, "net10.0", "distgmm.dll")
            : Path.Combine(artifacts, "bin", "DistGmm.Cli", configuration.ToLowerInvariant(), "distgmm.dll");
        if (StaleAssembly(testDir, dll) is null) return dll;
        var build = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", RepoPaths.InRepo("src", "DistGmm.Cli", "DistGmm.Cli.csproj"), "-c", configuration }) build.ArgumentList.Add(a);
        if (artifacts is not null) build.Environment["DISTGMM_ARTIFACTS"] = artifacts;
        using var process = Process.Start(build)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"building the CLI for the cluster test failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
        if (StaleAssembly(testDir, dll) is { } stale)
            throw new InvalidOperationException($"{dll}: {stale} differs from the test's copy after a rebuild (sources changed during the test run?)");
        return dll;
    });

    /// <summary>The first DistGmm assembly the CLI and the test do not share byte for byte, or null (also "distgmm.dll" when absent).</summary>
    private static string? StaleAssembly(string testDir, string cliDll)
    {
        if (!File.Exists(cliDll)) return "distgmm.dll";
        var cliDir = Path.GetDirectoryName(cliDll)!;
        foreach (var name in new[] { "DistGmm.Numerics.dll", "DistGmm.Data.dll", "DistGmm.Parquet.dll", "DistGmm.Actors.dll", "DistGmm.Remoting.dll", "DistGmm.Cluster.dll" })
        {
            var cli = Path.Combine(cliDir, name);
            if (!File.Exists(cli) || !File.ReadAllBytes(cli).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(testDir, name)))) return name;
        }
        return null;
    }

    /// <summary>A `dotnet distgmm.dll ...` child process whose output is kept for diagnostics; disposal kills it.</summary>
    private sealed class NodeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();
        private readonly string _name;

        private NodeProcess(Process process, string name)
        {
            _process = process;
            _name = name;
        }

        public static NodeProcess Start(string dll, params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var a in arguments) start.ArgumentList.Add(a);
            var process = new Process { StartInfo = start };
            var node = new NodeProcess(process, string.Join(' ', arguments));
            process.OutputDataReceived += (_, e) => node.Append(e.Data);
            process.ErrorDataReceived += (_, e) => node.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return node;
        }

        public string Describe()
        {
            lock (_log) return $"--- {_name} ({(_process.HasExited ? $"exited {_process.ExitCode}" : "running")}):\n{_log}";
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(30));
            }
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_log) _log.AppendLine(line);
        }
    }
}
