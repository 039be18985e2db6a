using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using DistGmm.Cluster.Hosting;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>Knobs of the in-process cluster that do not change results (placement, cores) plus test seams.</summary>
/// <param name="Placement">Shard placement strategy (default: balanced by rows).</param>
/// <param name="CoresPerWorker">Cores each worker computes on (default: processor count / workers, at least 1).</param>
/// <param name="ShardSource">Where workers read shards (default: the Parquet dataset through the preprocessor).</param>
/// <param name="FaultHook">Test seam: runs in a worker before each command; throwing crashes that worker.</param>
/// <param name="System">The actor system embedded jobs run in (default: one shared per process, journal in memory).</param>
public sealed record ClusterOptions(IShardPlacement? Placement = null, int? CoresPerWorker = null, IShardSource? ShardSource = null,
    Action<string, object>? FaultHook = null, ActorSystem? System = null)
{
    public static ClusterOptions Default { get; } = new();

    /// <summary>
    /// Runs each job plan somewhere else (e.g. on remote worker nodes) instead of on a fresh in-process cluster;
    /// train/score/run then write exactly the same outputs from the returned state. Null: the embedded cluster.
    /// </summary>
    public ClusterJobRunner? JobRunner { get; init; }

    /// <summary>
    /// A stable job id (e.g. from the run folder): the training plan is then <c>ID-train</c>, so a restarted coordinator
    /// finds its journal and resumes (scoring plans are <c>ID-score-…</c>, fresh per attempt). Null: fresh ids, no resume.
    /// </summary>
    public string? JobId { get; init; }

    /// <summary>Membership and fault-injection settings of the coordinator (no effect on results).</summary>
    public CoordinatorSettings? Settings { get; init; }

    /// <summary>Check every shard's SHA-256 against the manifest as it is read (false: <c>--no-verify</c>).</summary>
    public bool VerifyShards { get; init; } = true;
}

/// <summary>Runs a job plan to its final coordinator state (see <see cref="ClusterOptions.JobRunner"/>).</summary>
public delegate Task<CoordinatorState> ClusterJobRunner(JobPlan plan, IJobObserver? observer, CancellationToken ct);

/// <param name="KCandidates">When given, fit each K and keep the lowest BIC (the Em options' K is then ignored).</param>
public sealed record TrainJobSpec(string DatasetDir, PreprocessingSpec Preprocessing, EmOptions Em, int Workers,
    IReadOnlyList<string> TrainOnLabels, string OutDir, IReadOnlyList<int>? KCandidates = null, ClusterOptions? Cluster = null)
{
    /// <summary>Rows (every row) or records (distinct records, multiplicity kept as a separate signal).</summary>
    public Scoring Scoring { get; init; } = Scoring.Rows;
}

public sealed record ScoreJobSpec(string ModelPath, string DatasetDir, int Workers, ThresholdRule Threshold, string OutDir,
    ClusterOptions? Cluster = null)
{
    /// <summary>Null: as the model was trained (model.json's scoring).</summary>
    public Scoring? Scoring { get; init; }
}

public sealed record RunJobSpec(string DatasetDir, PreprocessingSpec Preprocessing, EmOptions Em, int Workers,
    IReadOnlyList<string> TrainOnLabels, ThresholdRule Threshold, string OutDir, IReadOnlyList<int>? KCandidates = null,
    ClusterOptions? Cluster = null)
{
    /// <summary>Training and scoring both: rows or records.</summary>
    public Scoring Scoring { get; init; } = Scoring.Rows;
}

/// <param name="Workers">Workers that took part (see <see cref="WorkerCounts"/> for those at the start and the end, and losses).</param>
public sealed record TrainOutcome(string ModelPath, ModelFile Model, GmmFitResult Fit, IReadOnlyList<GmmFitResult> Candidates,
    int Workers, TimeSpan Elapsed, string JobId)
{
    public WorkerCounts? WorkerCounts { get; init; }

    /// <summary>The training job's final state (a run's scoring combines its membership with its own).</summary>
    internal CoordinatorState? State { get; init; }
}

