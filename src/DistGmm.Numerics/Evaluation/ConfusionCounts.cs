namespace DistGmm.Numerics.Evaluation;

/// <summary>
/// Binary confusion matrix. Metrics are 0 (not NaN) when their denominator is 0, so they can be written
/// to JSON and compared without special cases.
/// </summary>
public readonly record struct ConfusionCounts(long TruePositive, long FalsePositive, long TrueNegative, long FalseNegative)
{
    public long Total => TruePositive + FalsePositive + TrueNegative + FalseNegative;

    public long ActualPositive => TruePositive + FalseNegative;

    public long ActualNegative => TrueNegative + FalsePositive;

    public double Precision => Ratio(TruePositive, TruePositive + FalsePositive);

    public double Recall => Ratio(TruePositive, TruePositive + FalseNegative);

    public double F1 => Ratio(2 * TruePositive, 2 * TruePositive + FalsePositive + FalseNegative);

    public double Accuracy => Ratio(TruePositive + TrueNegative, Total);

    /// <summary>False-positive rate: share of actual negatives flagged positive.</summary>
    public double FalsePositiveRate => Ratio(FalsePositive, FalsePositive + TrueNegative);

    private static double Ratio(long numerator, long denominator) =>
        denominator == 0 ? 0.0 : (double)numerator / denominator;
}
