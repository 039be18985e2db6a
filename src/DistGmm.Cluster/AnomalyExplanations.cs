using System.Globalization;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>
/// Why one flagged record was flagged: its most responsible component and that component's weight, the record's
/// log-density, for the records scoring how often it occurs and what that costs, the features farthest from the
/// component's mean, and the rule in one sentence.
/// </summary>
public sealed record AnomalyNote(int Component, double ComponentWeight, double LogDensity, double? LogPMultiplicity,
    string UnlikelyFeatures, string Reason);

/// <summary>
/// Explains the anomalies a scoring job collected, from their raw values (as the workers read them) through the
/// model's own preprocessor: the same features the score was computed on.
/// </summary>
public static class AnomalyExplanations
{
    /// <summary>Features listed per record.</summary>
    public const int TopFeatures = 3;

    /// <summary>A note per anomalous row id (every row of <paramref name="collected"/>).</summary>
    public static IReadOnlyDictionary<long, AnomalyNote> Explain(IReadOnlyList<AnomaliesCollected> collected, ModelFile model,
        double threshold, string thresholdRule, Scoring scoring, MultiplicityModel? multiplicity)
    {
        ArgumentNullException.ThrowIfNull(collected);
        ArgumentNullException.ThrowIfNull(model);
        var notes = new Dictionary<long, AnomalyNote>();
        if (model.PreprocessorJson is null || collected.All(c => c.Rows.Count == 0)) return notes;
        var preprocessor = Preprocessor.FromJson(model.PreprocessorJson);
        // Component and log-density as the rows were scored; the component's weight as fitted.
        var explainer = new AnomalyExplainer(scoring.ScoringMixture(model.Model), model.Model.Weights);
        foreach (var shard in collected)
        {
            if (shard.Rows.Count == 0) continue;
            var features = Features(shard, preprocessor);
            for (var i = 0; i < shard.Rows.Count; i++)
            {
                var row = shard.Rows[i];
                var e = explainer.Explain(features.Row(i), TopFeatures);
                double? logPm = scoring.CountsRecords() && multiplicity is not null ? multiplicity.LogProbability(Math.Max(1, row.Multiplicity)) : null;
                var unlikely = string.Join("; ", e.Unlikely.Select(f => string.Create(CultureInfo.InvariantCulture,
                    $"{preprocessor.FeatureNames[f.Feature]} z={FormatZ(f.Z)}")));
                notes[row.RowId] = new AnomalyNote(e.Component, e.Weight, e.LogLikelihood, logPm, unlikely,
                    Reason(row.Score, threshold, thresholdRule, e.LogLikelihood, e.Component, e.Weight, logPm, row.Multiplicity));
            }
        }
        return notes;
    }

    private static DataMatrix Features(AnomaliesCollected shard, Preprocessor preprocessor)
    {
        var columns = shard.NumericColumns.Select(n => new ColumnInfo(n, ColumnRole.Numeric))
            .Concat(shard.TextColumns.Select(t => new ColumnInfo(t, ColumnRole.Categorical))).ToList();
        var batch = new ColumnBatch(columns, shard.Rows.Count) { Count = shard.Rows.Count };
        for (var r = 0; r < shard.Rows.Count; r++)
        {
            var row = shard.Rows[r];
            batch.RowIds[r] = row.RowId;
            for (var c = 0; c < shard.NumericColumns.Count; c++) batch.Numbers[c]![r] = row.Numbers[c];
            for (var c = 0; c < shard.TextColumns.Count; c++) batch.Texts[shard.NumericColumns.Count + c]![r] = row.Texts[c];
        }
        return preprocessor.Transform(batch, Enumerable.Range(0, shard.Rows.Count).ToArray());
    }

    /// <summary>A standardised residual: two decimals, or scientific past a million (a 1e308 value is not 300 digits).</summary>
    internal static string FormatZ(double z) =>
        Math.Abs(z) < 1e6 ? z.ToString("+0.00;-0.00", CultureInfo.InvariantCulture) : z.ToString("+0.00E+0;-0.00E+0", CultureInfo.InvariantCulture);

    /// <summary>Why the rule flagged a score, in one sentence (also serve's answer).</summary>
    public static string Reason(double score, double threshold, string rule, double logDensity, int component, double weight, double? logPm, long multiplicity)
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"score {score:G6} < threshold {threshold:G6} ({rule}): log-density {logDensity:G6}, mostly component {component} (weight {weight:0.####})");
        if (logPm is { } lp)
            s += string.Create(CultureInfo.InvariantCulture, $"; the record occurs {multiplicity:N0} time{(multiplicity == 1 ? "" : "s")} (log P(multiplicity) {lp:G4})");
        return s;
    }
}