public sealed record ScoreOutcome(string OutDir, RunSummary Summary, string ScoresPath, string AnomaliesParquetPath,
    string AnomaliesCsvPath, string SummaryPath, string ModelPath, TimeSpan Elapsed, string JobId);

public sealed record RunOutcome(string OutDir, TrainOutcome Train, ScoreOutcome Score, string EventsLogPath);

/// <summary>A job failed: data error, modelling error (e.g. a singular covariance), or every worker lost.</summary>
public sealed class JobFailedException(string jobId, string message) : Exception($"Job {jobId} failed: {message}")
{
    public string JobId { get; } = jobId;
}

/// <summary>
/// The embedded (single-process, no server) cluster: a coordinator and W worker actors in one actor system, what
/// <c>distgmm train/score/run</c> call. Results are bit-identical for any W and placement, and identical to
/// <see cref="GaussianMixtureFitter"/> over the same shards.
/// </summary>
public static class EmbeddedJob
{
    /// <summary>Fits the preprocessor and the GMM on the dataset; writes OUT/model.json.</summary>
    public static async Task<TrainOutcome> TrainAsync(TrainJobSpec spec, IJobObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var watch = Stopwatch.StartNew();
        var manifest = DatasetManifest.Load(spec.DatasetDir);
        var filter = DatasetShardSource.LabelFilter(spec.TrainOnLabels);
        var preprocessor = Preprocessor.Fit(spec.DatasetDir, spec.Preprocessing, filter, (spec.Cluster ?? ClusterOptions.Default).VerifyShards);
        // The fit streamed every shard through memory and keeps none of it: hand that back to the OS before the job, or
        // it stays in the process's peak (a cluster coordinator at full KDD size held 2.5 GB of it).
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        IReadOnlyList<EmOptions> candidates = spec.KCandidates is { Count: > 0 } ks
            ? [.. ks.Distinct().Order().Select(k => spec.Em with { K = k })]
            : [spec.Em];
        var jobId = JobIdFor(spec.Cluster, "train");
        var plan = new JobPlan(jobId, new DatasetRef(Path.GetFullPath(spec.DatasetDir), preprocessor.ToJson(), spec.TrainOnLabels),
            [.. manifest.Shards.Select(s => s.Rows)], spec.Workers, candidates, Scoring: spec.Scoring);
        var state = await RunPlanAsync(plan, spec.Cluster ?? ClusterOptions.Default, observer, ct).ConfigureAwait(false);

        var best = state.BestFit!;
        var chosen = candidates.First(c => c.K == best.Model.K);
        var model = ModelFile.FromFit(best, chosen, preprocessor.FeatureNames, preprocessor.ToJson(), spec.TrainOnLabels, state.Fits)
            with { Scoring = spec.Scoring, Multiplicity = state.Multiplicity };
        var modelPath = Path.Combine(spec.OutDir, RunFolderWriter.ModelFileName);
        model.Save(modelPath);
        var workers = WorkerCounts.Of(state);
        return new TrainOutcome(modelPath, model, best, state.Fits, workers.TookPart, watch.Elapsed, jobId) { WorkerCounts = workers, State = state };
    }

    /// <summary>
    /// Scores every row with the model, chooses the threshold, collects the anomalies; writes scores.parquet,
    /// anomalies.parquet, anomalies.csv, summary.json and OUT/model.json (the model with its threshold).
    /// </summary>
    public static async Task<ScoreOutcome> ScoreAsync(ScoreJobSpec spec, IJobObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var recovery = new RecoveryRecorder(observer);
        using var timeline = new TimelineRecorder(Path.Combine(spec.OutDir, TimelineRecorder.FileName), recovery);
        var outcome = await ScoreCoreAsync(spec, timeline, train: null, ct).ConfigureAwait(false);
        recovery.WriteInto(outcome.SummaryPath);
        return outcome;
    }

