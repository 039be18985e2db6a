using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>The scoring (and its reg_covar) <c>train</c>, <c>run</c> and the coordinator use when not told.</summary>
public static class ScoringDefaults
{
    /// <summary>The preset that reproduces the notebook: its rule and its 432 anomalies on the bundled data.</summary>
    public const string NotebookPreset = "seed";

    /// <summary>
    /// Capped (records with each component's volume capped at the typical one's) for unlabelled traffic — where the records
    /// scorings were measured to find attacks that rows scores as the most normal traffic, and capped was chosen over
    /// records and mahalanobis on the development sets (src/DistGmm.Evaluation/README.md); rows for the notebook's <c>seed</c> preset and for a model
    /// fitted on one class (<c>--train-on-label</c>: semi-supervised, where rows was measured).
    /// </summary>
    public static Scoring For(string preset, IReadOnlyCollection<string>? trainOnLabels = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        if (string.Equals(preset, NotebookPreset, StringComparison.OrdinalIgnoreCase)) return Scoring.Rows;
        return trainOnLabels is { Count: > 0 } ? Scoring.Rows : Scoring.Capped;
    }

    /// <summary>
    /// reg_covar when not given: 1/12 for the records scorings — the variance of uniform dequantisation noise on a lattice of step
    /// 1 (one-hot columns, integer counts), chosen with records on the development sets — and scikit-learn's 1e-6 for rows.
    /// </summary>
    public static double RegCovar(Scoring scoring) => scoring.CountsRecords() ? EmOptions.DequantisationRegCovar : EmOptions.DefaultRegCovar;
}
