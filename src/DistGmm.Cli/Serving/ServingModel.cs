using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cli.Serving;

/// <summary>One input column a scoring request must carry: its raw name and whether it is a number or a category.</summary>
public sealed record InputColumn(string Name, bool IsNumeric, bool Log1p, IReadOnlyList<string>? Categories);

/// <summary>A feature that makes a row unlikely: its standardized residual under the row's most responsible component.</summary>
public sealed record UnlikelyFeature(string Feature, string Column, double Z);

/// <summary>The verdict on one row; <paramref name="Multiplicity"/> is the one scored with (records scoring; null: rows).</summary>
/// <param name="ComponentWeight">The weight of <paramref name="Component"/>, the row's most responsible component.</param>
/// <param name="Reason">Why the rule flagged the row (null when it is not an anomaly), as in anomalies.csv.</param>
/// <param name="Anomaly">Whether the score is below the threshold; null when there is no threshold to judge by.</param>
public sealed record ScoredRow(double Score, bool? Anomaly, int Component, IReadOnlyList<UnlikelyFeature> UnlikelyFeatures,
    IReadOnlyList<string> UnseenCategories, long? Multiplicity = null, double ComponentWeight = double.NaN, string? Reason = null);

/// <summary>
/// A model.json ready to score raw rows exactly as <c>distgmm score</c> does: the same preprocessor transform and the
/// same <see cref="GaussianMixture.ScoreSamples"/>, so a row gets the same score bit for bit. Immutable and
/// safe for concurrent requests.
/// </summary>
public sealed class ServingModel
{
    private readonly int[] _featureColumn; // output feature -> index into Inputs
    private readonly AnomalyExplainer _explainer; // the unlikely features, as anomalies.csv and the report name them
    private readonly GaussianMixture _scored;     // the scoring's mixture: the fitted one, or a reweighted form (mahalanobis, capped)

    private ServingModel(string path, ModelFile file, Preprocessor preprocessor, double? threshold)
    {
        Path = path;
        File = file;
        Threshold = threshold ?? file.Threshold;
        ThresholdRule = threshold is { } t ? $"--threshold {t.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}" : file.ThresholdRule ?? "threshold in model.json";
        Preprocessor = preprocessor;
        Model = file.Model;
        if (preprocessor.OutputDimension != Model.D)
            throw new FormatException($"{path}: the preprocessor makes {preprocessor.OutputDimension} features but the mixture has {Model.D}");
        Inputs = [.. preprocessor.Columns.Select(c => new InputColumn(c.Name, c.Kind == FeatureKind.Numeric, c.Log1p, c.Categories))];
        _featureColumn = new int[Model.D];
        for (var c = 0; c < preprocessor.Columns.Count; c++)
        {
            var fitted = preprocessor.Columns[c];
            for (var j = 0; j < fitted.OutputWidth; j++) _featureColumn[fitted.OutputOffset + j] = c;
        }
        _scored = file.Scoring.ScoringMixture(Model);
        _explainer = new AnomalyExplainer(_scored, Model.Weights);
    }

    public string Path { get; }

    public ModelFile File { get; }

    public Preprocessor Preprocessor { get; }

    public GaussianMixture Model { get; }

    /// <summary>The raw columns every row must have, in the preprocessor's order.</summary>
    public IReadOnlyList<InputColumn> Inputs { get; }

    /// <summary>
    /// Rows scoring below this are anomalies: serve's --threshold, else model.json's; null when neither (a model written by
    /// `train` was never scored, so it has no threshold): rows then get a score and no verdict.
    /// </summary>
    public double? Threshold { get; }

    /// <summary>How <see cref="Threshold"/> was chosen, for the reason given with each flagged row.</summary>
    public string ThresholdRule { get; }

    /// <summary>Whether a missing (null) value can be imputed; under DropRows `distgmm score` would skip such a row.</summary>
    public bool ImputesMissing => Preprocessor.Spec.Missing != MissingStrategy.DropRows;

    /// <param name="threshold">A fixed threshold that replaces model.json's (null: the model's own).</param>
    public static ServingModel Load(string path, double? threshold = null)
    {
        var file = ModelFile.Load(path);
        return new ServingModel(path, file, ModelCheck.Check(file, path), threshold);
    }

    /// <summary>An empty batch with the columns the preprocessor reads.</summary>
    public ColumnBatch NewBatch(int rows) =>
        new([.. Inputs.Select(c => new ColumnInfo(c.Name, c.IsNumeric ? ColumnRole.Numeric : ColumnRole.Categorical))], rows);

    /// <summary>
    /// Why rows of <paramref name="batch"/> cannot be scored ("row R: reason", at most <paramref name="max"/>), as
    /// <c>distgmm score</c> marks them unscorable: e.g. a category the label encoding never saw, which has no code.
    /// </summary>
    public List<string> UnscorableRows(ColumnBatch batch, int max)
    {
        var reasons = new List<string>();
        for (var r = 0; r < batch.Count && reasons.Count < max; r++)
            if (Preprocessor.UnscorableReason(batch, r) is { } reason) reasons.Add($"row {r}: {reason}");
        return reasons;
    }

    /// <summary>
    /// Scores every row of <paramref name="batch"/> (already validated: no missing value the model cannot impute).
    /// <paramref name="topFeatures"/> bounds the unlikely features listed per row. A records model adds log P(m) of each
    /// row's multiplicity (<paramref name="multiplicities"/>; 1 when not given), as <c>distgmm score</c> does.
    /// </summary>
    public ScoredRow[] Score(ColumnBatch batch, int topFeatures, long[]? multiplicities = null)
    {
        var n = batch.Count;
        var rows = Enumerable.Range(0, n).ToArray();
        var features = Preprocessor.Transform(batch, rows);
        var scores = new double[n];
        _scored.ScoreSamples(features.Values, scores);
        var logDensity = (double[])scores.Clone();
        if (File.Scoring.CountsRecords() && File.Multiplicity is { } pmf)
        {
            multiplicities ??= Enumerable.Repeat(1L, n).ToArray();
            DistinctRecords.AddMultiplicity(scores, multiplicities, pmf);
        }
        else multiplicities = null;
        var components = new int[n];
        _scored.Predict(features.Values, components);
        var result = new ScoredRow[n];
        for (var r = 0; r < n; r++)
        {
            bool? anomaly = Threshold is { } t ? scores[r] < t : null;
            var k = components[r];
            var reason = anomaly == true
                ? AnomalyExplanations.Reason(scores[r], Threshold!.Value, ThresholdRule, logDensity[r], k, Model.Weights[k],
                    multiplicities is null ? null : File.Multiplicity!.LogProbability(multiplicities[r]), multiplicities?[r] ?? 1)
                : null;
            var unlikely = _explainer.Unlikely(features.Row(r), k, topFeatures)
                .Select(f => new UnlikelyFeature(Preprocessor.FeatureNames[f.Feature], Inputs[_featureColumn[f.Feature]].Name, f.Z)).ToArray();
            result[r] = new ScoredRow(scores[r], anomaly, k, unlikely,
                UnseenCategories(batch, r), multiplicities?[r], Model.Weights[k], reason);
        }
        return result;
    }

    private List<string> UnseenCategories(ColumnBatch batch, int row)
    {
        var unseen = new List<string>();
        for (var c = 0; c < Inputs.Count; c++)
        {
            if (Inputs[c].Categories is not { } categories || batch.Texts[c]?[row] is not { } text) continue;
            if (!categories.Contains(text)) unseen.Add($"{Inputs[c].Name}={text}");
        }
        return unseen;
    }
}