    /// <summary>Train then score into one run folder, with events.log.</summary>
    public static async Task<RunOutcome> RunAsync(RunJobSpec spec, IJobObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Directory.CreateDirectory(spec.OutDir);
        var eventsPath = Path.Combine(spec.OutDir, RunFolderWriter.EventsLogFile);
        var passes = new PassTimingRecorder(observer);
        var recovery = new RecoveryRecorder(passes);
        using var timeline = new TimelineRecorder(Path.Combine(spec.OutDir, TimelineRecorder.FileName), recovery);
        using var log = new EventLogObserver(eventsPath, timeline);
        // The scoring job reuses the shards the training job loaded (same rows, same preprocessor): no second read.
        var cluster = spec.Cluster ?? ClusterOptions.Default;
        var shards = new ReusingShardSource(cluster.ShardSource ?? new DatasetShardSource(cluster.VerifyShards));
        cluster = cluster with { ShardSource = shards };
        var train = await TrainAsync(new TrainJobSpec(spec.DatasetDir, spec.Preprocessing, spec.Em, spec.Workers, spec.TrainOnLabels,
            spec.OutDir, spec.KCandidates, cluster) { Scoring = spec.Scoring }, log, ct).ConfigureAwait(false);
        var score = await ScoreCoreAsync(new ScoreJobSpec(train.ModelPath, spec.DatasetDir, spec.Workers, spec.Threshold, spec.OutDir, cluster),
            log, train, ct).ConfigureAwait(false);
        recovery.WriteInto(score.SummaryPath);
        passes.WriteInto(score.SummaryPath);
        return new RunOutcome(spec.OutDir, train, score, eventsPath);
    }

