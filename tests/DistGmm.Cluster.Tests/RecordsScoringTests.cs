using System.Collections.Concurrent;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Data.Parquet;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>Synthetic shards with repeated records: a flood of one record across every shard, and copies of earlier rows.</summary>
internal static class RecordsData
{
    public static readonly DataMatrix[] Shards = WithCopies(Synthetic.Shards());

    public static DataMatrix[] WithCopies(DataMatrix[] shards)
    {
        var all = shards.SelectMany(s => s.Values).ToArray();
        var rows = all.Length / 2;
        for (var g = 0; g < rows; g++)
        {
            if (g % 5 == 1) { all[2 * g] = 3.0; all[2 * g + 1] = 3.0; }                // one record, ~20 % of the rows
            else if (g % 11 == 2 && g >= 11) { all[2 * g] = all[2 * (g - 11)]; all[2 * g + 1] = all[2 * (g - 11) + 1]; } // copies
        }
        var result = new DataMatrix[shards.Length];
        var at = 0;
        for (var s = 0; s < shards.Length; s++)
        {
            result[s] = new DataMatrix(all[(2 * at)..(2 * (at + shards[s].Rows))], shards[s].Rows, 2);
            at += shards[s].Rows;
        }
        return result;
    }

    /// <summary>The single-process records fit: counts merged in shard order, fitted on each record's first occurrence.</summary>
    public static (GmmFitResult Fit, RecordCountsResult Counts, DataMatrix[] Representatives) Reference(DataMatrix[] shards, EmOptions options)
    {
        var counts = DistinctRecords.Count(shards);
        var reps = new DataMatrix[shards.Length];
        long offset = 0;
        for (var s = 0; s < shards.Length; s++)
        {
            reps[s] = DistinctRecords.Representatives(shards[s], offset, counts);
            offset += shards[s].Rows;
        }
        return (GaussianMixtureFitter.Fit(reps, options), counts, reps);
    }

    /// <summary>Every row's records score in shard order: log p(x) + log P(m).</summary>
    public static double[] Scores(DataMatrix[] shards, GaussianMixture model, RecordCountsResult counts, MultiplicityModel pmf) =>
        [.. shards.SelectMany(s =>
        {
            var scores = new double[s.Rows];
            model.ScoreSamples(s.Values, scores);
            DistinctRecords.AddMultiplicity(scores, DistinctRecords.Multiplicities(s, counts), pmf);
            return scores;
        })];

    public static JobPlan TrainPlan(int workers) => Synthetic.TrainPlan(Shards, workers) with { Scoring = Scoring.Records };
}

/// <summary>The records scoring in the pure coordinator: Counting before Training, exact offsets, duplicates, replay.</summary>
public sealed class RecordsCoordinatorStateTests
{
    private static readonly DataMatrix[] Shards = RecordsData.Shards;
    private static readonly (GmmFitResult Fit, RecordCountsResult Counts, DataMatrix[] Representatives) Reference =
        RecordsData.Reference(Shards, Synthetic.Options());

    /// <summary>Perfect workers: counts every shard, then trains on the representatives; records the journal.</summary>
    private static (CoordinatorState State, List<CoordinatorEvent> Journal) Drive(JobPlan plan, Action<CoordinatorState>? afterCounting = null)
    {
        var journal = new List<CoordinatorEvent>();
        var state = CoordinatorState.Initial(plan);
        void Apply(CoordinatorEvent e)
        {
            if (e is IJournaledEvent) journal.Add(e);
            state = state.Apply(e);
        }
        Apply(new WorkerJoined("w0"));
        Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
        for (var s = 0; s < Shards.Length; s++) Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
        Assert.Equal(JobStage.Counting, state.Stage);
        var counting = Assert.IsType<RecordCountsPass>(state.CurrentPass);
        for (var s = Shards.Length - 1; s >= 0; s--) // arrival order does not matter: merged in shard order
            Apply(new ShardResultAccepted(counting.PassNumber, s, PassResult.FromBytes(PartitionCompute.Compute(counting, Shards[s], state.GlobalRowOffset(s), 1).ToBytes())));
        Apply(new RecordsCounted(state.MergePending().ToBytes()));
        afterCounting?.Invoke(state);
        while (state.Stage == JobStage.Training)
        {
            var pass = state.CurrentPass!;
            for (var s = 0; s < Shards.Length; s++)
                Apply(new ShardResultAccepted(pass.PassNumber, s, PartitionCompute.Compute(pass, state.RecordCounts is { } c
                    ? DistinctRecords.Representatives(Shards[s], state.GlobalRowOffset(s), c) : Shards[s], state.TrainingRowOffset(s), 1)));
            Apply(new PassCompleted(pass.PassNumber, state.MergePending().ToBytes()));
        }
        return (state, journal);
    }

