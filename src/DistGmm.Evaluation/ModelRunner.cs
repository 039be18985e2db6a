using DistGmm.Numerics;
using DistGmm.Numerics.Evaluation;

namespace DistGmm.Evaluation;

/// <summary>Fitting (fixed K or BIC selection on the training rows), parallel scoring, and the metric wiring.</summary>
public static class ModelRunner
{
    /// <summary>The final fit, the candidates compared (null for a fixed fit), and the reg_covar of the final fit.</summary>
    public sealed record Fitted(GmmFitResult Fit, IReadOnlyList<KCandidate>? Selection, double RegCovar)
    {
        /// <summary>Distinct records fitted on (<see cref="ScoringExtensions.CountsRecords"/>); null when fitted on every row.</summary>
        public long? FittedRows { get; init; }
    }

    /// <summary>
    /// Fits for a scoring: <see cref="Scoring.Rows"/> on every training row; the records scorings on each distinct
    /// training record once (its first occurrence), so K selection and EM see what the traffic looks like, not how often
    /// a record was copied.
    /// </summary>
    public static Fitted Fit(Scoring scoring, DataMatrix train, int k, ResolvedSelection selection, int seed, EvalSettings s, Action<string>? log = null)
    {
        if (!scoring.CountsRecords()) return Fit([train], k, selection, seed, s, log);
        var counts = DistinctRecords.Count([train]);
        var distinct = DistinctRecords.Representatives(train, 0, counts);
        log?.Invoke($"  fitting on {distinct.Rows} distinct records of {train.Rows} rows");
        return Fit([distinct], k, selection, seed, s, log) with { FittedRows = distinct.Rows };
    }

    /// <summary>
    /// Scores for a scoring: the log-density of its mixture (<see cref="ScoringExtensions.ScoringMixture"/>), plus for the
    /// records scorings log P(m) of each row's multiplicity m in <paramref name="data"/> (the traffic scored;
    /// <see cref="MultiplicityModel"/> fitted on it).
    /// </summary>
    public static double[] Score(Scoring scoring, GaussianMixture model, DataMatrix data, int threads)
    {
        var scores = Score(scoring.ScoringMixture(model), data, threads);
        if (scoring.CountsRecords())
        {
            var counts = DistinctRecords.Count([data]);
            DistinctRecords.AddMultiplicity(scores, DistinctRecords.Multiplicities(data, counts), MultiplicityModel.From(counts));
        }
        return scores;
    }

    /// <summary>
    /// Fits with the protocol's resolved selection: hold-out comparison of (K, reg_covar) candidates, BIC over K, or
    /// one fixed fit (<paramref name="k"/> unless the selection names a single K).
    /// </summary>
    public static Fitted Fit(IReadOnlyList<DataMatrix> train, int k, ResolvedSelection selection, int seed, EvalSettings s, Action<string>? log = null)
    {
        if (selection.By == SelectBy.Holdout)
        {
            IReadOnlyList<int> ks = selection.Ks ?? [k];
            IReadOnlyList<double> regCovars = selection.RegCovars ?? [selection.RegCovar];
            if (selection.Searches) return FitByHoldout(Concat(train), ks, regCovars, seed, s, log);
            return Fit(train, ks[0], null, seed, s with { RegCovar = regCovars[0] });
        }
        return Fit(train, k, selection.Ks, seed, s with { RegCovar = selection.RegCovar });
    }

    /// <summary>A fixed K, or K chosen by BIC over <paramref name="selectK"/> (all training rows, one reg_covar).</summary>
    public static Fitted Fit(IReadOnlyList<DataMatrix> train, int k, IReadOnlyList<int>? selectK, int seed, EvalSettings s)
    {
        var options = new EmOptions(k, s.Covariance, s.MaxIter, s.Tol, s.RegCovar ?? EvalSettings.DefaultRegCovar, s.NInit ?? 1, InitMethod.KMeans, seed);
        if (selectK is null) return new Fitted(GaussianMixtureFitter.Fit(train, options, s.Threads), null, options.RegCovar);
        var (candidates, best) = ModelSelection.SelectK(train, selectK, options, SelectionCriterion.Bic, s.Threads);
        return new Fitted(best.Fit, candidates.Select(c => new KCandidate(c.K, c.Bic, c.Fit.MeanLogLikelihood, c.Fit.Converged)).ToList(), options.RegCovar);
    }

    /// <summary>
    /// Chooses (K, reg_covar) by held-out likelihood on the training rows only: each candidate is fitted on the rows
    /// of <see cref="DistinctHoldout"/>'s fitting part and scored by the mean log-likelihood of the held-out distinct
    /// records; the best (first on ties, candidates in ascending K then reg_covar) is refitted on all training rows.
    /// </summary>
    public static Fitted FitByHoldout(DataMatrix train, IReadOnlyList<int> ks, IReadOnlyList<double> regCovars, int seed, EvalSettings s,
        Action<string>? log = null)
    {
        var (fitRows, validateRows) = DistinctHoldout.Split(train, s.HoldoutFraction, seed);
        var fitPart = Take(train, fitRows);
        var validate = Take(train, validateRows);
        var candidates = new List<KCandidate>();
        KCandidate? best = null;
        foreach (var k in ks.Distinct().Order())
            foreach (var regCovar in regCovars.Distinct().Order())
            {
                var fit = GaussianMixtureFitter.Fit([fitPart], Options(k, regCovar), s.Threads);
                var heldOut = Score(fit.Model, validate, s.Threads).Average();
                var c = new KCandidate(k, fit.Bic, fit.MeanLogLikelihood, fit.Converged, regCovar, heldOut);
                log?.Invoke($"  K={k} reg_covar={regCovar:G3}: held-out mean log-likelihood {heldOut:F2} ({validate.Rows} distinct records)");
                candidates.Add(c);
                if (best is null || heldOut > best.HoldoutMeanLogLikelihood) best = c;
            }
        var final = GaussianMixtureFitter.Fit([train], Options(best!.K, best.RegCovar!.Value), s.Threads);
        return new Fitted(final, candidates, best.RegCovar.Value);

        EmOptions Options(int k, double regCovar) => new(k, s.Covariance, s.MaxIter, s.Tol, regCovar, s.NInit ?? 1, InitMethod.KMeans, seed);
    }

    private static DataMatrix Concat(IReadOnlyList<DataMatrix> parts)
    {
        if (parts.Count == 1) return parts[0];
        var values = new double[parts.Sum(p => p.Rows * p.Cols)];
        var offset = 0;
        foreach (var p in parts)
        {
            p.Values.AsSpan(0, p.Rows * p.Cols).CopyTo(values.AsSpan(offset));
            offset += p.Rows * p.Cols;
        }
        return new DataMatrix(values, parts.Sum(p => p.Rows), parts[0].Cols);
    }

    /// <summary>The given rows of a matrix, in the given order (a copy).</summary>
    public static DataMatrix Take(DataMatrix m, IReadOnlyList<int> rows)
    {
        var values = new double[rows.Count * m.Cols];
        for (var i = 0; i < rows.Count; i++) m.Row(rows[i]).CopyTo(values.AsSpan(i * m.Cols));
        return new DataMatrix(values, rows.Count, m.Cols);
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
