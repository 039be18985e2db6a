using System.Diagnostics;
using System.Text.Json.Nodes;
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
/// Faults with real processes, the real rabbitmq-server and PostgreSQL of scripts/services.sh: workers SIGKILLed
/// mid-job, the coordinator SIGKILLed and restarted (resuming from its SQLite or PostgreSQL journal), a second
/// coordinator for a running job, a broker restart, a worker with the wrong secret, every worker lost. Each job must
/// end with the model of the fault-free (embedded) run, bit for bit.
/// </summary>
[Collection(nameof(ClusterFaultToleranceTests))] // one broker, restarted by one of them: never in parallel
public sealed class ClusterFaultToleranceTests(DatasetFixture data, ITestOutputHelper output) : IClassFixture<DatasetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);
    // tol 0: always 12 iterations, so faults after iteration 2 or 3 land mid-training (this sample converges in 3 otherwise).
    private static readonly EmOptions Em = new(3, CovarianceType.Full, MaxIter: 12, Tol: 0, Seed: 7);

    /// <summary>A cluster config for this test: fast heartbeats (dead after 4 s: a live worker starved of CPU by the tests
    /// running beside it stays well inside) unless told otherwise.</summary>
    private string Config(string run, string secret = "test cluster secret", int deadAfterMs = 4000, string? journal = null)
    {
        Directory.CreateDirectory(data.Root);
        var path = Path.Combine(data.Root, $"{run}-{Guid.NewGuid():N}.json");
        journal ??= $$"""{ "provider": "sqlite", "connection": { "value": "Data Source={{Path.Combine(data.Root, run + "-journal.db")}}" } }""";
        File.WriteAllText(path, $$"""
            { "version": 1, "node": { "name": "{{run}}-c", "role": "coordinator" },
              "broker": { "uri": "{{ClusterProcesses.Amqp()}}" }, "secret": { "value": "{{run}} {{secret}}" },
              "journal": {{journal}},
              "heartbeat": { "intervalMs": 200, "acceptablePauseMs": 1000, "minStdDeviationMs": 50, "phiThreshold": 8, "deadAfterMs": {{deadAfterMs}} } }
            """);
        return path;
    }

    private static string NewRun() => $"f{Guid.NewGuid():N}"[..9];

    private string Dataset() => data.KddSample(shards: 6);

    /// <param name="workers">Workers the job waits for before it starts.</param>
    private RunJobSpec Spec(string outDir, ClusterOptions? cluster, int workers) =>
        new(Dataset(), PreprocessingSpec.Preset("seed"), Em, workers, [], ThresholdRule.Default, outDir, Cluster: cluster);

    private async Task<RunOutcome> Embedded() => await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), null, 2));

    private static NodeProcess Worker(string cli, string config, string run, string name) =>
        NodeProcess.Start(cli, "worker", "--config", config, "--node-name", $"{run}-{name}", "--coordinator", $"{run}-c", "--cores", "1", "--join-seconds", "120");

    /// <summary>Runs <paramref name="body"/> with an in-process coordinator node and worker processes, dumping their logs.</summary>
    private async Task WithCluster(string config, string run, int workers, Func<CoordinatorNode, List<NodeProcess>, string, Task> body)
    {
        var cli = await ClusterProcesses.CliDll.Value;
        var processes = new List<NodeProcess>();
        try
        {
            await using var coordinator = await CoordinatorNode.StartAsync(
                ClusterConfigLoader.Load(config, new ClusterConfigOverrides { Role = NodeRole.Coordinator }), output.WriteLine);
            for (var w = 1; w <= workers; w++) processes.Add(Worker(cli, config, run, $"w{w}"));
            await coordinator.WaitForWorkersAsync(workers, Bound);
            await body(coordinator, processes, cli);
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

    /// <summary>Calls <paramref name="act"/> once, on the coordinator's thread, when EM iteration <paramref name="iteration"/> completes.</summary>
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
    public async Task A_worker_SIGKILLed_mid_job_has_its_shards_recomputed_and_the_model_is_bit_identical()
    {
        if (ClusterProcesses.Amqp() is null) return;
        var run = NewRun();
        var config = Config(run);
        var reference = await Embedded();
        await WithCluster(config, run, 3, async (coordinator, workers, _) =>
        {
            // Killed right after iteration 2's merge: iteration 3's E-step is sent to a dead worker and never answered.
            var observer = new AtIteration(2, () => workers[1].KillHard());
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 3), observer).WaitAsync(Bound);

            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            var recovery = Recovery(outcome);
            output.WriteLine(recovery.ToJsonString());
            Assert.True((int)recovery["workersLost"]! >= 1);
            var failure = recovery["failures"]!.AsArray().First(f => (string)f!["worker"]! == $"{run}-w2")!;
            Assert.Equal("train", (string)failure["stage"]!);
            Assert.True((double)failure["detectionSeconds"]! >= 4);
            Assert.NotEmpty(failure["shardsMoved"]!.AsArray());
            Assert.NotNull(failure["recomputeSeconds"]);
            Assert.Contains(observer.Events, e => e is ShardsAssigned a && a.Reason == $"{run}-w2 lost");
        });
    }

    [Fact]
    public async Task Every_worker_SIGKILLed_then_one_started_again_and_the_job_completes()
    {
        if (ClusterProcesses.Amqp() is null) return;
        var run = NewRun();
        var config = Config(run);
        var reference = await Embedded();
        NodeProcess? late = null;
        try
        {
            await WithCluster(config, run, 2, async (coordinator, workers, cli) =>
            {
                coordinator.Settings = CoordinatorSettings.Default with { MaxWaitForWorkers = Bound };
                // Both die after iteration 2; a new worker is started only once the coordinator says it is waiting.
                var observer = new AtIteration(2, () =>
                {
                    foreach (var w in workers) w.KillHard();
                }, onEvent: e =>
                {
                    if (e is WaitingForWorkers) late ??= Worker(cli, config, run, "w3");
                });
                var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer).WaitAsync(Bound);
                Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
                Assert.Contains(observer.Events, e => e is WaitingForWorkers);
                Assert.Contains(observer.Events, e => e is ShardsAssigned a && a.Reason.Contains("orphaned", StringComparison.Ordinal));
                Assert.True((int)Recovery(outcome)["workersLost"]! >= 2);
            });
        }
        finally
        {
            if (late is not null) { output.WriteLine(late.Describe()); late.Dispose(); }
        }
    }

    [Fact]
    public async Task A_worker_with_the_wrong_secret_is_rejected_and_counted_and_the_job_completes_without_it()
    {
        if (ClusterProcesses.Amqp() is null) return;
        var run = NewRun();
        var config = Config(run);
        var intruderConfig = Config(run, secret: "some other secret");
        var cli = await ClusterProcesses.CliDll.Value;
        var reference = await Embedded();
        using var intruder = Worker(cli, intruderConfig, run, "intruder");
        await WithCluster(config, run, 2, async (coordinator, _, _) =>
        {
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2)).WaitAsync(Bound);
            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            // The intruder retries its join every second; wait (bounded) until one attempt has reached the coordinator.
            var deadline = Stopwatch.StartNew();
            while (coordinator.Node.Remote.TransportCounters.RejectedAuthentication == 0 && deadline.Elapsed < Bound)
                await Task.Delay(50);
            Assert.True(coordinator.Node.Remote.TransportCounters.RejectedAuthentication > 0, intruder.Describe());
            Assert.Equal(2, coordinator.Workers);
        });
        Assert.DoesNotContain("joined", intruder.Output.Replace("joining", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_job_survives_a_rabbitmq_server_restart_with_the_same_model()
    {
        if (ClusterProcesses.Amqp() is null) return;
        var run = NewRun();
        var config = Config(run, deadAfterMs: 120_000); // the outage must not count as a worker failure
        var reference = await Embedded();
        await WithCluster(config, run, 2, async (coordinator, _, _) =>
        {
            var observer = new AtIteration(2, () => RestartBroker(output));
            var outcome = await EmbeddedJob.RunAsync(Spec(data.NewOutDir(), coordinator.ClusterOptions(), 2), observer).WaitAsync(Bound);
            Assert.Equal(reference.Train.Model.Model.ToBytes(), outcome.Train.Model.Model.ToBytes());
            Assert.Equal(reference.Score.Summary.Anomalies, outcome.Score.Summary.Anomalies);
            Assert.True(coordinator.Node.Remote.TransportCounters.ConnectionLosses >= 1);
            Assert.True(coordinator.Node.Remote.TransportCounters.Recoveries >= 1);
        });
    }

    public static TheoryData<string> Journals => new() { "sqlite", "postgres" };

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task A_coordinator_SIGKILLed_after_iteration_3_resumes_from_its_journal_to_the_same_model(string provider)
    {
        if (ClusterProcesses.Amqp() is null) return;
        string? journal = null;
        if (provider == "postgres")
        {
            if (TestServiceVariables.Read("DISTGMM_TEST_PG") is not { } pg) return;
            journal = $$"""{ "provider": "postgres", "connection": { "value": "{{pg}}" } }""";
        }
        var run = NewRun();
        var config = Config(run, journal: journal);
        var cli = await ClusterProcesses.CliDll.Value;
        var reference = await Embedded();
        var outDir = data.NewOutDir();
        string[] args = ["coordinator", "--config", config, "--out", outDir, "--workers", "2", "--k", "3", "--tol", "0", "--max-iter", "12", "--seed", "7",
            "--wait-seconds", "120", "--no-report", Dataset()];
        var workers = new List<NodeProcess>();
        NodeProcess? first = null, second = null;
        try
        {
            // The first life is slowed by a chaos delay (results never depend on it) so the kill lands mid-training.
            first = NodeProcess.Start(cli, [.. args, "--chaos", "delay:random=300ms"]);
            for (var w = 1; w <= 2; w++) workers.Add(Worker(cli, config, run, $"w{w}"));
            await first.WhenLine(l => l.Contains("iteration   3", StringComparison.Ordinal)).WaitAsync(Bound);
            first.KillHard();

            second = NodeProcess.Start(cli, args);
            Assert.Equal(0, await second.ExitCodeAsync(Bound));
            Assert.Contains($"found in the {provider} journal", second.Output, StringComparison.Ordinal);
            var firstIteration = second.Output.Split('\n').First(l => l.Contains("train: K=3 iteration", StringComparison.Ordinal));
            Assert.True(int.Parse(firstIteration.Split("iteration")[1].Trim().Split('/')[0]) >= 4, firstIteration); // nothing redone
            var resumed = ModelFile.Load(Path.Combine(outDir, "model.json"));
            Assert.Equal(reference.Train.Model.Model.ToBytes(), resumed.Model.ToBytes());
            Assert.Contains("resumed from the journal", File.ReadAllText(Path.Combine(outDir, "events.log")), StringComparison.Ordinal);
            Assert.Contains("stage training", second.Output, StringComparison.Ordinal); // resumed mid-training, not after it
        }
        finally
        {
            foreach (var p in new[] { first, second }.OfType<NodeProcess>().Concat(workers))
            {
                output.WriteLine(p.Describe());
                p.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_second_coordinator_for_a_running_job_exits_with_job_already_owned()
    {
        if (ClusterProcesses.Amqp() is null) return;
        var run = NewRun();
        var config = Config(run);
        var cli = await ClusterProcesses.CliDll.Value;
        var outDir = data.NewOutDir();
        string[] args = ["coordinator", "--config", config, "--out", outDir, "--workers", "5", "--wait-seconds", "300", Dataset()];
        using var owner = NodeProcess.Start(cli, args);
        await owner.WhenLine(l => l.Contains("waiting up to", StringComparison.Ordinal)).WaitAsync(Bound);
        using var second = NodeProcess.Start(cli, [.. args, "--node-name", $"{run}-c2"]);
        Assert.NotEqual(0, await second.ExitCodeAsync(Bound));
        Assert.Contains("job already owned", second.Output, StringComparison.Ordinal);
        Assert.Contains($"{run}-c@", second.Output, StringComparison.Ordinal); // names the owner
        output.WriteLine(second.Describe());
    }

    /// <summary>Stops the whole rabbitmq-server node and starts it again (scripts/services.sh), blocking until it answers.</summary>
    private static void RestartBroker(ITestOutputHelper output)
    {
        Run("rabbitmqctl", "-q", "-n", "rabbit@localhost", "stop");
        Run("bash", RepoPaths.InRepo("scripts", "services.sh"));
        output.WriteLine("rabbitmq-server restarted");

        static void Run(string file, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(3)) || p.ExitCode != 0)
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stdout.Result}{stderr.Result}");
        }
    }
}

[CollectionDefinition(nameof(ClusterFaultToleranceTests), DisableParallelization = true)]
public sealed class ClusterFaultToleranceCollection;
