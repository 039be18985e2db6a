namespace DistGmm.Numerics.Evaluation;

/// <summary>
/// Scores sorted from most to least positive, collapsed to one entry per distinct score with cumulative
/// true/false positive counts. Ties collapse into a single step, which is what makes ROC AUC average over
/// ties exactly like sklearn. The result does not depend on the order of tied records, so it is deterministic.
/// </summary>
internal sealed class RankedOutcomes
{
    public required double[] Thresholds { get; init; }
    public required long[] CumulativeTruePositive { get; init; }
    public required long[] CumulativeFalsePositive { get; init; }
    public required long Positives { get; init; }
    public required long Negatives { get; init; }

    public int Count => Thresholds.Length;

    public static RankedOutcomes Build(ReadOnlySpan<double> positiveScore, ReadOnlySpan<bool> actualPositive)
    {
        BinaryClassification.CheckLengths(positiveScore.Length, actualPositive.Length);
        var scores = positiveScore.ToArray();
        var labels = actualPositive.ToArray();
        for (var i = 0; i < scores.Length; i++)
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"Score at index {i} is NaN; scores must be numbers (±∞ allowed).", nameof(positiveScore));

        Array.Sort(scores, labels); // ascending; walked from the end for descending scores

        var thresholds = new List<double>();
        var tps = new List<long>();
        var fps = new List<long>();
        long tp = 0, fp = 0;
        for (var i = scores.Length - 1; i >= 0; i--)
        {
            if (labels[i]) tp++; else fp++;
            // Emit a point only at the end of a run of equal scores.
            if (i == 0 || scores[i - 1] != scores[i])
            {
                thresholds.Add(scores[i]);
                tps.Add(tp);
                fps.Add(fp);
            }
        }

        return new RankedOutcomes
        {
            Thresholds = [.. thresholds],
            CumulativeTruePositive = [.. tps],
            CumulativeFalsePositive = [.. fps],
            Positives = tp,
            Negatives = fp,
        };
    }

    public void RequireBothClasses(string metric)
    {
        if (Positives == 0 || Negatives == 0)
            throw new ArgumentException(
                $"{metric} is undefined: need both positive and negative records (got {Positives} positive, {Negatives} negative).");
    }
}