    [Fact]
    public void Counting_comes_before_training_which_fits_each_distinct_record_once_as_the_single_process_fit_does()
    {
        var (state, _) = Drive(RecordsData.TrainPlan(1), afterCounting: counted =>
        {
            Assert.Equal(JobStage.Training, counted.Stage);
            Assert.Equal(Reference.Counts.Distinct, counted.TrainingRows);
            Assert.Equal(Reference.Counts.ToBytes(), counted.RecordCountsBytes);
            // Each shard's offset among the distinct records: the representatives of the shards before it.
            long offset = 0;
            for (var s = 0; s < Shards.Length; s++)
            {
                Assert.Equal(offset, counted.TrainingRowOffset(s));
                offset += Reference.Representatives[s].Rows;
            }
        });
        Assert.Equal(JobStage.Completed, state.Stage);
        Assert.True(Reference.Counts.Distinct < Shards.Sum(s => s.Rows) * 3 / 4, "the data repeats records");
        Assert.Equal(Reference.Fit.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(Reference.Fit.LowerBoundHistory, state.BestFit.LowerBoundHistory);
        Assert.Equal(Reference.Counts.Distinct, state.BestFit.Rows);
        Assert.Equal(MultiplicityModel.From(Reference.Counts).BinCounts, state.Multiplicity!.BinCounts);
    }

    [Fact]
    public void Duplicate_and_stale_counts_and_results_leave_the_state_unchanged()
    {
        var state = CoordinatorState.Initial(RecordsData.TrainPlan(1))
            .Apply(new WorkerJoined("w0")).Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
        for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
        var counting = state.CurrentPass!;
        Assert.Equal(CoordinatorState.CountingPassNumber, counting.PassNumber);
        var count0 = RecordCountsResult.Compute(Shards[0], 0);
        state = state.Apply(new ShardResultAccepted(counting.PassNumber, 0, count0));
        Assert.Same(state, state.Apply(new ShardResultAccepted(counting.PassNumber, 0, count0)));          // duplicate
        Assert.Same(state, state.Apply(new ShardResultAccepted(0, 1, count0)));                          // a training pass number while counting
        Assert.Same(state, state.Apply(new PassCompleted(0, Reference.Counts.ToBytes())));                // not training yet
        for (var s = 1; s < Shards.Length; s++)
            state = state.Apply(new ShardResultAccepted(counting.PassNumber, s, RecordCountsResult.Compute(Shards[s], state.GlobalRowOffset(s))));
        state = state.Apply(new RecordsCounted(state.MergePending().ToBytes()));
        Assert.Equal(JobStage.Training, state.Stage);
        Assert.Empty(state.PendingResults);
        Assert.Same(state, state.Apply(new ShardResultAccepted(counting.PassNumber, 3, count0)));          // a late count
        Assert.Same(state, state.Apply(new RecordsCounted(Reference.Counts.ToBytes())));                  // counted twice
    }

    [Fact]
    public void Counts_that_do_not_cover_every_loaded_row_fail_the_job()
    {
        var state = CoordinatorState.Initial(RecordsData.TrainPlan(1))
            .Apply(new WorkerJoined("w0")).Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
        for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
        state = state.Apply(new RecordsCounted(RecordCountsResult.Compute(Shards[0], 0).ToBytes()));
        Assert.Equal(JobStage.Failed, state.Stage);
        Assert.Equal($"record counts cover {Shards[0].Rows} rows, the shards hold {Shards.Sum(s => s.Rows)}", state.Error);
    }

    [Fact]
    public void Replaying_the_journal_rebuilds_the_same_counts_offsets_and_model()
    {
        var plan = RecordsData.TrainPlan(1);
        var (live, journal) = Drive(plan);
        Assert.Single(journal.OfType<RecordsCounted>());
        var replayed = CoordinatorState.Initial(plan);
        foreach (var e in journal) replayed = replayed.Apply(e);
        Assert.Equal(JobStage.Completed, replayed.Stage);
        Assert.Equal(live.RecordCountsBytes, replayed.RecordCountsBytes);
        Assert.Equal(live.DistinctOffsets.ToArray(), replayed.DistinctOffsets.ToArray());
        Assert.Equal(live.BestFit!.Model.ToBytes(), replayed.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void Workers_get_the_counts_once_after_counting_and_again_with_a_reload_or_inherited_shards()
    {
        var state = CoordinatorState.Initial(RecordsData.TrainPlan(2)).Apply(new WorkerJoined("w0")).Apply(new WorkerJoined("w1"))
            .Apply(new ShardsPlaced(["w0", "w1", "w0", "w1", "w0", "w1", "w0", "w1"]));
        for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
        // Counting: the counting pass over every row, no counts yet.
        var whileCounting = state.CommandsFor("w1", includeLoad: true);
        Assert.IsType<LoadShards>(whileCounting[0]);
        var count = Assert.IsType<ComputePass>(whileCounting[1]);
        Assert.IsType<RecordCountsPass>(count.Pass);
        Assert.False(count.OnDistinctRecords);
        Assert.Equal([1, 3, 5, 7], count.Shards.Select(s => s.Shard));
        Assert.Equal([.. new[] { 1, 3, 5, 7 }.Select(s => state.GlobalRowOffset(s))], count.Shards.Select(s => s.GlobalRowOffset));
        Assert.Equal(2, whileCounting.Count);
        for (var s = 0; s < Shards.Length; s++)
            state = state.Apply(new ShardResultAccepted(CoordinatorState.CountingPassNumber, s, RecordCountsResult.Compute(Shards[s], state.GlobalRowOffset(s))));
        state = state.Apply(new RecordsCounted(state.MergePending().ToBytes()));

        // Right after counting: the counts (offsets among all rows), then the first pass on distinct records.
        var first = state.CommandsFor("w1", includeLoad: false, includeCounts: true);
        var use = Assert.IsType<UseRecordCounts>(first[0]);
        Assert.Equal(Reference.Counts.ToBytes(), use.CountsBytes);
        Assert.Equal([.. new[] { 1, 3, 5, 7 }.Select(s => new ShardSlice(s, state.GlobalRowOffset(s)))], use.Shards);
        var pass = Assert.IsType<ComputePass>(first[1]);
        Assert.True(pass.OnDistinctRecords);
        Assert.Equal([.. new[] { 1, 3, 5, 7 }.Select(s => new ShardSlice(s, state.TrainingRowOffset(s)))], pass.Shards);
        // Later passes: no counts again.
        Assert.IsType<ComputePass>(Assert.Single(state.CommandsFor("w1", includeLoad: false)));
        // A restarted worker: load, counts, pass.
        Assert.Equal([typeof(LoadShards), typeof(UseRecordCounts), typeof(ComputePass)], state.CommandsFor("w1", includeLoad: true).Select(c => c.GetType()));

        // w0 lost: w1 inherits its shards, with the counts for all of them.
        state = state.Apply(new WorkerLost("w0", "test"));
        var heir = state.CommandsFor("w1", includeLoad: true);
        Assert.Equal(Enumerable.Range(0, 8), Assert.IsType<UseRecordCounts>(heir[1]).Shards.Select(s => s.Shard));
        Assert.Equal(Enumerable.Range(0, 8), Assert.IsType<ComputePass>(heir[2]).Shards.Select(s => s.Shard));
    }

    [Fact]
    public void A_records_scoring_job_counts_then_scores_with_the_models_multiplicity_distribution_or_the_datas()
    {
        var model = Reference.Fit.Model.ToBytes();
        var given = new MultiplicityModel([.. Enumerable.Range(0, MultiplicityModel.Bins).Select(b => b == 0 ? 5L : 1L)]);
        foreach (var pmf in new[] { given, null })
        {
            var plan = new JobPlan("score-r", Synthetic.Dataset, [.. Shards.Select(s => (long)s.Rows)], 1, [], model, null, Scoring.Records, pmf);
            var state = CoordinatorState.Initial(plan).Apply(new WorkerJoined("w0")).Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
            for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
            Assert.Equal(JobStage.Counting, state.Stage);
            state = state.Apply(new RecordsCounted(Reference.Counts.ToBytes()));
            Assert.Equal(JobStage.Scoring, state.Stage);
            var commands = state.CommandsFor("w0", includeLoad: false, includeCounts: true);
            Assert.IsType<UseRecordCounts>(commands[0]);
            var score = Assert.IsType<ScoreShards>(commands[1]);
            Assert.Equal((pmf ?? MultiplicityModel.From(Reference.Counts)).BinCounts, score.Multiplicity!.BinCounts);
        }
    }
}

/// <summary>
/// Records jobs on real worker actors (every message through the binary serializer): the acceptance 5, and
/// workers lost while counting and while training.
/// </summary>
public sealed class RecordsClusterTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly DataMatrix[] Shards = RecordsData.Shards;
    private static readonly (GmmFitResult Fit, RecordCountsResult Counts, DataMatrix[] Representatives) Reference =
        RecordsData.Reference(Shards, Synthetic.Options());

    private sealed class Recorder : IJobObserver
    {
        public ConcurrentQueue<JobEvent> Events { get; } = new();
        public void OnEvent(JobEvent e) => Events.Enqueue(e);
    }

    private Task<CoordinatorState> Run(JobPlan plan, ClusterOptions options, IJobObserver? observer = null) =>
        EmbeddedJob.RunJobAsync(plan, options with { System = Sys }, observer, CancellationToken.None);

    private static bool IsCounting(object command) => command is ComputePass { Pass: RecordCountsPass };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Acceptance_5_partition_invariance_a_records_job_on_1_2_3_or_8_workers_gives_the_same_model_and_scores_bit_for_bit(int workers)
    {
        var recorder = new Recorder();
        var source = new InMemoryShardSource(Shards);
        var trained = await Run(RecordsData.TrainPlan(workers), new ClusterOptions(ShardSource: source, CoresPerWorker: 1 + workers % 2), recorder);
        Assert.Equal(Reference.Fit.Model.ToBytes(), trained.BestFit!.Model.ToBytes());
        Assert.Equal(Reference.Fit.LowerBoundHistory, trained.BestFit.LowerBoundHistory);
        Assert.Equal(Reference.Counts.ToBytes(), trained.RecordCountsBytes);
        var counted = Assert.Single(recorder.Events.OfType<DistinctRecordsCounted>());
        Assert.Equal((Shards.Sum(s => (long)s.Rows), Reference.Counts.Distinct), (counted.Rows, counted.Distinct));

        var pmf = trained.Multiplicity!;
        // Every records scoring: mahalanobis and capped score a reweighted form of the same fit (as `score` sends it).
        foreach (var scoring in new[] { Scoring.Records, Scoring.Mahalanobis, Scoring.Capped })
        {
            var scoringModel = scoring.ScoringMixture(trained.BestFit.Model);
            var plan = new JobPlan($"score-{workers}-{scoring}", Synthetic.Dataset, [.. Shards.Select(s => (long)s.Rows)], workers, [],
                scoringModel.ToBytes(), new ThresholdRule.MeanMinusKStd(2), scoring, pmf);
            var scored = await Run(plan, new ClusterOptions(ShardSource: source, CoresPerWorker: 1));
            var expected = RecordsData.Scores(Shards, scoringModel, Reference.Counts, pmf);
            Assert.Equal(expected, scored.Scored.Values.SelectMany(s => s.Scores));
            var anomalies = scored.Anomalies.Values.SelectMany(a => a.Rows).ToList();
            Assert.Equal(expected.Select((x, id) => (x, id)).Where(p => p.x < scored.Threshold).Select(p => (long)p.id), anomalies.Select(a => a.RowId));
            var scratch = new double[2];
            foreach (var row in anomalies)
                Assert.Equal(Reference.Counts.Multiplicity(RecordCountsResult.Hash(row.Numbers, scratch)), row.Multiplicity);
        }
    }

    [Fact]
    public async Task A_worker_crashing_while_counting_and_while_training_is_reloaded_sent_the_counts_again_and_the_model_is_the_same()
    {
        var crashed = new ConcurrentDictionary<string, bool>();
        var afterCrash = new ConcurrentQueue<(string Worker, object Command)>();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, FaultHook: (worker, command) =>
        {
            if (worker == "worker-1" && crashed.ContainsKey("counting")) afterCrash.Enqueue((worker, command));
            if (worker == "worker-1" && IsCounting(command) && crashed.TryAdd("counting", true)) throw new IOException("simulated crash while counting");
            if (worker == "worker-1" && command is ComputePass { PassNumber: 4 } && crashed.TryAdd("training", true)) throw new IOException("simulated crash while training");
        });
        var state = await Run(RecordsData.TrainPlan(3), options);
        Assert.Equal(["counting", "training"], crashed.Keys.Order());
        Assert.Equal(Reference.Fit.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        // After the counting crash: reload, count again; after the training crash: reload, the counts again, then the pass.
        var commands = afterCrash.Select(c => c.Command).ToList();
        var trainingCrash = commands.FindIndex(c => c is ComputePass { PassNumber: 4 });
        var resent = commands.Skip(trainingCrash + 1).ToList();
        Assert.IsType<LoadShards>(resent[0]);
        Assert.IsType<UseRecordCounts>(resent[1]);
        Assert.Equal(4, Assert.IsType<ComputePass>(resent[2]).PassNumber);
        Assert.Contains(commands.Take(trainingCrash), IsCounting);
    }

    [Fact]
    public async Task A_worker_lost_for_good_while_counting_has_its_shards_counted_by_the_survivors_and_the_model_is_the_same()
    {
        var recorder = new Recorder();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, FaultHook: (worker, command) =>
        {
            if (worker == "worker-2" && IsCounting(command)) throw new InvalidOperationException("always broken while counting");
        });
        var state = await Run(RecordsData.TrainPlan(3), options, recorder);
        Assert.Equal(Reference.Fit.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.DoesNotContain("worker-2", state.Workers);
        Assert.Contains(recorder.Events.OfType<ShardsAssigned>(), e => e.Reason == "worker-2 lost");
        // Lost before the counts were in: the reassignment came before the counting finished.
        var events = recorder.Events.ToList();
        Assert.True(events.FindIndex(e => e is ShardsAssigned { Reason: "worker-2 lost" }) < events.FindIndex(e => e is DistinctRecordsCounted));
    }

    [Fact]
    public async Task A_worker_killed_while_training_leaves_its_shards_to_survivors_who_get_the_counts_for_them_and_the_model_is_the_same()
    {
        var received = new ConcurrentQueue<(string Worker, UseRecordCounts Counts)>();
        var options = new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1,
            FaultHook: (worker, command) => { if (command is UseRecordCounts u) received.Enqueue((worker, u)); })
        {
            Settings = CoordinatorSettings.Embedded with { Chaos = ChaosPlan.Parse(["kill:worker-1@2"]) },
        };
        var state = await Run(RecordsData.TrainPlan(3), options);
        Assert.Equal(Reference.Fit.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(["worker-0", "worker-2"], state.Workers.Order());
        var all = received.ToList();
        // Once each after counting, then again to the heirs of worker-1's shards (covering them).
        Assert.Equal(["worker-0", "worker-1", "worker-2"], all.Take(3).Select(r => r.Worker).Order());
        var inherited = all.Skip(3).SelectMany(r => r.Counts.Shards.Select(s => s.Shard)).ToHashSet();
        Assert.Superset(all.Single(r => r.Worker == "worker-1").Counts.Shards.Select(s => s.Shard).ToHashSet(), inherited);
    }
}

/// <summary>The records scoring through the real dataset path: model.json and scores.parquet for 1, 2, 3 and 8 workers.</summary>
public sealed class RecordsDatasetTests(DatasetFixture data) : IClassFixture<DatasetFixture>
{
    private static double[] Scores(string outDir)
    {
        using var reader = ParquetFileReader.Open(Path.Combine(outDir, RunFolderWriter.ScoresFile));
        var scores = new double[reader.TotalRows];
        var at = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) at += reader.ReadDoubles(g, "score", scores.AsSpan(at));
        return scores;
    }

    [Fact]
    public async Task Acceptance_5_a_records_run_on_KDD_rows_writes_byte_identical_model_json_and_scores_for_1_2_3_and_8_workers()
    {
        var dataset = data.KddSample(shards: 6);
        var em = new EmOptions(2, CovarianceType.Full, Seed: 0, RegCovar: 1e-4);
        var models = new List<string>();
        var scores = new List<double[]>();
        RunOutcome? last = null;
        foreach (var (workers, placement) in new (int, IShardPlacement)[]
                 { (1, BalancedByRowsPlacement.Instance), (2, new RoundRobinPlacement(1)), (3, BalancedByRowsPlacement.Instance), (8, new RoundRobinPlacement(5)) })
        {
            var outDir = data.NewOutDir();
            last = await EmbeddedJob.RunAsync(new RunJobSpec(dataset, PreprocessingSpec.Preset("seed"), em, workers, [], ThresholdRule.Default, outDir,
                Cluster: new ClusterOptions(placement)) { Scoring = Scoring.Records });
            models.Add(File.ReadAllText(Path.Combine(outDir, RunFolderWriter.ModelFileName)));
            scores.Add(Scores(outDir));
        }
        Assert.All(models, m => Assert.Equal(models[0], m));
        Assert.All(scores, s => Assert.Equal(scores[0], s));

        var model = ModelFile.FromJson(models[0]);
        Assert.Equal(Scoring.Records, model.Scoring);
        Assert.Equal(Scoring.Records, last!.Score.Summary.Scoring);
        // Fitted on each distinct record once: fewer rows than the data, and the bins count those records.
        Assert.True(model.Rows < last.Score.Summary.Rows, $"{model.Rows} distinct of {last.Score.Summary.Rows} rows");
        Assert.Equal(model.Rows, model.Multiplicity!.DistinctRecords);
    }
}
