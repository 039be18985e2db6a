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
using static DistGmm.Cluster.Tests.Remote.ClusterProcesses;

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
        var cli = await ClusterProcesses.CliDll.Value;

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

    private static string? Amqp() => ClusterProcesses.Amqp();
}
