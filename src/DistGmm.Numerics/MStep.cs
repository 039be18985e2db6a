namespace DistGmm.Numerics;

/// <summary>
/// The M-step from merged statistics, term for term scikit-learn's _estimate_gaussian_parameters
/// (N_k + 10·eps, reg_covar on the diagonal) but from centred moments: with δ = μ_new − shift,
/// Σ r (x−μ)(x−μ)ᵀ = S2 − δ S1ᵀ − S1 δᵀ + N δ δᵀ, exact algebra without the E[xxᵀ] − μμᵀ cancellation.
/// </summary>
public static class MStep
{
    private const double TenEps = 10 * 2.220446049250313e-16; // 10 · numpy finfo(float64).eps

    public static GaussianMixture Apply(SufficientStatistics merged, double regCovar) =>
        Apply(merged, regCovar, weightsByRows: false);

    /// <summary>
    /// As <see cref="Apply(SufficientStatistics,double)"/>; <paramref name="weightsByRows"/> divides the weights by the
    /// row count instead of normalising them (scikit-learn's _initialize does that).
    /// </summary>
    public static GaussianMixture Apply(SufficientStatistics merged, double regCovar, bool weightsByRows)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (!(regCovar >= 0)) throw new ArgumentOutOfRangeException(nameof(regCovar), regCovar, "reg_covar must be non-negative.");
        if (merged.Rows <= 0) throw new InvalidOperationException("M-step over zero rows: every partition was empty.");
        int k = merged.K, d = merged.D;
        var type = merged.CovarianceType;
        var nk = new double[k];
        var means = new double[k][];
        var deltas = new double[k][];
        double nkSum = 0;
        for (int c = 0; c < k; c++)
        {
            double n = merged.ResponsibilitySum[c];
            if (!double.IsFinite(n) || !double.IsFinite(merged.LogLikelihoodSum))
                throw new InvalidOperationException($"Statistics of component {c} are not finite (N_k={n}, Σ log p={merged.LogLikelihoodSum}).");
            nk[c] = n + TenEps;
            nkSum += nk[c];
            var shift = merged.Shift[c];
            var s1 = merged.FirstMoment[c];
            means[c] = new double[d];
            deltas[c] = new double[d];
            double scale = n / nk[c];
            for (int i = 0; i < d; i++)
            {
                // μ = Σ r x / nk = shift·(N/nk) + S1/nk, as scikit-learn's resp.T @ X / nk.
                means[c][i] = shift[i] * scale + s1[i] / nk[c];
                deltas[c][i] = means[c][i] - shift[i];
            }
        }
        var weights = new double[k];
        double divisor = weightsByRows ? merged.Rows : nkSum;
        for (int c = 0; c < k; c++) weights[c] = nk[c] / divisor;

        double[][] covariances = type switch
        {
            CovarianceType.Full => Enumerable.Range(0, k).Select(c => FullScatter(merged, c, deltas[c], 1.0 / nk[c], regCovar)).ToArray(),
            CovarianceType.Tied => [Tied(merged, deltas, nkSum, regCovar)],
            CovarianceType.Diag => Enumerable.Range(0, k).Select(c => DiagScatter(merged, c, deltas[c], nk[c], regCovar)).ToArray(),
            _ => Enumerable.Range(0, k).Select(c => new[] { DiagScatter(merged, c, deltas[c], nk[c], regCovar).Average() }).ToArray(),
        };
        return GaussianMixture.Create(type, weights, means, covariances);
    }

    private static double[] Scatter(SufficientStatistics s, int c, double[] delta)
    {
        if (!s.FullSecondMoments)
            throw new InvalidOperationException($"{s.CovarianceType} covariance needs full second moments; the statistics hold only the diagonal.");
        int d = s.D;
        var s1 = s.FirstMoment[c];
        var s2 = s.SecondMoment[c];
        double n = s.ResponsibilitySum[c];
        var m = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double v = s2[i * d + j] - delta[i] * s1[j] - s1[i] * delta[j] + n * delta[i] * delta[j];
                m[i * d + j] = v;
                m[j * d + i] = v;
            }
        return m;
    }

    private static double[] FullScatter(SufficientStatistics s, int c, double[] delta, double invNk, double reg)
    {
        var m = Scatter(s, c, delta);
        int d = s.D;
        for (int i = 0; i < m.Length; i++) m[i] *= invNk;
        for (int i = 0; i < d; i++) m[i * d + i] += reg;
        return m;
    }

    private static double[] Tied(SufficientStatistics s, double[][] deltas, double nkSum, double reg)
    {
        int d = s.D;
        var total = new double[d * d];
        for (int c = 0; c < s.K; c++)
        {
            var m = Scatter(s, c, deltas[c]);
            for (int i = 0; i < total.Length; i++) total[i] += m[i];
        }
        for (int i = 0; i < total.Length; i++) total[i] /= nkSum;
        for (int i = 0; i < d; i++) total[i * d + i] += reg;
        return total;
    }

    private static double[] DiagScatter(SufficientStatistics s, int c, double[] delta, double nk, double reg)
    {
        int d = s.D;
        var s1 = s.FirstMoment[c];
        var s2 = s.SecondMoment[c];
        double n = s.ResponsibilitySum[c];
        var v = new double[d];
        for (int i = 0; i < d; i++)
        {
            double second = s.FullSecondMoments ? s2[i * d + i] : s2[i];
            v[i] = (second - 2 * delta[i] * s1[i] + n * delta[i] * delta[i]) / nk + reg;
        }
        return v;
    }
}
