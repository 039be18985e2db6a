namespace DistGmm.Numerics;

/// <summary>
/// Options with scikit-learn's names and defaults. Extensions beyond scikit-learn: <paramref name="KMeansSeedings"/>
/// (k-means++ seedings tried on the sample for init 'kmeans', the lowest sample inertia wins — scikit-learn's
/// KMeans n_init) and <paramref name="SampleSize"/> (rows sampled for seeding, so seeding cost is bounded).
/// </summary>
public sealed record EmOptions(int K, CovarianceType CovarianceType, int MaxIter = 100, double Tol = 1e-3, double RegCovar = 1e-6,
    int NInit = 1, InitMethod Init = InitMethod.KMeans, int Seed = 0, GaussianMixture? InitModel = null,
    int KMeansSeedings = 3, int SampleSize = 65536, int KMeansMaxIter = 300)
{
    /// <summary>scikit-learn's reg_covar default.</summary>
    public const double DefaultRegCovar = 1e-6;

    /// <summary>
    /// 1/12, the variance of uniform dequantisation noise on a lattice of step 1 (one-hot columns, integer counts):
    /// the reg_covar of the <c>records</c> scoring and of the dagmm protocol.
    /// </summary>
    public const double DequantisationRegCovar = 1.0 / 12;

    internal void Validate(long totalRows)
    {
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "K (n_components) must be at least 1.");
        if (MaxIter < 1) throw new ArgumentOutOfRangeException(nameof(MaxIter), MaxIter, "MaxIter must be at least 1.");
        if (!(Tol >= 0)) throw new ArgumentOutOfRangeException(nameof(Tol), Tol, "Tol must be non-negative.");
        if (!(RegCovar >= 0)) throw new ArgumentOutOfRangeException(nameof(RegCovar), RegCovar, "RegCovar must be non-negative.");
        if (NInit < 1) throw new ArgumentOutOfRangeException(nameof(NInit), NInit, "NInit must be at least 1.");
        if (KMeansSeedings < 1) throw new ArgumentOutOfRangeException(nameof(KMeansSeedings), KMeansSeedings, "KMeansSeedings must be at least 1.");
        if (SampleSize < K) throw new ArgumentOutOfRangeException(nameof(SampleSize), SampleSize, "SampleSize must be at least K.");
        if (KMeansMaxIter < 1) throw new ArgumentOutOfRangeException(nameof(KMeansMaxIter), KMeansMaxIter, "KMeansMaxIter must be at least 1.");
        if (totalRows < K)
            throw new ArgumentException($"Expected at least K={K} rows (n_samples >= n_components), got {totalRows}.");
        if (InitModel is not null && (InitModel.K != K || InitModel.CovarianceType != CovarianceType))
            throw new ArgumentException($"InitModel has K={InitModel.K}/{InitModel.CovarianceType}, options ask for K={K}/{CovarianceType}.");
    }
}

/// <summary>
/// A finished fit: the model after the last M-step of the best run (highest lower bound), its iterations,
/// convergence, the lower bound of the last E-step (scikit-learn's lower_bound_), the per-iteration history,
/// and the final model's own mean log-likelihood over all rows with BIC/AIC.
/// </summary>
public sealed record GmmFitResult(
    GaussianMixture Model,
    int Iterations,
    bool Converged,
    double LowerBound,
    IReadOnlyList<double> LowerBoundHistory,
    string Init,
    int BestRun,
    long Rows,
    double MeanLogLikelihood,
    IReadOnlyList<string> Warnings)
{
    public double Bic => Model.Bic(MeanLogLikelihood, Rows);
    public double Aic => Model.Aic(MeanLogLikelihood, Rows);
}
