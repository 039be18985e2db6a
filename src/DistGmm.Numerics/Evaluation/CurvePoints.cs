namespace DistGmm.Numerics.Evaluation;

/// <summary>
/// A curve for plotting: ROC (X = false-positive rate, Y = true-positive rate) or
/// precision-recall (X = recall, Y = precision). <see cref="Thresholds"/>[i] is the score at or above which
/// records count as positive for point i (+∞ for the curve's starting point). <see cref="Area"/> is computed
/// on the full curve before thinning: ROC AUC or average precision.
/// </summary>
public sealed record CurvePoints(double[] X, double[] Y, double[] Thresholds, double Area)
{
    public int Count => X.Length;
}
