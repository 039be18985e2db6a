namespace DistGmm.Evaluation;

/// <summary>
/// One candidate of a model selection on the training rows: BIC and mean log-likelihood of its fit; for hold-out
/// selection also its reg_covar and the mean log-likelihood of the held-out distinct training records (the fit
/// then covers only the fitting part).
/// </summary>
public sealed record KCandidate(int K, double Bic, double MeanLogLikelihood, bool Converged, double? RegCovar = null,
    double? HoldoutMeanLogLikelihood = null);

/// <summary>
/// One fitted-and-scored case (a repeat, a subset): sizes, the model, and the metrics with attacks (or, for
/// DAGMM, normal traffic) as the positive class. Metrics a protocol does not define are null.
/// </summary>
public sealed record EvalCase
{
    public required string Name { get; init; }
    public int Seed { get; init; }
    public long TrainRows { get; init; }
    /// <summary>Rows the mixture was fitted on when it was fitted on distinct records (null: every training row).</summary>
    public long? TrainDistinct { get; init; }
    public long TestRows { get; init; }
    public long TestPositives { get; init; }
    public int D { get; init; }
    public int K { get; init; }
    public double RegCovar { get; init; }
    public bool Converged { get; init; }
    public double TrainMeanLogLikelihood { get; init; }
    public IReadOnlyList<KCandidate>? Selection { get; init; }
    public long? Flagged { get; init; }
    public double? Threshold { get; init; }
    public double? Precision { get; init; }
    public double? Recall { get; init; }
    public double? F1 { get; init; }
    public double? RocAuc { get; init; }
    public double? PrAuc { get; init; }
    /// <summary>Exported .npy files (relative to the export folder), when exporting.</summary>
    public ExportedCase? Files { get; init; }
}

/// <summary>File names of an exported case: train matrix, test matrix (same as train when scored in-sample), test labels (1 = positive).</summary>
public sealed record ExportedCase(string Train, string Test, string TestPositive);

/// <summary>Mean and population std of a metric over the cases (repeats).</summary>
public sealed record MetricSummary(string Metric, double Mean, double Std, int Count);

/// <summary>What `distgmm eval` writes to eval.json.</summary>
public sealed record EvalReport
{
    public required string Protocol { get; init; }
    public required IReadOnlyList<string> Data { get; init; }
    public required string Preset { get; init; }
    public required string Covariance { get; init; }
    public int? K { get; init; }
    public IReadOnlyList<int>? SelectK { get; init; }
    public IReadOnlyList<double>? SelectRegCovar { get; init; }
    /// <summary>How candidates were compared ("bic" or "holdout"); null for a fixed fit.</summary>
    public string? SelectBy { get; init; }
    public string PositiveClass { get; init; } = "attack";
    public string Rule { get; init; } = "";
    /// <summary>"rows" (log-likelihood of a mixture fitted on rows), "records", "mahalanobis" or "capped" (see <see cref="Numerics.Scoring"/>).</summary>
    public string Scoring { get; init; } = "rows";
    public double Contamination { get; init; }
    public double StdK { get; init; }
    public int MaxIter { get; init; }
    public double Tol { get; init; }
    /// <summary>reg_covar of every fit; null when it was chosen per case (see each case's selection).</summary>
    public double? RegCovar { get; init; }
    public required IReadOnlyList<EvalCase> Cases { get; init; }
    public required IReadOnlyList<MetricSummary> Summary { get; init; }
    /// <summary>Per set (cases sharing a name, e.g. one subset over seeds): its metrics' mean and std.</summary>
    public IReadOnlyList<SetSummary> Sets { get; init; } = [];
    public IReadOnlyList<PublishedResult> Published { get; init; } = [];
    public double Seconds { get; set; }
}

/// <summary>The metrics of one set (a subset, say) over its cases.</summary>
public sealed record SetSummary(string Name, IReadOnlyList<MetricSummary> Metrics);

/// <summary>A number quoted from the literature for the same protocol.</summary>
public sealed record PublishedResult(string Method, string Metric, double Value, string Source);
