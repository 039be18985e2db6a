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
        var positives = 0;
        for (var i = 0; i < positiveScore.Length; i++)
        {
            if (double.IsNaN(positiveScore[i]))
                throw new ArgumentException($"Score at index {i} is NaN; scores must be numbers (±∞ allowed).", nameof(positiveScore));
            if (actualPositive[i]) positives++;
        }

        // Two primitive sorts (the runtime's fast path) and a merge beat one key/item sort by a wide margin.
        var pos = new double[positives];
        var neg = new double[positiveScore.Length - positives];
        for (int i = 0, p = 0, n = 0; i < positiveScore.Length; i++)
        {
            if (actualPositive[i]) pos[p++] = positiveScore[i];
            else neg[n++] = positiveScore[i];
        }

        Array.Sort(pos);
        Array.Sort(neg);

        var thresholds = new double[positiveScore.Length];
        var tps = new long[positiveScore.Length];
        var fps = new long[positiveScore.Length];
        int count = 0, ip = pos.Length - 1, jn = neg.Length - 1;
        long tp = 0, fp = 0;
        while (ip >= 0 || jn >= 0)
        {
            // Walk both lists from the highest score down, consuming every record tied at the current score.
            var current = ip < 0 ? neg[jn] : jn < 0 ? pos[ip] : Math.Max(pos[ip], neg[jn]);
            while (ip >= 0 && pos[ip] == current) { tp++; ip--; }
            while (jn >= 0 && neg[jn] == current) { fp++; jn--; }
            thresholds[count] = current;
            tps[count] = tp;
            fps[count] = fp;
            count++;
        }

        return new RankedOutcomes
        {
            Thresholds = thresholds[..count],
            CumulativeTruePositive = tps[..count],
            CumulativeFalsePositive = fps[..count],
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
