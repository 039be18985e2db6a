using System.Collections.Concurrent;
using Akka.Actor;
using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Coordinator + real worker actors under a job host in the test's actor system, on in-memory shards; every message
/// between them goes through the binary serializer (serialize-messages), as it would between nodes.
/// </summary>
public sealed class EmbeddedClusterTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly DataMatrix[] Shards = Synthetic.Shards();
    private static readonly GmmFitResult Reference = GaussianMixtureFitter.Fit(Shards, Synthetic.Options());

    private sealed class Recorder : IJobObserver
    {
        public ConcurrentQueue<JobEvent> Events { get; } = new();
        public void OnEvent(JobEvent e) => Events.Enqueue(e);
    }

    private Task<CoordinatorState> Train(int workers, ClusterOptions options, IJobObserver? observer = null) =>
        EmbeddedJob.RunJobAsync(Synthetic.TrainPlan(Shards, workers), options with { System = Sys }, observer, CancellationToken.None);

    /// <summary>
    /// Restarts of the worker the coordinator reported after the worker's first crash, at which the fault hook noted
    /// how many events there were.
    /// </summary>
    private static int RestartsAfter(Recorder recorder, int firstCrashAt, string workerId) =>
        recorder.Events.Skip(firstCrashAt).OfType<WorkerRecovered>().Count(e => e.WorkerId == workerId);

    [Fact]
    public async Task A_fault_free_job_reports_no_worker_restart()
    {
        var recorder = new Recorder();
        await Train(3, new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1), recorder);
        Assert.Empty(recorder.Events.OfType<WorkerRecovered>());
        Assert.Equal(3, recorder.Events.OfType<WorkerJoinedJob>().Count());
    }

    public static TheoryData<int, string> Shapes => new()
    {
        { 1, "balanced" }, { 2, "balanced" }, { 3, "balanced" }, { 8, "balanced" },
        { 2, "round-robin-1" }, { 3, "round-robin-2" }, { 8, "round-robin-5" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_model_is_bit_identical_for_any_worker_count_and_placement_and_equals_the_fitter(int workers, string placement)
    {
        IShardPlacement strategy = placement == "balanced"
            ? BalancedByRowsPlacement.Instance
            : new RoundRobinPlacement(int.Parse(placement[^1..], System.Globalization.CultureInfo.InvariantCulture));
        var state = await Train(workers, new ClusterOptions(strategy, CoresPerWorker: 1 + workers % 2, ShardSource: new InMemoryShardSource(Shards)));
        var fit = state.BestFit!;
        Assert.Equal(Reference.Model.ToBytes(), fit.Model.ToBytes());
        Assert.Equal(Reference.Iterations, fit.Iterations);
        Assert.Equal(Reference.LowerBound, fit.LowerBound);
        Assert.Equal(Reference.LowerBoundHistory, fit.LowerBoundHistory);
    }

    [Theory]
    [InlineData(InitMethod.KMeansPlusPlus, CovarianceType.Diag)]
    [InlineData(InitMethod.RandomFromData, CovarianceType.Tied)]
    [InlineData(InitMethod.Random, CovarianceType.Spherical)]
    public async Task nInit_restarts_and_every_init_method_match_the_fitter(InitMethod init, CovarianceType type)
    {
        var options = new EmOptions(3, type, NInit: 3, Init: init, Seed: 11);
        var plan = new JobPlan("job-n", Synthetic.Dataset, [.. Shards.Select(s => (long)s.Rows)], 3, [options]);
        var state = await EmbeddedJob.RunJobAsync(plan, new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, System: Sys),
            null, CancellationToken.None);
        var expected = GaussianMixtureFitter.Fit(Shards, options);
        Assert.Equal(expected.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(expected.BestRun, state.BestFit.BestRun);
    }

    [Fact]
    public async Task A_crashing_worker_is_restarted_by_its_supervisor_and_its_shards_are_recomputed()
    {
        var crashedOn = new ConcurrentDictionary<int, bool>();
        var source = new InMemoryShardSource(Shards);
        var recorder = new Recorder();
        var firstCrashAt = -1;
        var options = new ClusterOptions(ShardSource: source, CoresPerWorker: 1, FaultHook: (worker, command) =>
        {
            // worker-1 crashes on its third and fifth pass (its loaded shards are lost each time)
            if (worker == "worker-1" && command is ComputePass { PassNumber: 3 or 5 } pass && crashedOn.TryAdd(pass.PassNumber, true))
            {
                Interlocked.CompareExchange(ref firstCrashAt, recorder.Events.Count, -1);
                throw new IOException("simulated disk failure");
            }
        });
        var state = await Train(3, options, recorder);

        Assert.Equal([3, 5], crashedOn.Keys.Order());
        Assert.Equal(Reference.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(2, RestartsAfter(recorder, firstCrashAt, "worker-1"));
        Assert.Contains(recorder.Events.OfType<WorkerFailed>(), e => e.WorkerId == "worker-1" && e.Reason.Contains("simulated disk failure"));
        Assert.True(source.Loads > Shards.Length, "the restarted worker reloaded its shards");
        Assert.Contains(recorder.Events, e => e is IterationCompleted);
        Assert.Contains(recorder.Events, e => e is JobFinished { Succeeded: true });
    }

    [Fact]
    public async Task A_worker_that_exhausts_its_restart_budget_is_stopped_and_survivors_take_its_shards()
    {
        var recorder = new Recorder();
        var crashes = 0;
        var firstCrashAt = -1;
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, FaultHook: (worker, command) =>
        {
            if (worker == "worker-2" && command is ComputePass)
            {
                Interlocked.Increment(ref crashes);
                Interlocked.CompareExchange(ref firstCrashAt, recorder.Events.Count, -1);
                throw new InvalidOperationException("always broken");
            }
        });
        var state = await Train(3, options, recorder);
        Assert.Equal(Reference.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.DoesNotContain("worker-2", state.Workers);
        // The host's budget: 10 restarts within a minute; the 11th failure stops the worker for good.
        Assert.Equal(11, crashes);
        Assert.Equal(10, RestartsAfter(recorder, firstCrashAt, "worker-2"));
        Assert.Contains(recorder.Events.OfType<WorkerFailed>(), e => e.WorkerId == "worker-2" && e.Reason == "stopped (terminated)");
        Assert.Contains(recorder.Events.OfType<ShardsAssigned>(), e => e.Reason == "worker-2 lost");
    }

    [Fact]
    public async Task Chaos_kill_stops_an_embedded_worker_after_the_iteration_and_the_survivors_finish_with_the_same_model()
    {
        var recorder = new Recorder();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1)
        {
            Settings = CoordinatorSettings.Embedded with { Chaos = ChaosPlan.Parse(["kill:worker-1@2"]) },
        };
        var state = await Train(3, options, recorder);
        Assert.Equal(Reference.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(["worker-0", "worker-2"], state.Workers.Order());
        Assert.Equal(("worker-1", "kill after iteration 2"), Assert.Single(recorder.Events.OfType<ChaosInjected>()) is var c ? (c.Target, c.Action) : default);
        Assert.Contains(recorder.Events.OfType<ShardsAssigned>(), e => e.Reason == "worker-1 lost");
        Assert.Contains(recorder.Events.OfType<ShardsRecovered>(), _ => true);
    }

    [Fact]
    public async Task When_every_worker_is_lost_the_job_fails_with_the_last_worker_error()
    {
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1,
            FaultHook: (_, command) => { if (command is ComputePass) throw new InvalidOperationException("out of memory (simulated)"); });
        var ex = await Assert.ThrowsAsync<JobFailedException>(() => Train(2, options));
        Assert.Contains("All workers lost", ex.Message);
        Assert.Contains("out of memory (simulated)", ex.Message);
    }

    [Fact]
    public async Task Scoring_merges_moments_applies_the_threshold_and_collects_anomalies_with_raw_values()
    {
        var model = Reference.Model;
        var plan = new JobPlan("score-1", Synthetic.Dataset, [.. Shards.Select(s => (long)s.Rows)], 3, [], model.ToBytes(),
            new ThresholdRule.MeanMinusKStd(2));
        var state = await EmbeddedJob.RunJobAsync(plan, new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, System: Sys),
            null, CancellationToken.None);

        var all = Shards.SelectMany(s =>
        {
            var scores = new double[s.Rows];
            model.ScoreSamples(s.Values, scores);
            return scores;
        }).ToArray();
        var mean = all.Average();
        var std = Math.Sqrt(all.Select(x => (x - mean) * (x - mean)).Sum() / all.Length);
        var moments = state.MergedMoments();
        Assert.Equal(all.Length, moments.Count);
        Assert.Equal(mean, moments.Mean, 1e-12);
        Assert.Equal(std, moments.StdDev, 1e-12);
        Assert.Equal(moments.Mean - 2 * moments.StdDev, state.Threshold);
        Assert.Equal(all, state.Scored.Values.SelectMany(s => s.Scores));   // bit-identical score_samples, shard order

        var anomalies = state.Anomalies.Values.SelectMany(a => a.Rows).ToList();
        var expectedIds = all.Select((score, id) => (score, id)).Where(x => x.score < state.Threshold).Select(x => (long)x.id);
        Assert.Equal(expectedIds, anomalies.Select(a => a.RowId));
        Assert.NotEmpty(anomalies);
        var first = anomalies[0];
        var shardOf = 0;
        var offset = 0L;
        while (first.RowId >= offset + Shards[shardOf].Rows) offset += Shards[shardOf++].Rows;
        Assert.Equal(Shards[shardOf].Row((int)(first.RowId - offset)).ToArray(), first.Numbers);
        Assert.Equal(first.RowId % 50 == 0 ? "attack" : "normal", first.Label);
    }

    [Fact]
    public async Task Chaos_down_makes_the_host_stop_an_embedded_worker_and_the_survivors_finish_with_the_same_model()
    {
        var recorder = new Recorder();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1)
        {
            Settings = CoordinatorSettings.Embedded with { Chaos = ChaosPlan.Parse(["down:worker-0@3"]) },
        };
        var state = await Train(2, options, recorder);
        Assert.Equal(Reference.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(["worker-1"], state.Workers);
        Assert.Equal(("worker-0", "down the node after iteration 3"), Assert.Single(recorder.Events.OfType<ChaosInjected>()) is var c ? (c.Target, c.Action) : default);
        Assert.Contains(recorder.Events.OfType<WorkerFailed>(), e => e.WorkerId == "worker-0" && e.Reason == "stopped (terminated)");
    }

    [Fact]
    public async Task A_job_run_again_with_its_id_finishes_from_the_journal_without_loading_or_computing_anything()
    {
        var first = await Train(2, new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1));
        // RunJobAsync stops its host without waiting: starting the same job id at once can still find the name taken
        // (InvalidActorNameException, reported to the lead), so wait for the first host to be gone.
        Sys.ActorSelection("/user/job-job-1").Tell(new Identify(1), TestActor);
        if (ExpectMsg<ActorIdentity>().Subject is { } host)
        {
            Watch(host);
            ExpectTerminated(host);
        }
        var recorder = new Recorder();
        var source = new InMemoryShardSource(Shards);
        var again = await Train(2, new ClusterOptions(ShardSource: source, CoresPerWorker: 1), recorder);
        Assert.Equal(first.BestFit!.Model.ToBytes(), again.BestFit!.Model.ToBytes());
        Assert.Equal(first.BestFit.LowerBoundHistory, again.BestFit.LowerBoundHistory);
        Assert.Equal(0, source.Loads);
        Assert.Empty(recorder.Events.OfType<IterationCompleted>());
        Assert.Equal("completed", Assert.Single(recorder.Events.OfType<JobResumed>()).Stage);
    }

    private sealed class BrokenPlacement : IShardPlacement
    {
        public IReadOnlyList<string> Place(IReadOnlyList<long> shardRows, IReadOnlyList<string> workers, Func<string, int>? cores = null) => [workers[0]];
    }

    [Fact]
    public async Task An_error_inside_the_coordinator_fails_the_job_instead_of_hanging()
    {
        var ex = await Assert.ThrowsAsync<JobFailedException>(() =>
            Train(2, new ClusterOptions(new BrokenPlacement(), ShardSource: new InMemoryShardSource(Shards))));
        Assert.Contains("coordinator error on WorkerReady", ex.Message);
        Assert.Contains("Placement has 1 owners for 8 shards", ex.Message);
    }

    [Fact]
    public async Task Cancellation_stops_waiting_for_the_job()
    {
        using var cts = new CancellationTokenSource();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1,
            FaultHook: (_, command) => { if (command is ComputePass) { cts.Cancel(); } });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            EmbeddedJob.RunJobAsync(Synthetic.TrainPlan(Shards, 1), options with { System = Sys }, null, cts.Token));
    }
}
