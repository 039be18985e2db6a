using System.Collections.Immutable;

namespace DistGmm.Numerics;

/// <summary>
/// The whole fit — initialisation (sampling, k-means++, Lloyd's k-means), nInit restarts, EM iterations,
/// convergence, a final scoring pass — as a pure, immutable state machine. <see cref="NextPass"/> says which
/// data-parallel pass every partition must run; <see cref="Advance"/> takes the partitions' results merged in
/// partition order. Same inputs give the same state, so a local driver, a distributed coordinator and a
/// journal replay all produce bit-identical models.
/// </summary>
public sealed class EmTraining
{
    private const double TenEps = 10 * 2.220446049250313e-16;

    private readonly Phase _phase;
    private readonly RunOutcome? _best;
    private readonly ImmutableList<string> _warnings;

    private EmTraining(EmOptions options, long totalRows, int run, Phase phase, RunOutcome? best, ImmutableList<string> warnings, GmmFitResult? result)
    {
        Options = options;
        TotalRows = totalRows;
        Run = run;
        _phase = phase;
        _best = best;
        _warnings = warnings;
        Result = result;
    }

    public EmOptions Options { get; }
    public long TotalRows { get; }

    /// <summary>Index of the current restart (0 .. NInit−1).</summary>
    public int Run { get; }

    /// <summary>The pass every partition must compute next; null when finished.</summary>
    public DataPass? NextPass => _phase.Next;

    public GmmFitResult? Result { get; }

    /// <summary>Completed EM iterations of the current run (during the final scoring pass: of the last run).</summary>
    public int Iteration => _phase switch
    {
        EmPhase em => em.Iteration,
        ScoringPhase s => s.Iteration,
        _ => Result?.Iterations ?? 0,
    };

    /// <summary>The lower bound of the latest EM iteration (of the current run; during the final scoring pass: of the last run).</summary>
    public double? LastLowerBound => _phase switch
    {
        EmPhase { History.Count: > 0 } em => em.History[^1],
        ScoringPhase s => s.LowerBound,
        _ => Result?.LowerBound,
    };

    /// <summary>Human-readable stage: "sampling", "kmeans 12", "em 7", "scoring", "done".</summary>
    public string Stage => _phase.Describe();

    public IReadOnlyList<string> Warnings => _warnings;

