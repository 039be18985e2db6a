namespace DistGmm.Numerics.Evaluation;

/// <summary>
/// Metrics for a binary detector. For anomaly detection attack = positive, and since a LOW log-likelihood
/// means anomalous, pass <c>positiveScore = -logLikelihood</c>.
/// </summary>
public static class BinaryClassification
{
    /// <summary>Default cap on points returned by the curve methods (enough for a smooth plot).</summary>
    public const int DefaultMaxCurvePoints = 500;

    public static ConfusionCounts Confusion(ReadOnlySpan<bool> predictedPositive, ReadOnlySpan<bool> actualPositive)
    {
        CheckLengths(predictedPositive.Length, actualPositive.Length);
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < predictedPositive.Length; i++)
        {
            if (predictedPositive[i])
            {
                if (actualPositive[i]) tp++; else fp++;
            }
            else if (actualPositive[i]) fn++;
            else tn++;
        }

        return new ConfusionCounts(tp, fp, tn, fn);
    }

    /// <summary>Confusion when records with <paramref name="positiveScore"/> ≥ <paramref name="threshold"/> are predicted positive.</summary>
    public static ConfusionCounts ConfusionAt(ReadOnlySpan<double> positiveScore, double threshold, ReadOnlySpan<bool> actualPositive)
    {
        CheckLengths(positiveScore.Length, actualPositive.Length);
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < positiveScore.Length; i++)
        {
            var predicted = positiveScore[i] >= threshold;
            if (predicted)
            {
                if (actualPositive[i]) tp++; else fp++;
            }
            else if (actualPositive[i]) fn++;
            else tn++;
        }

        return new ConfusionCounts(tp, fp, tn, fn);
    }

    /// <summary>Area under the ROC curve; ties are averaged (equals sklearn's roc_auc_score).</summary>
    /// <exception cref="ArgumentException">Only one class present, a NaN score, or lengths differ.</exception>
    public static double RocAuc(ReadOnlySpan<double> positiveScore, ReadOnlySpan<bool> actualPositive)
    {
        var ranked = RankedOutcomes.Build(positiveScore, actualPositive);
        ranked.RequireBothClasses("ROC AUC");
        return RocArea(ranked);
    }

    /// <summary>Average precision, Σ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds (equals sklearn's average_precision_score).</summary>
    /// <exception cref="ArgumentException">No positive records, a NaN score, or lengths differ.</exception>
    public static double AveragePrecision(ReadOnlySpan<double> positiveScore, ReadOnlySpan<bool> actualPositive)
    {
        var ranked = RankedOutcomes.Build(positiveScore, actualPositive);
        RequirePositives(ranked);
        return AveragePrecision(ranked);
    }

    /// <summary>ROC curve from (0,0) to (1,1), thinned to at most <paramref name="maxPoints"/> points; Area = ROC AUC.</summary>
    public static CurvePoints RocCurve(ReadOnlySpan<double> positiveScore, ReadOnlySpan<bool> actualPositive,
        int maxPoints = DefaultMaxCurvePoints)
    {
        CheckMaxPoints(maxPoints);
        var ranked = RankedOutcomes.Build(positiveScore, actualPositive);
        ranked.RequireBothClasses("ROC curve");
        var n = ranked.Count + 1;
        var fpr = new double[n];
        var tpr = new double[n];
        var thresholds = new double[n];
        thresholds[0] = double.PositiveInfinity;
        for (var i = 0; i < ranked.Count; i++)
        {
            fpr[i + 1] = (double)ranked.CumulativeFalsePositive[i] / ranked.Negatives;
            tpr[i + 1] = (double)ranked.CumulativeTruePositive[i] / ranked.Positives;
            thresholds[i + 1] = ranked.Thresholds[i];
        }

        return Thin(fpr, tpr, thresholds, RocArea(ranked), maxPoints);
    }

    /// <summary>
    /// Precision-recall curve from recall 0 (precision 1, by sklearn's convention) to recall 1, in order of
    /// decreasing threshold, thinned to at most <paramref name="maxPoints"/> points; Area = average precision.
    /// </summary>
    public static CurvePoints PrecisionRecallCurve(ReadOnlySpan<double> positiveScore, ReadOnlySpan<bool> actualPositive,
        int maxPoints = DefaultMaxCurvePoints)
    {
        CheckMaxPoints(maxPoints);
        var ranked = RankedOutcomes.Build(positiveScore, actualPositive);
        RequirePositives(ranked);
        var n = ranked.Count + 1;
        var recall = new double[n];
        var precision = new double[n];
        var thresholds = new double[n];
        precision[0] = 1.0;
        thresholds[0] = double.PositiveInfinity;
        for (var i = 0; i < ranked.Count; i++)
        {
            var tp = ranked.CumulativeTruePositive[i];
            recall[i + 1] = (double)tp / ranked.Positives;
            precision[i + 1] = (double)tp / (tp + ranked.CumulativeFalsePositive[i]);
            thresholds[i + 1] = ranked.Thresholds[i];
        }

        return Thin(recall, precision, thresholds, AveragePrecision(ranked), maxPoints);
    }

    /// <summary>Per-label share of records predicted positive (e.g. detection rate per attack type), sorted by label (ordinal).</summary>
    public static IReadOnlyList<LabelDetection> DetectionByLabel(ReadOnlySpan<bool> predictedPositive, IReadOnlyList<string> labels)
    {
        CheckLengths(predictedPositive.Length, labels.Count);
        var counts = new Dictionary<string, (long Count, long Detected)>(StringComparer.Ordinal);
        for (var i = 0; i < predictedPositive.Length; i++)
        {
            counts.TryGetValue(labels[i], out var c);
            counts[labels[i]] = (c.Count + 1, c.Detected + (predictedPositive[i] ? 1 : 0));
        }

        return counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new LabelDetection(kv.Key, kv.Value.Count, kv.Value.Detected))
            .ToArray();
    }

    internal static void CheckLengths(int scoreLength, int labelLength)
    {
        if (scoreLength != labelLength)
            throw new ArgumentException($"Length mismatch: {scoreLength} predictions/scores but {labelLength} labels.");
    }

    private static void CheckMaxPoints(int maxPoints)
    {
        if (maxPoints < 2)
            throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "A curve needs at least 2 points.");
    }

    private static void RequirePositives(RankedOutcomes ranked)
    {
        if (ranked.Positives == 0)
            throw new ArgumentException("Average precision is undefined: there are no positive records.");
    }

    // Trapezoids between consecutive distinct thresholds; a tie block becomes one diagonal step (= averaging ties).
    private static double RocArea(RankedOutcomes ranked)
    {
        double area = 0;
        long prevTp = 0, prevFp = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            long tp = ranked.CumulativeTruePositive[i], fp = ranked.CumulativeFalsePositive[i];
            area += (fp - prevFp) * (double)(tp + prevTp); // 2× trapezoid in count units
            prevTp = tp;
            prevFp = fp;
        }

        return area / (2.0 * ranked.Positives * ranked.Negatives);
    }

    private static double AveragePrecision(RankedOutcomes ranked)
    {
        double sum = 0;
        long prevTp = 0;
        for (var i = 0; i < ranked.Count; i++)
        {
            var tp = ranked.CumulativeTruePositive[i];
            if (tp == prevTp) continue;
            var precision = (double)tp / (tp + ranked.CumulativeFalsePositive[i]);
            sum += (tp - prevTp) * precision;
            prevTp = tp;
        }

        return sum / ranked.Positives;
    }

    // Keeps first and last points and an even spread of indices between them.
    private static CurvePoints Thin(double[] x, double[] y, double[] thresholds, double area, int maxPoints)
    {
        if (x.Length <= maxPoints) return new CurvePoints(x, y, thresholds, area);
        var tx = new double[maxPoints];
        var ty = new double[maxPoints];
        var tt = new double[maxPoints];
        var last = x.Length - 1;
        for (var k = 0; k < maxPoints; k++)
        {
            var i = (int)((long)k * last / (maxPoints - 1));
            tx[k] = x[i];
            ty[k] = y[i];
            tt[k] = thresholds[i];
        }

        return new CurvePoints(tx, ty, tt, area);
    }
}
