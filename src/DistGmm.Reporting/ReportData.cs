using DistGmm.Numerics.Evaluation;

namespace DistGmm.Reporting;

/// <summary>
/// Everything report.html shows. Sections whose data is null (or empty) are left out with a short note,
/// so the same type serves local runs, cluster runs, labelled and unlabelled data.
/// </summary>
public sealed record ReportData
{
    /// <summary>Heading, e.g. "KDD Cup 99 — 10% sample".</summary>
    public required string Title { get; init; }

    /// <summary>Run identifier shown under the title (run folder name).</summary>
    public string? RunId { get; init; }

    /// <summary>When the run finished; part of the data (not the clock) so the file is deterministic.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Key facts shown as a table in order (parameters and headline metrics): ("K", "4"), ("records", "494,021").</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; init; } = [];

    /// <summary>Per-record features for the scatter plots (sampled for plotting by <see cref="ReportWriter"/>).</summary>
    public RecordPoints? Points { get; init; }

    public MissingValues? Missing { get; init; }

    /// <summary>EM lower bound (mean log-likelihood per record) after each iteration of the final fit.</summary>
    public IReadOnlyList<double> LowerBound { get; init; } = [];

    public ScoreDistribution? Scores { get; init; }

    /// <summary>BIC/AIC per candidate K when K was selected; empty otherwise.</summary>
    public IReadOnlyList<ModelSelectionPoint> ModelSelection { get; init; } = [];

    public int? SelectedK { get; init; }

    /// <summary>Present only when the data has labels.</summary>
    public LabelEvaluation? Evaluation { get; init; }

    /// <summary>Why there is no <see cref="Evaluation"/> although the data has labels (e.g. every row is an attack).</summary>
    public string? EvaluationNote { get; init; }

    /// <summary>Present only for cluster runs.</summary>
    public ClusterTimeline? Timeline { get; init; }

    /// <summary>Each training pass's timing, in the order the passes ran (events.log); empty when the run has none.</summary>
    public IReadOnlyList<PassTimingPoint> PassTimings { get; init; } = [];

    /// <summary>The most anomalous flagged records with why they were flagged (anomalies.parquet's first rows).</summary>
    public IReadOnlyList<FlaggedRecord> Flagged { get; init; } = [];

    /// <summary>
    /// How many records were flagged in all (<see cref="Flagged"/> lists the first of them). The traffic plots'
    /// legends count pre-selected <see cref="Points"/> against it.
    /// </summary>
    public long FlaggedTotal { get; init; }
}

/// <summary>
/// One pass: wall time from its first command to its last result, and when its slowest and fastest worker were done.
/// Wall − slowest worker is coordination (messages, merging, waking threads).
/// </summary>
public sealed record PassTimingPoint(double WallSeconds, double SlowestWorkerSeconds, double FastestWorkerSeconds);

/// <summary>One flagged record as the report lists it: id, score, label, and its explanation.</summary>
public sealed record FlaggedRecord(long RowId, double Score, string? Label, long? Multiplicity, int? Component, double? ComponentWeight,
    string? UnlikelyFeatures, string? Reason);

/// <summary>
/// Raw features per record, on three axes: the notebook's src_bytes, dst_bytes and duration for KDD data, or the
/// columns <see cref="XName"/>, <see cref="YName"/>, <see cref="ZName"/> name for any other table.
/// <see cref="TotalRecords"/> is the size of the run (may exceed the arrays when the
/// caller already sampled); the report states how many points of each class it shows out of it. The plots draw every
/// flagged point (up to <see cref="ReportOptions.MaxFlaggedPoints"/>) and a seeded sample of the others. <see cref="Selection"/> says how a
/// pre-sampled set was chosen (e.g. "all anomalies kept up to half of 20,000") so the caption stays honest;
/// <see cref="AxesNote"/> says why these columns when they are not the notebook's.
/// </summary>
public sealed record RecordPoints(double[] X, double[] Y, double[] Z, bool[] PredictedAnomaly, long TotalRecords,
    string? Selection = null, string XName = "src_bytes", string YName = "dst_bytes", string ZName = "duration", string? AxesNote = null)
{
    public int Count => X.Length;

    public void Validate()
    {
        if (Y.Length != Count || Z.Length != Count || PredictedAnomaly.Length != Count)
            throw new ArgumentException(
                $"RecordPoints arrays differ in length: {XName} {Count}, {YName} {Y.Length}, {ZName} {Z.Length}, anomaly flags {PredictedAnomaly.Length}.");
        if (TotalRecords < Count)
            throw new ArgumentException($"RecordPoints.TotalRecords ({TotalRecords}) is smaller than the {Count} points given.");
    }
}

