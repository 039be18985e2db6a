namespace DistGmm.Numerics;

/// <summary>
/// Immutable mixture parameters with scikit-learn's shapes and its precisions_cholesky_.
/// Full: covariances [K][D*D] row-major; Diag [K][D]; Tied [1][D*D]; Spherical [K][1].
/// </summary>
public sealed class GaussianMixture
{
    private const uint Magic = 0x4D4D4744; // "DGMM"
    // 2: a byte saying whether full/tied covariances follow as upper triangles (when symmetric bit for bit, as every
    // fitted model's are: half the bytes of each pass command); version 1 payloads are still read.
    // 3: full/tied precision Cholesky factors follow (upper triangles): a worker reading a pass's model takes them as
    // they are instead of factorising every covariance again (0.45 ms a pass at K=2, d=39; tens of ms at K=16, d=118),
    // and uses the coordinator's very bits. Versions 1 and 2 are still read (their factors computed on reading).
    private const ushort Version = 3;

    private GaussianMixture(CovarianceType type, double[] weights, double[][] means, double[][] covariances, double[][] precisionsCholesky)
    {
        CovarianceType = type;
        K = weights.Length;
        D = means[0].Length;
        Weights = weights;
        Means = means;
        Covariances = covariances;
        PrecisionsCholesky = precisionsCholesky;
        LogWeights = new double[K];
        LogDetPrecisionCholesky = new double[K];
        for (int k = 0; k < K; k++)
        {
            LogWeights[k] = Math.Log(weights[k]);
            LogDetPrecisionCholesky[k] = LogDet(k);
        }
    }

    public CovarianceType CovarianceType { get; }
    public int K { get; }
    public int D { get; }
    public double[] Weights { get; }
    public double[][] Means { get; }
    public double[][] Covariances { get; }
    public double[][] PrecisionsCholesky { get; }

    /// <summary>log of each weight (−∞ for a zero weight).</summary>
    internal double[] LogWeights { get; }

    /// <summary>scikit-learn's _compute_log_det_cholesky per component.</summary>
    internal double[] LogDetPrecisionCholesky { get; }

    /// <summary>Whether the E-step uses the triangular (full/tied) kernel rather than the diagonal one.</summary>
    internal bool IsTriangular => CovarianceType is CovarianceType.Full or CovarianceType.Tied;

    /// <summary>Builds a model, computing precision Cholesky factors; throws <see cref="NotPositiveDefiniteException"/>.</summary>
    public static GaussianMixture Create(CovarianceType t, double[] weights, double[][] means, double[][] covariances) =>
        Create(t, weights, means, covariances, null);