    /// <param name="train">A run's training outcome (its time and membership go into summary.json), or null for a scoring job.</param>
    /// <summary>The scored dataset for summary.json: relative when inside the run folder (which is renamed when published), else its full path.</summary>
    private static string DatasetAsSeenFrom(string outDir, string datasetDir)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(outDir), Path.GetFullPath(datasetDir));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? Path.GetFullPath(datasetDir) : relative;
    }

    private static async Task<ScoreOutcome> ScoreCoreAsync(ScoreJobSpec spec, IJobObserver? observer, TrainOutcome? train, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var secondsTrain = train?.Elapsed.TotalSeconds;
        var watch = Stopwatch.StartNew();
        var modelFile = ModelFile.Load(spec.ModelPath);
        var manifest = DatasetManifest.Load(spec.DatasetDir);
        ModelCheck.Check(modelFile, spec.ModelPath, manifest);
        var jobId = JobIdFor(spec.Cluster, "score");
        // Records scorings: the multiplicities are counted in the scored data; P(m) is the model's (of its training data),
        // or, for a model trained on rows, that of the scored data itself. Workers score the scoring's mixture (for
        // mahalanobis and capped a reweighted form of the fitted one), so their kernels and the wire are those of any model.
        var scoring = spec.Scoring ?? modelFile.Scoring;
        var plan = new JobPlan(jobId, new DatasetRef(Path.GetFullPath(spec.DatasetDir), modelFile.PreprocessorJson!, []),
            [.. manifest.Shards.Select(s => s.Rows)], spec.Workers, [], scoring.ScoringMixture(modelFile.Model).ToBytes(), spec.Threshold,
            scoring, scoring.CountsRecords() ? modelFile.Multiplicity : null);
        var state = await RunPlanAsync(plan, spec.Cluster ?? ClusterOptions.Default, observer, ct).ConfigureAwait(false);
        // The outputs need the scores, row ids and labels only: free the feature matrices before writing them.
        (spec.Cluster?.ShardSource as ReusingShardSource)?.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);

        Directory.CreateDirectory(spec.OutDir);
        var scored = state.Scored.Values.ToList();
        var collected = state.Anomalies.Values.ToList();
        var threshold = state.Threshold!.Value;
        var moments = state.MergedMoments();
        var hasLabels = scored.Any(s => s.Labels is not null);
        var scoresPath = Path.Combine(spec.OutDir, RunFolderWriter.ScoresFile);
        var parquetPath = Path.Combine(spec.OutDir, RunFolderWriter.AnomaliesParquetFile);
        var csvPath = Path.Combine(spec.OutDir, RunFolderWriter.AnomaliesCsvFile);
        var unscorable = RowAccounting.FindUnscorable(manifest, scored, modelFile.PreprocessorJson!); // ModelCheck refused a model without one
        RunFolderWriter.WriteScores(scoresPath, scored, threshold, unscorable);
        var records = scoring.CountsRecords();
        var notes = AnomalyExplanations.Explain(collected, modelFile, threshold, spec.Threshold.ToString(), scoring, state.Multiplicity);
        RunFolderWriter.WriteAnomaliesParquet(parquetPath, collected, hasLabels, withMultiplicity: records, notes);
        RunFolderWriter.WriteAnomaliesCsv(csvPath, collected, hasLabels, withMultiplicity: records, notes);

        var withThreshold = modelFile with
        {
            Threshold = threshold, ThresholdRule = spec.Threshold.ToString(), ScoreMean = moments.Mean, ScoreStd = moments.StdDev,
            Scoring = scoring, Multiplicity = state.Multiplicity,
        };
        var modelPath = Path.Combine(spec.OutDir, RunFolderWriter.ModelFileName);
        withThreshold.Save(modelPath);

        // Under the records scorings a score is log-density + log P(m): the rows' mean log-density (log-likelihood under
        // records) is the mean score less the mean multiplicity term, which the merged record counts give exactly.
        var workers = train?.State is { } trained ? WorkerCounts.Of(trained, state) : WorkerCounts.Of(state);
        double? meanLogPm = records && state.RecordCounts is { } counts && state.Multiplicity is { } pm ? pm.MeanLogProbability(counts) : null;
        var summary = new RunSummary(moments.Count, collected.Sum(c => (long)c.Rows.Count), threshold, spec.Threshold.ToString(),
            moments.Mean, moments.StdDev, moments.Mean - (meanLogPm ?? 0), modelFile.Iterations, modelFile.Converged, modelFile.Model.K,
            modelFile.Model.CovarianceType, workers.TookPart, secondsTrain, watch.Elapsed.TotalSeconds, RunFolderWriter.Metrics(scored, threshold),
            // Trained rows are counted in a run, where the model was fitted on this very dataset.
            RowAccounting.Count(manifest, moments.Count, unscorable, secondsTrain is null ? null : modelFile.Rows,
                RowAccounting.CountUnseenCategories(manifest, Preprocessor.FromJson(modelFile.PreprocessorJson!))))
            { Scoring = scoring, MeanLogPMultiplicity = meanLogPm, WorkerCounts = workers, Dataset = DatasetAsSeenFrom(spec.OutDir, spec.DatasetDir) };
        var summaryPath = Path.Combine(spec.OutDir, RunFolderWriter.SummaryFile);
        File.WriteAllText(summaryPath, summary.ToJson());
        return new ScoreOutcome(spec.OutDir, summary, scoresPath, parquetPath, csvPath, summaryPath, modelPath, watch.Elapsed, jobId);
    }

    /// <summary>
    /// Runs one job in-process: a <see cref="JobHostActor"/> with W worker children and the coordinator, in the shared
    /// embedded actor system (or <see cref="ClusterOptions.System"/>), and returns the coordinator's final state.
    /// </summary>
    public static async Task<CoordinatorState> RunJobAsync(JobPlan plan, ClusterOptions options, IJobObserver? observer, CancellationToken ct)
    {
        if (plan.ExpectedWorkers < 1) throw new ArgumentOutOfRangeException(nameof(plan), plan.ExpectedWorkers, "Workers must be at least 1.");
        observer ??= NullJobObserver.Instance;
        var cores = options.CoresPerWorker ?? Math.Max(1, Environment.ProcessorCount / plan.ExpectedWorkers);
        var system = options.System ?? DistGmmActorSystems.Embedded;
        // Unique per run: the same job id may run again (a resume) before the previous host has finished stopping.
        var hostName = $"job-{Uri.EscapeDataString(plan.JobId)}-{Guid.NewGuid().ToString("N")[..8]}";
        // In one process the workers can share the shards' memory: read through one ReusingShardSource, each worker holds
        // every other worker's shards as replicas at no cost (the same arrays, read once), so a worker done with its own
        // shards takes a lagging worker's (ShardStealing). Shards of equal rows differ in cost (far components pruned, zero
        // responsibilities skipped): on the KDD 10 % file, K=2, one worker finished its shards in half the other's time.
        // A caller's own settings or shard source (tests, chaos) are taken as given.
        var ownShards = options.ShardSource is null ? new ReusingShardSource(new DatasetShardSource(options.VerifyShards)) : null;
        var shards = ownShards ?? options.ShardSource!;
        var settings = options.Settings ?? (shards is ReusingShardSource
            ? CoordinatorSettings.Embedded with { ShardReplicas = plan.ExpectedWorkers - 1 }
            : CoordinatorSettings.Embedded);
        var host = system.ActorOf(JobHostActor.Props(new WorkerProvisioning.Children(plan.ExpectedWorkers, cores, shards, options.FaultHook)), hostName);
        // A worker's crash is an Akka error log event from its path: report it as the job's worker failure too.
        var errors = system.ActorOf(Props.Create(() => new WorkerErrorListener(host.Path, observer)));
        system.EventStream.Subscribe(errors, typeof(Error));
        try
        {
            var result = await host.Ask<object>(new StartJob(plan, observer, settings,
                options.Placement), ct).ConfigureAwait(false);
            var lastWorkerError = await errors.Ask<string?>(WorkerErrorListener.GetLast.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return result switch
            {
                JobCompleted c => c.State,
                JobAborted a => throw new JobFailedException(a.JobId, lastWorkerError is null ? a.Error : $"{a.Error} (last worker error: {lastWorkerError})"),
                _ => throw new InvalidOperationException(result.GetType().Name),
            };
        }
        finally
        {
            system.EventStream.Unsubscribe(errors);
            system.Stop(errors);
            system.Stop(host);
            ownShards?.Clear();
        }
    }

    /// <summary>Hears Akka's error log events of one host's workers and reports them as <see cref="WorkerFailed"/>.</summary>
    private sealed class WorkerErrorListener : ReceiveActor
    {
        public sealed class GetLast
        {
            public static readonly GetLast Instance = new();
        }

        private string? _last;

        public WorkerErrorListener(ActorPath hostPath, IJobObserver observer)
        {
            var prefix = hostPath.ToStringWithoutAddress() + "/worker-";
            Receive<Error>(e =>
            {
                if (!e.LogSource.Contains(prefix, StringComparison.Ordinal)) return;
                var worker = e.LogSource[(e.LogSource.LastIndexOf('/') + 1)..];
                var message = e.Cause?.Message ?? e.Message?.ToString() ?? "error";
                _last = message;
                observer.OnEvent(new WorkerFailed(Context.System.Scheduler.Now, worker.Split('#')[0], message));
            });
            Receive<GetLast>(_ => Sender.Tell(_last));
        }
    }

    private static Task<CoordinatorState> RunPlanAsync(JobPlan plan, ClusterOptions options, IJobObserver? observer, CancellationToken ct) =>
        options.JobRunner is { } runner ? runner(plan, observer, ct) : RunJobAsync(plan, options, observer, ct);

    // Training resumes from its journal stream; scoring is one pass and always starts afresh (its per-shard scores are
    // not journaled), so each scoring attempt gets a stream of its own.
    private static string JobIdFor(ClusterOptions? options, string kind) => options?.JobId is not { } id ? NewJobId(kind)
        : kind == "train" ? $"{id}-train" : $"{id}-{kind}-{Guid.NewGuid().ToString("N")[..8]}";

    private static string NewJobId(string kind) => $"{kind}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>Appends each job event as a time-stamped line to events.log and forwards it.</summary>
public sealed class EventLogObserver : IJobObserver, IDisposable
{
    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private readonly IJobObserver? _next;

    public EventLogObserver(string path, IJobObserver? next)
    {
        _writer = new StreamWriter(path, append: true) { AutoFlush = true, NewLine = "\n" };
        _next = next;
    }

    public void OnEvent(JobEvent e)
    {
        lock (_gate) _writer.WriteLine($"{e.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {e.Describe()}");
        _next?.OnEvent(e);
    }

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}