/// <summary>
/// Missing values per column over <see cref="TotalRows"/>, plus optionally the missing-flags of sampled rows
/// (row-major, true = missing) for the matrix picture.
/// </summary>
public sealed record MissingValues(IReadOnlyList<string> Columns, long TotalRows, IReadOnlyList<long> MissingPerColumn,
    IReadOnlyList<bool[]>? SampleRows = null)
{
    public void Validate()
    {
        if (MissingPerColumn.Count != Columns.Count)
            throw new ArgumentException($"MissingValues: {Columns.Count} columns but {MissingPerColumn.Count} missing counts.");
        if (SampleRows is null) return;
        for (var r = 0; r < SampleRows.Count; r++)
            if (SampleRows[r].Length != Columns.Count)
                throw new ArgumentException($"MissingValues: sample row {r} has {SampleRows[r].Length} flags, expected {Columns.Count}.");
    }
}

/// <summary>
/// Per-record log-likelihood scores (low = anomalous) and the threshold below which records are flagged.
/// <see cref="ActualAnomaly"/> (labels) is optional.
/// </summary>
public sealed record ScoreDistribution(double[] LogLikelihood, double Threshold, bool[]? ActualAnomaly = null);

public readonly record struct ModelSelectionPoint(int K, double Bic, double Aic);

/// <summary>Results against labels. Build it with <see cref="FromScores"/> or fill it from summary.json.</summary>
public sealed record LabelEvaluation(ConfusionCounts Confusion, CurvePoints Roc, CurvePoints PrecisionRecall,
    IReadOnlyList<LabelDetection> ByLabel, string NormalLabel = "normal.")
{
    /// <summary>
    /// Computes the confusion matrix, ROC and PR curves (attack = positive, positive score = −log-likelihood) and
    /// the detection rate per label.
    /// </summary>
    public static LabelEvaluation FromScores(ReadOnlySpan<double> logLikelihood, ReadOnlySpan<bool> predictedAnomaly,
        ReadOnlySpan<bool> actualAnomaly, IReadOnlyList<string>? labels = null, string normalLabel = "normal.", int maxCurvePoints = 400)
    {
        var positiveScore = new double[logLikelihood.Length];
        for (var i = 0; i < positiveScore.Length; i++) positiveScore[i] = -logLikelihood[i];
        return new LabelEvaluation(
            BinaryClassification.Confusion(predictedAnomaly, actualAnomaly),
            BinaryClassification.RocCurve(positiveScore, actualAnomaly, maxCurvePoints),
            BinaryClassification.PrecisionRecallCurve(positiveScore, actualAnomaly, maxCurvePoints),
            labels is null ? [] : BinaryClassification.DetectionByLabel(predictedAnomaly, labels),
            normalLabel);
    }
}

/// <summary>What the cluster did over time: workers, shard work spans and notable events.</summary>
public sealed record ClusterTimeline(IReadOnlyList<string> Workers, IReadOnlyList<ShardSpan> Spans, IReadOnlyList<TimelineEvent> Events)
{
    /// <summary>Shards of the dataset when known (spans may each cover several shards); otherwise the distinct span shards are counted.</summary>
    public int? ShardCount { get; init; }

    /// <summary>Where the timeline came from, stated under the chart (e.g. "recorded job events (timeline.json)").</summary>
    public string? Source { get; init; }
}

public enum SpanOutcome { Completed, Failed, Reassigned }

/// <summary>
/// A worker processing (or holding) a shard, or a set of shards named by <see cref="Shard"/>, from
/// <see cref="StartSeconds"/> to <see cref="EndSeconds"/> (since job start).
/// </summary>
public sealed record ShardSpan(string Worker, string Shard, double StartSeconds, double EndSeconds, SpanOutcome Outcome, int? Iteration = null);

public enum TimelineEventKind
{
    WorkerJoined, WorkerLost, ShardFailed, ShardReassigned, IterationCompleted,
    WorkerUnreachable, WorkerRecovered, ShardsRecovered, ChaosInjected, WaitingForWorkers, JobResumed,

    /// <summary>A job started or finished, or changed stage (loading, EM, scoring): a labelled line across all workers.</summary>
    JobStage,
}

/// <summary>A point event; <see cref="Worker"/> is null for job-wide events such as an iteration completing.</summary>
public sealed record TimelineEvent(double AtSeconds, TimelineEventKind Kind, string? Worker, string Detail);