    public static EmTraining Start(EmOptions options, long totalRows)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(totalRows);
        return new EmTraining(options, totalRows, 0, FirstPhase(options, totalRows, 0, 0), null, [], null);
    }

    /// <summary>Feeds the merged result of <see cref="NextPass"/>; pure.</summary>
    public EmTraining Advance(PassResult merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        int next = (_phase.Next ?? throw new InvalidOperationException("Training is finished; nothing to advance.")).PassNumber + 1;
        return _phase switch
        {
            SamplingPhase s => AfterSampling(s, Expect<SampleResult>(merged), next),
            KMeansPhase k => AfterKMeans(k, Expect<KMeansResult>(merged), next),
            StatisticsInitPhase i => StartEm(InitModelFromStatistics(Expect<StatisticsResult>(merged).Statistics), i.InitLabel, next, _warnings),
            EmPhase e => AfterEStep(e, Expect<StatisticsResult>(merged).Statistics, next),
            ScoringPhase f => Finish(f, Expect<StatisticsResult>(merged).Statistics),
            _ => throw new InvalidOperationException($"Unexpected phase {_phase.GetType().Name}."),
        };
    }

    private T Expect<T>(PassResult r) where T : PassResult =>
        r as T ?? throw new ArgumentException($"Pass {_phase.Next!.PassNumber} ({_phase.Next.GetType().Name}) expects {typeof(T).Name}, got {r.GetType().Name}.");

    private static Phase FirstPhase(EmOptions o, long totalRows, int run, int passNumber)
    {
        if (o.InitModel is not null)
            return new EmPhase(new EStepPass(passNumber, o.InitModel), 0, double.NegativeInfinity, [], "user", 0);
        var rng = SeededRandom.For(o.Seed, run);
        long[] indices = o.Init switch
        {
            InitMethod.KMeans or InitMethod.KMeansPlusPlus => rng.SampleWithoutReplacement(totalRows, (int)Math.Min(o.SampleSize, totalRows)),
            InitMethod.RandomFromData => rng.SampleWithoutReplacement(totalRows, o.K),
            _ => [],
        };
        return new SamplingPhase(new SampleRowsPass(passNumber, indices));
    }

    private EmTraining With(Phase phase, ImmutableList<string>? warnings = null) =>
        new(Options, TotalRows, Run, phase, _best, warnings ?? _warnings, null);

    private EmTraining AfterSampling(SamplingPhase s, SampleResult sample, int next)
    {
        var o = Options;
        if (sample.ColumnCount != TotalRows)
            throw new InvalidOperationException($"Sampling pass saw {sample.ColumnCount} rows, training expects {TotalRows}; the partitions do not cover the data.");
        if (!sample.GlobalRowIndices.AsSpan().SequenceEqual(s.Pass.GlobalRowIndices))
            throw new InvalidOperationException($"Sampling pass returned {sample.GlobalRowIndices.Length} of {s.Pass.GlobalRowIndices.Length} requested rows; merge partitions in order and cover every row.");
        int d = sample.Columns;
        var rng = SeededRandom.For(o.Seed, Run * 7919 + 1);
        string label = InitLabel(o.Init);
        switch (o.Init)
        {
            case InitMethod.KMeans:
            {
                double tol = 1e-4 * sample.ColumnVariance().Average(); // scikit-learn's _tolerance
                double[][]? bestCentres = null;
                double bestInertia = double.PositiveInfinity;
                for (int t = 0; t < o.KMeansSeedings; t++)
                {
                    var centres = KMeansSeeding.PlusPlus(sample.Rows, d, o.K, rng).Select(i => sample.Rows.AsSpan(i * d, d).ToArray()).ToArray();
                    double inertia = o.KMeansSeedings == 1 ? 0 : KMeansSeeding.Lloyd(sample.Rows, d, centres, 30, tol);
                    if (inertia < bestInertia) { bestInertia = inertia; bestCentres = centres; }
                }
                return With(new KMeansPhase(new KMeansPass(next, bestCentres!), 0, tol, sample));
            }
            case InitMethod.KMeansPlusPlus:
            {
                var idx = KMeansSeeding.PlusPlus(sample.Rows, d, o.K, rng);
                return StartEm(ModelAtPoints(idx.Select(i => sample.Rows.AsSpan(i * d, d).ToArray()).ToArray()), label, next, _warnings);
            }
            case InitMethod.RandomFromData:
            {
                // Random component order over the K drawn rows (the indices arrive sorted).
                var order = Enumerable.Range(0, o.K).ToArray();
                for (int i = order.Length - 1; i > 0; i--) { int j = (int)rng.NextLong(i + 1); (order[i], order[j]) = (order[j], order[i]); }
                return StartEm(ModelAtPoints(order.Select(i => sample.Rows.AsSpan(i * d, d).ToArray()).ToArray()), label, next, _warnings);
            }
            default:
            {
                var shift = Enumerable.Range(0, o.K).Select(_ => (double[])sample.ColumnMean.Clone()).ToArray();
                return With(new StatisticsInitPhase(new RandomResponsibilityPass(next, o.CovarianceType, rng.NextUInt64(), shift), label));
            }
        }
    }

    private EmTraining AfterKMeans(KMeansPhase k, KMeansResult result, int next)
    {
        var old = k.Pass.Centroids;
        int d = old[0].Length;
        var centres = new double[old.Length][];
        var warnings = _warnings;
        var used = new HashSet<int>();
        double shift = 0;
        for (int c = 0; c < old.Length; c++)
        {
            centres[c] = new double[d];
            if (result.Counts[c] == 0)
            {
                // scikit-learn relocates empty clusters to far-away points; we use the sample's farthest row.
                int far = KMeansSeeding.Farthest(k.Sample.Rows, d, old, used);
                used.Add(far);
                k.Sample.Rows.AsSpan(far * d, d).CopyTo(centres[c]);
                warnings = warnings.Add($"run {Run}: k-means cluster {c} became empty at Lloyd iteration {k.Iteration + 1}; re-seeded at the sample row farthest from its centre.");
            }
            else
            {
                for (int i = 0; i < d; i++) centres[c][i] = old[c][i] + result.ShiftedSums[c][i] / result.Counts[c];
            }
            for (int i = 0; i < d; i++) shift += (centres[c][i] - old[c][i]) * (centres[c][i] - old[c][i]);
        }
        int iteration = k.Iteration + 1;
        if (shift <= k.Tol || iteration >= Options.KMeansMaxIter)
            return With(new StatisticsInitPhase(new HardAssignmentPass(next, Options.CovarianceType, centres), InitLabel(InitMethod.KMeans)), warnings);
        return With(k with { Pass = new KMeansPass(next, centres), Iteration = iteration }, warnings);
    }

    private GaussianMixture InitModelFromStatistics(SufficientStatistics stats)
    {
        CheckRows(stats);
        // scikit-learn's _initialize divides the weights by n_samples rather than normalising them.
        return MStep.Apply(stats, Options.RegCovar, weightsByRows: true);
    }

    /// <summary>scikit-learn's _initialize with one-hot responsibilities at K rows: means at the rows, covariance reg_covar·I.</summary>
    private GaussianMixture ModelAtPoints(double[][] points)
    {
        int k = points.Length, d = points[0].Length;
        double reg = Options.RegCovar;
        var weights = Enumerable.Repeat((1 + TenEps) / TotalRows, k).ToArray();
        double[][] covs = Options.CovarianceType switch
        {
            CovarianceType.Full => Enumerable.Range(0, k).Select(_ => Identity(d, reg)).ToArray(),
            // scikit-learn's tied formula would use the whole data's XᵀX here; a one-hot start gets reg·I like the others.
            CovarianceType.Tied => [Identity(d, reg)],
            CovarianceType.Diag => Enumerable.Range(0, k).Select(_ => Enumerable.Repeat(reg, d).ToArray()).ToArray(),
            _ => Enumerable.Range(0, k).Select(_ => new[] { reg }).ToArray(),
        };
        return GaussianMixture.Create(Options.CovarianceType, weights, points, covs);
    }

    private static double[] Identity(int d, double value)
    {
        var m = new double[d * d];
        for (int i = 0; i < d; i++) m[i * d + i] = value;
        return m;
    }

    private EmTraining StartEm(GaussianMixture model, string label, int next, ImmutableList<string> warnings) =>
        With(new EmPhase(new EStepPass(next, model), 0, double.NegativeInfinity, [], label, 0), warnings);

    private void CheckRows(SufficientStatistics stats)
    {
        if (stats.Rows != TotalRows)
            throw new InvalidOperationException($"Pass {_phase.Next!.PassNumber} covered {stats.Rows} rows, training expects {TotalRows}; a partition is missing or duplicated.");
    }

    private EmTraining AfterEStep(EmPhase e, SufficientStatistics stats, int next)
    {
        CheckRows(stats);
        double lowerBound = stats.MeanLogLikelihood;
        int iteration = e.Iteration + 1;
        if (!double.IsFinite(lowerBound))
            throw new InvalidOperationException(
                $"Run {Run}, EM iteration {iteration}: the mean log-likelihood is {lowerBound}; a row has zero density under every component " +
                "(e.g. values far outside the training range). Scale the data or increase reg_covar.");
        var warnings = _warnings;
        int warned = e.WarnedEmpty;
        for (int c = 0; c < stats.K; c++)
        {
            if (stats.ResponsibilitySum[c] < 1 && (warned & (1 << Math.Min(c, 30))) == 0)
            {
                warned |= 1 << Math.Min(c, 30);
                warnings = warnings.Add($"run {Run}, EM iteration {iteration}: component {c} is (nearly) empty (N_k = {stats.ResponsibilitySum[c]:G3} < 1 row); " +
                                        "its covariance falls back to reg_covar·I. Consider a smaller K.");
            }
        }
        GaussianMixture model;
        try
        {
            model = MStep.Apply(stats, Options.RegCovar);
        }
        catch (NotPositiveDefiniteException ex)
        {
            throw new NotPositiveDefiniteException(ex.Component, Options.CovarianceType,
                $"run {Run}, EM iteration {iteration} ({ex.Message})");
        }
        var history = e.History.Add(lowerBound);
        bool converged = Math.Abs(lowerBound - e.LowerBound) < Options.Tol;
        if (!converged && iteration < Options.MaxIter)
            return With(new EmPhase(new EStepPass(next, model), iteration, lowerBound, history, e.InitLabel, warned), warnings);

        var outcome = new RunOutcome(model, iteration, converged, lowerBound, history, e.InitLabel, Run);
        var best = _best is null || outcome.LowerBound > _best.LowerBound ? outcome : _best;
        if (!converged)
            warnings = warnings.Add($"run {Run} did not converge in {iteration} iterations (last change {lowerBound - e.LowerBound:G3}, tol {Options.Tol:G3}).");
        if (Run + 1 < Options.NInit)
            return new EmTraining(Options, TotalRows, Run + 1, FirstPhase(Options, TotalRows, Run + 1, next), best, warnings, null);
        return new EmTraining(Options, TotalRows, Run, new ScoringPhase(new EStepPass(next, best.Model), iteration, lowerBound), best, warnings, null);
    }

    private EmTraining Finish(ScoringPhase f, SufficientStatistics stats)
    {
        CheckRows(stats);
        var b = _best!;
        var result = new GmmFitResult(b.Model, b.Iterations, b.Converged, b.LowerBound, b.History, b.InitLabel, b.Run,
            stats.Rows, stats.MeanLogLikelihood, _warnings);
        return new EmTraining(Options, TotalRows, Run, new DonePhase(), b, _warnings, result);
    }

    private static string InitLabel(InitMethod m) => m switch
    {
        InitMethod.KMeans => "kmeans",
        InitMethod.KMeansPlusPlus => "k-means++",
        InitMethod.RandomFromData => "random_from_data",
        _ => "random",
    };

    private sealed record RunOutcome(GaussianMixture Model, int Iterations, bool Converged, double LowerBound, ImmutableList<double> History, string InitLabel, int Run);

    private abstract record Phase
    {
        public abstract DataPass? Next { get; }
        public abstract string Describe();
    }

    private sealed record SamplingPhase(SampleRowsPass Pass) : Phase
    {
        public override DataPass Next => Pass;
        public override string Describe() => "sampling";
    }

    private sealed record KMeansPhase(KMeansPass Pass, int Iteration, double Tol, SampleResult Sample) : Phase
    {
        public override DataPass Next => Pass;
        public override string Describe() => $"kmeans {Iteration + 1}";
    }

    private sealed record StatisticsInitPhase(DataPass Pass, string InitLabel) : Phase
    {
        public override DataPass Next => Pass;
        public override string Describe() => $"init {InitLabel}";
    }

    private sealed record EmPhase(EStepPass Pass, int Iteration, double LowerBound, ImmutableList<double> History, string InitLabel, int WarnedEmpty) : Phase
    {
        public override DataPass Next => Pass;
        public override string Describe() => $"em {Iteration + 1}";
    }

    /// <summary>The final E-step (scikit-learn's, after the loop); Iteration and LowerBound: the last run's last EM iteration, which is thus reported before this pass, not with its time.</summary>
    private sealed record ScoringPhase(EStepPass Pass, int Iteration, double LowerBound) : Phase
    {
        public override DataPass Next => Pass;
        public override string Describe() => "scoring";
    }

    private sealed record DonePhase : Phase
    {
        public override DataPass? Next => null;
        public override string Describe() => "done";
    }
}