    /// <param name="factors">Full/tied: the precision Cholesky factors of these very covariances, computed before (a
    /// model read back): taken as they are, checked for shape, finiteness and a positive diagonal only.</param>
    private static GaussianMixture Create(CovarianceType t, double[] weights, double[][] means, double[][] covariances, double[][]? factors)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(covariances);
        int k = weights.Length;
        if (k == 0) throw new ArgumentException("A mixture needs at least one component.", nameof(weights));
        if (means.Length != k) throw new ArgumentException($"{means.Length} means for {k} weights.", nameof(means));
        int d = means[0].Length;
        if (d == 0) throw new ArgumentException("Means must have at least one dimension.", nameof(means));
        for (int i = 0; i < k; i++)
        {
            if (means[i].Length != d) throw new ArgumentException($"Mean {i} has {means[i].Length} values, expected {d}.", nameof(means));
            if (!(weights[i] >= 0) || !double.IsFinite(weights[i]))
                throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite and non-negative.", nameof(weights));
            foreach (var m in means[i])
                if (!double.IsFinite(m)) throw new ArgumentException($"Mean {i} contains {m}.", nameof(means));
        }
        int expectedCount = t == CovarianceType.Tied ? 1 : k;
        int expectedLength = t switch
        {
            CovarianceType.Full or CovarianceType.Tied => d * d,
            CovarianceType.Diag => d,
            _ => 1,
        };
        if (covariances.Length != expectedCount)
            throw new ArgumentException($"{t} covariance needs {expectedCount} matrices, got {covariances.Length}.", nameof(covariances));
        var prec = new double[expectedCount][];
        for (int c = 0; c < expectedCount; c++)
        {
            var cov = covariances[c];
            if (cov.Length != expectedLength)
                throw new ArgumentException($"Covariance {c} has {cov.Length} values, expected {expectedLength} for {t}.", nameof(covariances));
            foreach (var v in cov)
                if (!double.IsFinite(v)) throw new NotPositiveDefiniteException(c, t, $"it contains {v}");
            if (t is CovarianceType.Full or CovarianceType.Tied)
                prec[c] = factors is null ? LinearAlgebra.PrecisionCholeskyFull(cov, d, c, t) : CheckedFactor(factors, c, d);
            else
            {
                prec[c] = new double[cov.Length];
                for (int i = 0; i < cov.Length; i++)
                {
                    if (!(cov[i] > 0)) throw new NotPositiveDefiniteException(c, t, $"variance {i} is {cov[i]:G6}");
                    prec[c][i] = 1.0 / Math.Sqrt(cov[i]);
                }
            }
        }
        return new GaussianMixture(t, (double[])weights.Clone(), means.Select(m => (double[])m.Clone()).ToArray(),
            covariances.Select(c => (double[])c.Clone()).ToArray(), prec);
    }

    private static double[] CheckedFactor(double[][] factors, int c, int d)
    {
        if (factors.Length <= c || factors[c].Length != d * d)
            throw new ArgumentException($"Precision factor {c} is missing or not {d}×{d}.", nameof(factors));
        var u = factors[c];
        for (int i = 0; i < d; i++)
        {
            if (!(u[i * d + i] > 0) || !double.IsFinite(u[i * d + i]))
                throw new ArgumentException($"Precision factor {c} has {u[i * d + i]} on its diagonal at {i}.", nameof(factors));
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(u[i * d + j]) || (j < i && u[i * d + j] != 0))
                    throw new ArgumentException($"Precision factor {c} is not a finite upper triangle at ({i}, {j}).", nameof(factors));
        }
        return u;
    }

    /// <summary>scikit-learn's _n_parameters.</summary>
    public int FreeParameterCount
    {
        get
        {
            int covParams = CovarianceType switch
            {
                CovarianceType.Full => K * D * (D + 1) / 2,
                CovarianceType.Diag => K * D,
                CovarianceType.Tied => D * (D + 1) / 2,
                _ => K,
            };
            return covParams + K * D + K - 1;
        }
    }

    /// <summary>
    /// 2-norm condition number of each covariance matrix (one for tied): σ_max/σ_min of the full matrix (MathNet SVD),
    /// max/min variance for diag, 1 for spherical. Large values (≳1e12) mean a component has (nearly) collapsed onto a
    /// subspace and its log-likelihoods lean on reg_covar.
    /// </summary>
    public double[] CovarianceConditionNumbers() => CovarianceType switch
    {
        CovarianceType.Full or CovarianceType.Tied => Covariances.Select(c => LinearAlgebra.ConditionNumber(c, D)).ToArray(),
        CovarianceType.Diag => Covariances.Select(c => c.Max() / c.Min()).ToArray(),
        _ => Covariances.Select(_ => 1.0).ToArray(),
    };

    /// <summary>Bayesian information criterion: −2·n·meanLogLikelihood + p·ln n (lower is better).</summary>
    public double Bic(double meanLogLikelihood, long n) => -2 * meanLogLikelihood * n + FreeParameterCount * Math.Log(n);

    /// <summary>Akaike information criterion: −2·n·meanLogLikelihood + 2p (lower is better).</summary>
    public double Aic(double meanLogLikelihood, long n) => -2 * meanLogLikelihood * n + 2 * FreeParameterCount;

    /// <summary>
    /// The same components with each weight multiplied by its component's volume √det Σ_k = 1 / det U_k and renormalised.
    /// Its log-density is log Σ_k w_k exp(−½‖U_k(x − μ_k)‖²) − ½·d·log 2π − log Σ_j w_j / det U_j: the fitted mixture's,
    /// with every component taken at unit volume (a constant shift aside), so the same kernels score it.
    /// </summary>
    /// <remarks>A weight can underflow to 0 only when volumes differ by e^700; that component then never contributes.</remarks>
    public GaussianMixture VolumeNeutral() => Reweighted(k => LogWeights[k] - LogDetPrecisionCholesky[k]);

    /// <summary>
    /// The typical component's log det U_k: the weight-weighted (lower) median of the components' log det U_k — sorted from
    /// the broadest (smallest) up, ties by index, the first at which the running weight reaches ½.
    /// </summary>
    public double TypicalLogDetPrecisionCholesky()
    {
        var order = Enumerable.Range(0, K).OrderBy(k => LogDetPrecisionCholesky[k]).ThenBy(k => k).ToArray();
        double running = 0;
        foreach (var k in order)
        {
            running += Weights[k];
            if (running >= 0.5) return LogDetPrecisionCholesky[k];
        }
        return LogDetPrecisionCholesky[order[^1]];   // weights summing to just under ½ by rounding
    }

    /// <summary>
    /// The same components with each component's volume term capped at the typical component's
    /// (<see cref="TypicalLogDetPrecisionCholesky"/>, c): weights w_k·exp(min(log det U_k, c) − log det U_k), renormalised.
    /// Its log-density is log Σ_k w_k exp(min(log det U_k, c) − ½‖U_k(x − μ_k)‖²) up to a constant: a component broader
    /// than the typical one still costs its volume (what absorbs scattered records scores them low), one tighter than
    /// it gains nothing for it (near-copies of one attack record can make a very tight component). The same kernels
    /// score it.
    /// </summary>
    public GaussianMixture VolumeCapped()
    {
        double c = TypicalLogDetPrecisionCholesky();
        return Reweighted(k => LogWeights[k] + Math.Min(LogDetPrecisionCholesky[k], c) - LogDetPrecisionCholesky[k]);
    }

    /// <summary>The same components with weights ∝ exp(<paramref name="logWeight"/>(k)), normalised.</summary>
    private GaussianMixture Reweighted(Func<int, double> logWeight)
    {
        var logW = new double[K];
        for (int k = 0; k < K; k++) logW[k] = logWeight(k);
        double max = logW.Max(), z = 0;
        foreach (var v in logW) z += Math.Exp(v - max);
        var weights = logW.Select(v => Math.Exp(v - max) / z).ToArray();
        return new GaussianMixture(CovarianceType, weights, Means.Select(m => (double[])m.Clone()).ToArray(),
            Covariances.Select(c => (double[])c.Clone()).ToArray(), PrecisionsCholesky.Select(p => (double[])p.Clone()).ToArray());
    }

    /// <summary>Per-row log-likelihood log p(x) (scikit-learn's score_samples).</summary>
    public void ScoreSamples(ReadOnlySpan<double> rowsRowMajor, Span<double> logLikelihood)
    {
        int n = CheckRows(rowsRowMajor, logLikelihood.Length);
        var kernel = new EStepKernel(this, collectStatistics: false, fullSecondMoments: false);
        for (int start = 0; start < n; start += EStepKernel.BlockRows)
        {
            int count = Math.Min(EStepKernel.BlockRows, n - start);
            kernel.ProcessBlock(rowsRowMajor.Slice(start * D, count * D), count);
            kernel.LogLikelihood(count).CopyTo(logLikelihood.Slice(start, count));
        }
    }

    /// <summary>
    /// <see cref="ScoreSamples(ReadOnlySpan{double}, Span{double})"/> over a matrix, parallel over fixed chunks
    /// (each row's value does not depend on the thread count).
    /// </summary>
    public void ScoreSamples(DataMatrix data, double[] logLikelihood, int maxDegreeOfParallelism) =>
        ChunkRunner.Parallel(maxDegreeOfParallelism).Run(PlanScoreSamples([data], [logLikelihood]));

    /// <summary>
    /// Score_samples over matrices (a worker's shards) as chunks for a <see cref="ChunkRunner"/>, one work each, each
    /// chunk writing its own rows of the matrix's output array (the work's result); the kernels are shared.
    /// </summary>
    public ChunkedWork<double[]>[] PlanScoreSamples(IReadOnlyList<DataMatrix> data, IReadOnlyList<double[]> logLikelihood)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(logLikelihood);
        if (data.Count != logLikelihood.Count) throw new ArgumentException($"{data.Count} matrices but {logLikelihood.Count} outputs.", nameof(logLikelihood));
        var kernels = new ScratchPool<EStepKernel>(() => new EStepKernel(this, collectStatistics: false, fullSecondMoments: false));
        return data.Select((d, i) => PlanScoreSamples(d, logLikelihood[i], kernels)).ToArray();
    }

    private ChunkedWork<double[]> PlanScoreSamples(DataMatrix data, double[] logLikelihood, ScratchPool<EStepKernel> kernels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(logLikelihood);
        if (data.Cols != D) throw new ArgumentException($"Data has {data.Cols} columns, the model {D}.", nameof(data));
        if (logLikelihood.Length != data.Rows) throw new ArgumentException($"Output has {logLikelihood.Length} slots for {data.Rows} rows.", nameof(logLikelihood));
        int chunk = SufficientStatistics.ChunkRows;
        int chunks = Math.Max(1, (data.Rows + chunk - 1) / chunk);
        return new ChunkedComputation<EStepKernel, double[]>(chunks, kernels,
            (kernel, c) =>
            {
                int start = c * chunk, end = Math.Min(data.Rows, start + chunk);
                for (int b = start; b < end; b += EStepKernel.BlockRows)
                {
                    int count = Math.Min(EStepKernel.BlockRows, end - b);
                    kernel.ProcessBlock(data.Values.AsSpan(b * D, count * D), count);
                    kernel.LogLikelihood(count).CopyTo(logLikelihood.AsSpan(b, count));
                }
                return logLikelihood;
            },
            (all, _) => all);
    }

    /// <summary>Most probable component per row (argmax of the weighted log-probability, first on ties).</summary>
    public void Predict(ReadOnlySpan<double> rowsRowMajor, Span<int> labels)
    {
        int n = CheckRows(rowsRowMajor, labels.Length);
        var kernel = new EStepKernel(this, collectStatistics: false, fullSecondMoments: false);
        for (int start = 0; start < n; start += EStepKernel.BlockRows)
        {
            int count = Math.Min(EStepKernel.BlockRows, n - start);
            kernel.ProcessBlock(rowsRowMajor.Slice(start * D, count * D), count);
            kernel.ArgMax(count, labels.Slice(start, count));
        }
    }

    /// <summary>One row's responsibilities (scikit-learn's predict_proba); returns its log-likelihood.</summary>
    public double Responsibilities(ReadOnlySpan<double> row, Span<double> responsibilities)
    {
        CheckRows(row, 1);
        if (responsibilities.Length != K) throw new ArgumentException($"Output has {responsibilities.Length} slots for {K} components.", nameof(responsibilities));
        // Unpruned: a far component's responsibility is reported as its tiny value, not the 0 that pruning would leave.
        var kernel = new EStepKernel(this, collectStatistics: false, fullSecondMoments: false) { PruneFarComponents = false };
        kernel.ProcessBlock(row, 1);
        kernel.Responsibilities(0, responsibilities);
        return kernel.LogLikelihood(1)[0];
    }

    /// <summary>Mean of <see cref="ScoreSamples"/> over the rows (scikit-learn's score).</summary>
    public double Score(ReadOnlySpan<double> rowsRowMajor)
    {
        int n = rowsRowMajor.Length / D;
        var ll = new double[n];
        ScoreSamples(rowsRowMajor, ll);
        double s = 0;
        foreach (var v in ll) s += v;
        return s / n;
    }

    private int CheckRows(ReadOnlySpan<double> rows, int outputLength)
    {
        if (rows.Length % D != 0)
            throw new ArgumentException($"{rows.Length} values are not whole rows of {D} columns.", nameof(rows));
        int n = rows.Length / D;
        if (outputLength != n) throw new ArgumentException($"Output has {outputLength} slots for {n} rows.");
        return n;
    }

    private double LogDet(int k)
    {
        var pc = PrecisionsCholesky[CovarianceType == CovarianceType.Tied ? 0 : k];
        double s = 0;
        switch (CovarianceType)
        {
            case CovarianceType.Full:
            case CovarianceType.Tied:
                for (int i = 0; i < D; i++) s += Math.Log(pc[i * D + i]);
                return s;
            case CovarianceType.Diag:
                for (int i = 0; i < D; i++) s += Math.Log(pc[i]);
                return s;
            default:
                return D * Math.Log(pc[0]);
        }
    }

    public byte[] ToBytes()
    {
        var w = new ByteWriter();
        Write(w);
        return w.ToArray();
    }

    public static GaussianMixture FromBytes(ReadOnlySpan<byte> bytes)
    {
        var r = new ByteReader(bytes, "GaussianMixture");
        var model = Read(ref r);
        r.End();
        return model;
    }

    internal void Write(ByteWriter w)
    {
        w.Magic(Magic, Version);
        w.Byte((byte)CovarianceType);
        w.Doubles(Weights);
        w.Jagged(Means);
        bool triangles = IsTriangular && ByteWriter.AreSymmetric(Covariances, D);
        w.Byte(triangles ? (byte)1 : (byte)0);
        if (triangles) w.UpperTriangles(Covariances, D, "GaussianMixture covariance");
        else w.Jagged(Covariances);
        if (IsTriangular) w.UpperTriangles(PrecisionsCholesky, D, "GaussianMixture precision factor", symmetric: false);
    }

    internal static GaussianMixture Read(ref ByteReader r)
    {
        int version = r.Magic(Magic, Version);
        int at = r.Offset;
        byte t = r.Byte();
        if (t > (byte)CovarianceType.Spherical) throw r.Error($"unknown covariance type {t}", at);
        var weights = r.Doubles();
        var means = r.Jagged();
        at = r.Offset;
        byte layout = version >= 2 ? r.Byte() : (byte)0;
        if (layout > 1) throw r.Error($"unknown covariance layout {layout}", at);
        int d = means.Length == 0 ? 0 : means[0].Length;
        var covs = layout == 1 ? r.UpperTriangles(d) : r.Jagged();
        var factors = version >= 3 && (CovarianceType)t is CovarianceType.Full or CovarianceType.Tied ? r.UpperTriangles(d, symmetric: false) : null;
        try
        {
            return Create((CovarianceType)t, weights, means, covs, factors);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"GaussianMixture: inconsistent payload: {e.Message}", e);
        }
    }
}
