using System.Text.Json.Nodes;
using DistGmm.Cluster.Hosting;
using DistGmm.Cluster.Security;
using DistGmm.Cluster.Tests.Security;
using DistGmm.Data;
using DistGmm.Numerics;
using Xunit;
using Xunit.Abstractions;
using static DistGmm.Cluster.Tests.Remote.ClusterProcesses;

namespace DistGmm.Cluster.Tests.Remote;

/// <summary>
/// The Akka cluster with real worker (and coordinator) processes on 127.0.0.1: a coordinator node with three worker
/// processes; a worker SIGKILLed mid-E-step; a healthy worker frozen 3 s (not downed); a worker frozen past the
/// failure detector (downed, then back as a new incarnation); every worker lost, then one started; the coordinator
/// process SIGKILLed and restarted (resuming from its SQLite or PostgreSQL journal); a second coordinator for a running
/// job; a standby coordinator taking over; worker processes forced onto different kernel widths. Each job must end with the model of the fault-free embedded run, bit for bit.
/// </summary>
[Collection(nameof(ClusterFaultToleranceTests))] // CPU-heavy processes: never beside each other
public sealed class ClusterFaultToleranceTests(DatasetFixture data, ITestOutputHelper output) : IClassFixture<DatasetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);
    // tol 0: always 12 iterations, so faults after iteration 2 or 3 land mid-training (this sample converges in 3 otherwise).
    private static readonly EmOptions Em = new(3, CovarianceType.Full, MaxIter: 12, Tol: 0, Seed: 7);
    private static readonly string[] EmArgs = ["--k", "3", "--covariance", "full", "--max-iter", "12", "--tol", "0", "--seed", "7"];

    private string Dataset() => data.KddSample(shards: 6);

    private RunJobSpec Spec(string outDir, ClusterOptions? cluster, int workers) =>
        new(Dataset(), PreprocessingSpec.Preset("seed"), Em, workers, [], ThresholdRule.Default, outDir, Cluster: cluster);

    private async Task<RunOutcome> Embedded() => await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), null, 2));

    /// <summary>Node configs of one test cluster: the coordinator's seed port, its journal, the workers pointed at it.</summary>
    private (string Coordinator, string Worker, int Port) Configs(string journalProvider = "sqlite", string? journalConnection = null, int shardReplicas = 0)
    {
        Directory.CreateDirectory(data.Root);
        var port = FreePort();
        var id = Guid.NewGuid().ToString("N")[..8];
        var connection = journalConnection ?? $"Data Source={Path.Combine(data.Root, id + "-journal.db")}";
        var coordinator = Path.Combine(data.Root, $"coordinator-{id}.conf");
        File.WriteAllText(coordinator, $$"""
            distgmm { node-name = c-{{id}}, coordinator.shard-replicas = {{shardReplicas}}, journal { provider = {{journalProvider}}, connection-string = {{ClusterNodeConfig.Quote(connection)}} } }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://distgmm@127.0.0.1:{{port}}"]
            """);
        var worker = Path.Combine(data.Root, $"worker-{id}.conf");
        File.WriteAllText(worker, $$"""
            distgmm { node-name = w-{{id}}, worker.rejoin-after = 5s }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.seed-nodes = ["akka.tcp://distgmm@127.0.0.1:{{port}}"]
            """);
        return (coordinator, worker, port);
    }

    private static NodeProcess Worker(string cli, string config, string name, IReadOnlyDictionary<string, string>? environment = null) =>
        NodeProcess.Start(cli, environment ?? new Dictionary<string, string>(), "worker", "--config", config, "--node-name", name, "--cores", "1");

    /// <summary>Runs <paramref name="body"/> with an in-process coordinator node and worker processes, dumping their logs.</summary>
    private async Task WithCluster(int workers, Func<CoordinatorNode, List<NodeProcess>, string, string, Task> body, int shardReplicas = 0)
    {
        var cli = await CliDll.Value;
        var (coordinatorConfig, workerConfig, _) = Configs(shardReplicas: shardReplicas);
        var processes = new List<NodeProcess>();
        try
        {
            await using var coordinator = CoordinatorNode.Start(ClusterNodeConfig.Load(coordinatorConfig, ClusterNodeConfig.CoordinatorRole, runFolder: data.Root));
            await coordinator.WhenActiveAsync(CancellationToken.None).WaitAsync(Bound);
            for (var w = 1; w <= workers; w++) processes.Add(Worker(cli, workerConfig, $"w{w}"));
            await coordinator.WaitForWorkersAsync(workers, Bound, CancellationToken.None);
            await body(coordinator, processes, cli, workerConfig);
        }
        finally
        {
            foreach (var p in processes)
            {
                output.WriteLine(p.Describe());
                p.Dispose();
            }
        }
    }

    /// <summary>Records every job event; calls <paramref name="act"/> once when EM iteration <paramref name="iteration"/> completes.</summary>
    private sealed class AtIteration(int iteration, Action act, Action<JobEvent>? onEvent = null) : IJobObserver
    {
        private int _done;
        public List<JobEvent> Events { get; } = [];

        public void OnEvent(JobEvent e)
        {
            lock (Events) Events.Add(e);
            onEvent?.Invoke(e);
            if (e is IterationCompleted it && it.Iteration == iteration && Interlocked.Exchange(ref _done, 1) == 0) act();
        }
    }

    private static JsonObject Recovery(RunOutcome outcome) =>
        JsonNode.Parse(File.ReadAllText(outcome.Score.SummaryPath))!["recovery"]!.AsObject();

    [Fact]
    public async Task Three_worker_processes_give_the_embedded_model_bit_for_bit()
    {
        var reference = await Embedded();
        await WithCluster(3, async (coordinator, _, _, _) =>
        {
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 3)).WaitAsync(Bound);
            Assert.Equal(File.ReadAllBytes(reference.Train.ModelPath), File.ReadAllBytes(outcome.Train.ModelPath));
            Assert.Equal(File.ReadAllBytes(reference.Score.ModelPath), File.ReadAllBytes(outcome.Score.ModelPath));
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            Assert.Equal(3, outcome.Train.Workers);
            // Each pass's parameters went out to the worker processes and their statistics came back over the network;
            // the embedded run's workers are in-process (no payload on a network).
            var remote = PassTiming(outcome.Score.SummaryPath);
            Assert.True(remote.GetProperty("medianBytesSent").GetDouble() > 0);
            Assert.True(remote.GetProperty("medianBytesReceived").GetDouble() > 0);
            Assert.Equal(0, PassTiming(reference.Score.SummaryPath).GetProperty("medianBytesReceived").GetDouble());
        }, shardReplicas: 1); // each worker also holds the next one's shards and takes them over when it lags: same bits
    }

    private static System.Text.Json.JsonElement PassTiming(string summaryPath) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement.GetProperty("passTiming").Clone();

    [Fact]
    public async Task Worker_processes_on_different_kernel_widths_give_the_embedded_model_byte_for_byte()
    {
        // The runtime's switches: w1 on the 128-bit path (hardware FMA, as on ARM64), w2 on the 256-bit path; the
        // embedded reference runs on this machine's widest path (512 or, on an AVX2-only machine, 256 bits).
        var narrow = new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0", ["DOTNET_PreferredVectorBitWidth"] = "128" };
        var middle = new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" };
        var reference = await Embedded();
        var cli = await CliDll.Value;
        var (coordinatorConfig, workerConfig, _) = Configs(shardReplicas: 1); // the faster takes over the slower's shards
        await using var coordinator = CoordinatorNode.Start(ClusterNodeConfig.Load(coordinatorConfig, ClusterNodeConfig.CoordinatorRole, runFolder: data.Root));
        await coordinator.WhenActiveAsync(CancellationToken.None).WaitAsync(Bound);
        using var w1 = Worker(cli, workerConfig, "w1", narrow);
        using var w2 = Worker(cli, workerConfig, "w2", middle);
        try
        {
            await coordinator.WaitForWorkersAsync(2, Bound, CancellationToken.None);
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2)).WaitAsync(Bound);
            Assert.Equal(2, outcome.Train.Workers);
            Assert.Equal(File.ReadAllBytes(reference.Train.ModelPath), File.ReadAllBytes(outcome.Train.ModelPath));
            Assert.Equal(File.ReadAllBytes(reference.Score.ModelPath), File.ReadAllBytes(outcome.Score.ModelPath));
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            // The switches took effect: each worker announces its kernel path, and the two widths differ.
            var kernels1 = await w1.WhenLine(l => l.Contains("member of the cluster", StringComparison.Ordinal)).WaitAsync(Bound);
            var kernels2 = await w2.WhenLine(l => l.Contains("member of the cluster", StringComparison.Ordinal)).WaitAsync(Bound);
            Assert.Contains("kernels 128-bit", kernels1, StringComparison.Ordinal);
            if (KernelPath.VectorBits >= 256) Assert.Contains("kernels 256-bit", kernels2, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var p in new[] { w1, w2 }) output.WriteLine(p.Describe());
        }
    }

    [Fact]
    public async Task A_worker_SIGKILLed_mid_E_step_is_downed_and_removed_its_shards_move_and_the_model_is_bit_identical()
    {
        var reference = await Embedded();
        await WithCluster(3, async (coordinator, workers, _, _) =>
        {
            // Killed right after iteration 2's merge: iteration 3's E-step is sent to a dead process and never answered.
            var observer = new AtIteration(2, () => workers[1].KillHard());
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 3), observer).WaitAsync(Bound);

            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            var recovery = Recovery(outcome);
            output.WriteLine(recovery.ToJsonString());
            var failure = recovery["failures"]!.AsArray().First(f => (string)f!["worker"]! == "w2")!;
            Assert.Equal("train", (string)failure["stage"]!);
            Assert.NotNull(failure["detectionSeconds"]);   // unreachable → removed, as measured (the note quotes it)
            Assert.NotEmpty(failure["shardsMoved"]!.AsArray());
            Assert.NotNull(failure["recomputeSeconds"]);
            List<JobEvent> events;
            lock (observer.Events) events = [.. observer.Events];
            var unreachable = events.FindIndex(e => e is WorkerUnreachable { WorkerId: "w2" });
            var removed = events.FindIndex(e => e is WorkerFailed { WorkerId: "w2" });
            Assert.InRange(unreachable, 0, removed - 1);
            Assert.Contains(events, e => e is ShardsAssigned a && a.Reason == "w2 lost");
        });
    }

    [Fact]
    public async Task With_replicas_a_SIGKILLed_workers_shards_are_taken_over_once_it_is_unreachable_before_it_is_removed()
    {
        var reference = await Embedded();
        await WithCluster(2, async (coordinator, workers, _, _) =>
        {
            var observer = new AtIteration(2, () => workers[1].KillHard());
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer).WaitAsync(Bound);

            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            List<JobEvent> events;
            lock (observer.Events) events = [.. observer.Events];
            // A pass sent to the dead w2 waited only for the failure detector: w1 took w2's unstarted shards at once and,
            // once w2 was marked unreachable, the one w2 was presumed to be computing; an iteration ended after that and
            // before w2 was removed (the split-brain resolver waits its stable-after, 3 s, past unreachability). Which
            // iteration is a race: the SIGKILL lands while iteration 3's pass is being sent, and w2 may finish a shard first.
            var unreachable = events.FindIndex(e => e is WorkerUnreachable { WorkerId: "w2" });
            var removed = events.FindIndex(e => e is WorkerFailed { WorkerId: "w2" });
            Assert.True(unreachable >= 0, "w2 was never marked unreachable");
            var next = events.FindIndex(unreachable, e => e is IterationCompleted);
            Assert.True(next > unreachable, "no iteration ended after w2 was marked unreachable");
            Assert.True(removed < 0 || removed > next, $"w2 removed (event {removed}) before the next iteration ended (event {next})");
            Assert.Contains(events, e => e is PassTimed { ShardsTaken: >= 2 });
        }, shardReplicas: 1);
    }

    [Fact]
    public async Task A_healthy_worker_frozen_3_s_is_not_downed_and_the_model_is_bit_identical()
    {
        var reference = await Embedded();
        await WithCluster(2, async (coordinator, workers, _, _) =>
        {
            var frozen = Task.CompletedTask;
            var observer = new AtIteration(2, () => frozen = Task.Run(async () =>
            {
                workers[0].Signal("STOP");
                await Task.Delay(TimeSpan.FromSeconds(3)); // the fault itself: a 3 s pause, not a synchronisation
                workers[0].Signal("CONT");
            }));
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer).WaitAsync(Bound);
            await frozen;

            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            lock (observer.Events)
                Assert.DoesNotContain(observer.Events, e => e is WorkerFailed);
            Assert.Equal(0, (int)Recovery(outcome)["workersLost"]!);
        });
    }

    [Fact]
    public async Task A_worker_frozen_past_the_failure_detector_is_downed_for_good_and_comes_back_as_a_new_incarnation()
    {
        var reference = await Embedded();
        await WithCluster(2, async (coordinator, workers, _, _) =>
        {
            var downed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var observer = new AtIteration(2, () => workers[0].Signal("STOP"), e =>
            {
                if (e is WorkerFailed { WorkerId: "w1" }) downed.TrySetResult();
            });
            var job = EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer);
            await downed.Task.WaitAsync(Bound);
            workers[0].Signal("CONT");
            var outcome = await job.WaitAsync(Bound);

            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            // The resumed process learns it was removed: that incarnation never computes again; it rejoins as a new one.
            await workers[0].WhenLine(l => l.Contains("removed from the cluster (downed)", StringComparison.Ordinal)).WaitAsync(Bound);
            await workers[0].WhenLine(l => l.Contains("(incarnation 2)", StringComparison.Ordinal)).WaitAsync(Bound);
        });
    }

    [Fact]
    public async Task Every_worker_SIGKILLed_then_one_started_again_and_the_job_waits_then_completes()
    {
        var reference = await Embedded();
        await WithCluster(2, async (coordinator, workers, cli, workerConfig) =>
        {
            coordinator.Settings = CoordinatorSettings.Default with { MaxWaitForWorkers = Bound };
            NodeProcess? late = null;
            var observer = new AtIteration(2, () => { foreach (var w in workers) w.KillHard(); }, e =>
            {
                if (e is WaitingForWorkers) late = Worker(cli, workerConfig, "w3"); // only once the job says it waits
            });
            try
            {
                var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer).WaitAsync(Bound);
                Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
                lock (observer.Events)
                    Assert.Single(observer.Events, e => e is WaitingForWorkers);
                Assert.NotNull(late);
            }
            finally
            {
                if (late is not null) { output.WriteLine(late.Describe()); late.Dispose(); }
            }
        });
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_coordinator_SIGKILLed_after_iteration_3_resumes_from_its_journal_to_the_same_model(string provider)
    {
        string? connection = null;
        if (provider == "postgres")
        {
            connection = Postgres();
            if (connection is null) { Assert.Null(Environment.GetEnvironmentVariable("CI")); return; } // CI always has it
        }
        var cli = await CliDll.Value;
        var reference = await Embedded();
        var (coordinatorConfig, workerConfig, _) = Configs(provider, connection);
        var outDir = data.NewOutDir();
        string[] args = ["coordinator", "--config", coordinatorConfig, "--out", outDir, "--workers", "2", "--no-report", .. EmArgs, Dataset()];
        using var w1 = Worker(cli, workerConfig, "w1");
        using var w2 = Worker(cli, workerConfig, "w2");
        NodeProcess? first = null, second = null;
        try
        {
            first = NodeProcess.Start(cli, [.. args, "--chaos", "delay:random=300ms"]); // slower iterations: the kill lands mid-training
            await first.WhenLine(l => l.Contains("iteration   3/", StringComparison.Ordinal)).WaitAsync(Bound);
            first.KillHard();
            second = NodeProcess.Start(cli, args);
            Assert.Equal(0, await second.ExitCodeAsync(Bound));
            var resumed = await second.WhenLine(l => l.Contains("resumed", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(1));
            output.WriteLine(resumed);
            Assert.DoesNotContain("iteration   1/", second.Output, StringComparison.Ordinal); // continued, not redone
            Assert.Equal(File.ReadAllBytes(reference.Score.ModelPath), File.ReadAllBytes(Path.Combine(outDir, "model.json")));
        }
        finally
        {
            foreach (var p in new[] { first, second, w1, w2 }) if (p is not null) output.WriteLine(p.Describe());
            first?.Dispose();
            second?.Dispose();
        }
    }

    [Fact]
    public async Task A_second_coordinator_for_a_running_job_exits_with_job_already_owned()
    {
        var cli = await CliDll.Value;
        var (coordinatorConfig, _, _) = Configs();
        var outDir = data.NewOutDir();
        // It waits for 5 workers that never come: the job stays owned while the second one tries.
        using var owner = NodeProcess.Start(cli, "coordinator", "--config", coordinatorConfig, "--out", outDir, "--workers", "5", "--wait-seconds", "300", Dataset());
        try
        {
            await owner.WhenLine(l => l.Contains("waiting up to", StringComparison.Ordinal)).WaitAsync(Bound);
            // Another cluster (its own port), the same journal and run folder.
            using var second = NodeProcess.Start(cli, "coordinator", "--config", coordinatorConfig, "--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--out", outDir, "--workers", "1", Dataset());
            var code = await second.ExitCodeAsync(Bound);
            output.WriteLine(second.Describe());
            Assert.Equal(1, code);
            Assert.Contains("job already owned", second.Output, StringComparison.Ordinal);
            Assert.Contains($"pid {owner.Pid}", second.Output, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(owner.Describe());
        }
    }

    [Fact]
    public async Task A_standby_coordinator_takes_the_job_over_when_the_active_one_is_SIGKILLed()
    {
        var connection = Postgres();
        if (connection is null) { Assert.Null(Environment.GetEnvironmentVariable("CI")); return; }
        var cli = await CliDll.Value;
        var reference = await Embedded();
        var (coordinatorConfig, workerConfig, port) = Configs("postgres", connection);
        var standbyPort = FreePort();
        var seeds = $"127.0.0.1:{port},127.0.0.1:{standbyPort}";
        var outDir = data.NewOutDir();
        string[] common = ["coordinator", "--config", coordinatorConfig, "--seed-nodes", seeds, "--out", outDir, "--workers", "2", "--no-report", .. EmArgs, Dataset()];
        using var active = NodeProcess.Start(cli, [.. common, "--chaos", "delay:random=300ms"]);
        await active.WhenLine(l => l.Contains("cluster member at", StringComparison.Ordinal)).WaitAsync(Bound);
        using var standby = NodeProcess.Start(cli, [.. common, "--standby", "--node-name", "standby", "--port", standbyPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var w1 = NodeProcess.Start(cli, "worker", "--config", workerConfig, "--seed-nodes", seeds, "--node-name", "w1", "--cores", "1");
        using var w2 = NodeProcess.Start(cli, "worker", "--config", workerConfig, "--seed-nodes", seeds, "--node-name", "w2", "--cores", "1");
        try
        {
            await active.WhenLine(l => l.Contains("iteration   3/", StringComparison.Ordinal)).WaitAsync(Bound);
            active.KillHard();
            Assert.Equal(0, await standby.ExitCodeAsync(Bound));
            Assert.Contains("taking over job", standby.Output, StringComparison.Ordinal);
            Assert.Contains("resumed", standby.Output, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllBytes(reference.Score.ModelPath), File.ReadAllBytes(Path.Combine(outDir, "model.json")));
        }
        finally
        {
            foreach (var p in new[] { active, standby, w1, w2 }) output.WriteLine(p.Describe());
        }
    }

    [Fact]
    public async Task With_mutual_TLS_a_worker_whose_certificate_is_not_from_the_cluster_CA_is_refused_and_counted_and_the_job_completes_without_it()
    {
        var cli = await CliDll.Value;
        var reference = await Embedded();
        var cluster = new TestCluster("distgmm-test-cluster-ca");
        var stranger = new TestCluster("some-other-ca"); // what a node without the cluster's CA can present
        var port = FreePort();
        string Conf(string name, TlsSettings tls, int nodePort)
        {
            var path = Path.Combine(data.Root, $"tls-{name}-{Guid.NewGuid():N}.conf");
            File.WriteAllText(path, $$"""
                distgmm { node-name = {{name}}, journal.connection-string = {{ClusterNodeConfig.Quote($"Data Source={Path.Combine(data.Root, $"tls-{port}.db")}")}} }
                distgmm.tls { enabled = on, certificate-path = {{ClusterNodeConfig.Quote(tls.CertificatePath!)}}, ca-certificate-path = {{ClusterNodeConfig.Quote(tls.CaCertificatePath!)}} }
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{nodePort}} }
                akka.cluster.seed-nodes = ["akka.ssl.tcp://distgmm@127.0.0.1:{{port}}"]
                """);
            return path;
        }
        var refusedBefore = TlsRejections.Shared.Count;
        await using var coordinator = CoordinatorNode.Start(ClusterNodeConfig.Load(Conf("c", cluster.Node("c"), port), ClusterNodeConfig.CoordinatorRole,
            runFolder: data.Root));
        await coordinator.WhenActiveAsync(CancellationToken.None).WaitAsync(Bound);
        using var w1 = Worker(cli, Conf("w1", cluster.Node("w1"), 0), "w1");
        using var w2 = Worker(cli, Conf("w2", cluster.Node("w2"), 0), "w2");
        using var intruder = Worker(cli, Conf("intruder", stranger.Node("intruder"), 0), "intruder");
        try
        {
            await coordinator.WaitForWorkersAsync(2, Bound, CancellationToken.None);
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2)).WaitAsync(Bound);
            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            Assert.Equal(2, outcome.Train.Workers);
            // The intruder's join attempts reach the seed node's handshake and stop there, refused and counted.
            Assert.True(TlsRejections.Shared.Count > refusedBefore, intruder.Describe());
            Assert.DoesNotContain("member of the cluster", intruder.Output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var p in new[] { w1, w2, intruder }) output.WriteLine(p.Describe());
        }
    }

    [Fact]
    public async Task A_message_over_the_maximum_frame_size_fails_the_job_with_an_error_naming_the_setting()
    {
        var cli = await CliDll.Value;
        var (coordinatorConfig, workerConfig, _) = Configs();
        // K=3, d=39, full covariance: a pass's parameters and a shard's statistics are ≈ 37 KB; allow 32000 bytes (Akka's minimum).
        foreach (var path in new[] { coordinatorConfig, workerConfig })
            File.AppendAllText(path, "\nakka.remote.dot-netty.tcp.maximum-frame-size = 32000b\n");
        await using var coordinator = CoordinatorNode.Start(ClusterNodeConfig.Load(coordinatorConfig, ClusterNodeConfig.CoordinatorRole, runFolder: data.Root));
        await coordinator.WhenActiveAsync(CancellationToken.None).WaitAsync(Bound);
        using var worker = Worker(cli, workerConfig, "w1");
        try
        {
            await coordinator.WaitForWorkersAsync(1, Bound, CancellationToken.None);
            var error = await Assert.ThrowsAsync<JobFailedException>(() => EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 1)).WaitAsync(Bound));
            Assert.Contains("akka.remote.dot-netty.tcp.maximum-frame-size (32000 bytes)", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(worker.Describe());
        }
    }
}
