using DistGmm.Numerics;
using DistGmm.Numerics.Evaluation;

namespace DistGmm.Evaluation;

/// <summary>Fitting (fixed K or BIC selection on the training rows), parallel scoring, and the metric wiring.</summary>
public static class ModelRunner
{
    public sealed record Fitted(GmmFitResult Fit, IReadOnlyList<KCandidate>? Selection);

    public static Fitted Fit(IReadOnlyList<DataMatrix> train, int k, IReadOnlyList<int>? selectK, int seed, EvalSettings s)
    {
        var options = new EmOptions(k, s.Covariance, s.MaxIter, s.Tol, s.RegCovar, s.NInit, InitMethod.KMeans, seed);
        if (selectK is null) return new Fitted(GaussianMixtureFitter.Fit(train, options, s.Threads), null);
        var (candidates, best) = ModelSelection.SelectK(train, selectK, options, SelectionCriterion.Bic, s.Threads);
        return new Fitted(best.Fit, candidates.Select(c => new KCandidate(c.K, c.Bic, c.Fit.MeanLogLikelihood, c.Fit.Converged)).ToList());
    }

    /// <summary>Per-row log-likelihood, blocks scored in parallel (each row's value does not depend on the blocking).</summary>
    public static double[] Score(GaussianMixture model, DataMatrix data, int threads)
    {
        var scores = new double[data.Rows];
        const int Block = 8192;
        var blocks = (data.Rows + Block - 1) / Block;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
        {
            var start = b * Block;
            var count = Math.Min(Block, data.Rows - start);
            model.ScoreSamples(data.Values.AsSpan(start * data.Cols, count * data.Cols), scores.AsSpan(start, count));
        });
        return scores;
    }

    /// <summary>Rows to flag: the ⌊q·n⌋ lowest scores (ties broken by row order, so the count is exact).</summary>
    public static bool[] FlagLowest(ReadOnlySpan<double> scores, double fraction)
    {
        var count = (int)Math.Floor(fraction * scores.Length);
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order); // unstable: settle ties by index below
        var flagged = new bool[scores.Length];
        if (count == 0) return flagged;
        var cutoff = keys[count - 1];
        var taken = 0;
        // Everything strictly below the cutoff, then cutoff ties in row order until the count is reached.
        for (var i = 0; i < scores.Length; i++)
            if (scores[i] < cutoff) { flagged[i] = true; taken++; }
        for (var i = 0; i < scores.Length && taken < count; i++)
            if (scores[i] == cutoff) { flagged[i] = true; taken++; }
        return flagged;
    }

    /// <summary>Flags scores strictly below the threshold.</summary>
    public static bool[] FlagBelow(ReadOnlySpan<double> scores, double threshold)
    {
        var flagged = new bool[scores.Length];
        for (var i = 0; i < scores.Length; i++) flagged[i] = scores[i] < threshold;
        return flagged;
    }

    /// <summary>mean − k·std of the scores (population std, numpy's .std()).</summary>
    public static double MeanMinusKStd(ReadOnlySpan<double> scores, double k)
    {
        var moments = new ScoreMoments().Add(scores);
        return moments.Mean - k * moments.StdDev;
    }

    /// <summary>Lower likelihood = more anomalous: the ranking score for ROC/PR is the negated log-likelihood.</summary>
    public static (double Roc, double Pr) Areas(ReadOnlySpan<double> logLikelihood, ReadOnlySpan<bool> positive)
    {
        var anomaly = new double[logLikelihood.Length];
        for (var i = 0; i < anomaly.Length; i++) anomaly[i] = -logLikelihood[i];
        return (BinaryClassification.RocAuc(anomaly, positive), BinaryClassification.AveragePrecision(anomaly, positive));
    }

    public static IReadOnlyList<MetricSummary> Summarise(IReadOnlyList<EvalCase> cases)
    {
        var metrics = new (string Name, Func<EvalCase, double?> Get)[]
        {
            ("precision", c => c.Precision), ("recall", c => c.Recall), ("f1", c => c.F1),
            ("rocAuc", c => c.RocAuc), ("prAuc", c => c.PrAuc), ("flagged", c => c.Flagged), ("k", c => c.K),
        };
        var result = new List<MetricSummary>();
        foreach (var (name, get) in metrics)
        {
            var values = cases.Select(get).OfType<double>().ToArray();
            if (values.Length == 0) continue;
            var mean = values.Average();
            var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
            result.Add(new MetricSummary(name, mean, std, values.Length));
        }
        return result;
    }
}
