namespace DistGmm.Numerics;

/// <summary>Small dense d×d routines (row-major), mirroring the LAPACK calls scikit-learn makes.</summary>
internal static class LinearAlgebra
{
    /// <summary>Lower Cholesky factor L of a symmetric matrix (reads the lower triangle); false if not positive definite.</summary>
    public static bool TryCholeskyLower(ReadOnlySpan<double> a, int d, Span<double> lower, out int failedPivot)
    {
        lower.Clear();
        for (int j = 0; j < d; j++)
        {
            double diag = a[j * d + j];
            for (int p = 0; p < j; p++) diag -= lower[j * d + p] * lower[j * d + p];
            if (!(diag > 0)) { failedPivot = j; return false; }
            double ljj = Math.Sqrt(diag);
            lower[j * d + j] = ljj;
            for (int i = j + 1; i < d; i++)
            {
                double s = a[i * d + j];
                for (int p = 0; p < j; p++) s -= lower[i * d + p] * lower[j * d + p];
                lower[i * d + j] = s / ljj;
            }
        }
        failedPivot = -1;
        return true;
    }

    /// <summary>Inverse of a lower-triangular L (forward substitution on the identity); result lower triangular.</summary>
    public static void InvertLower(ReadOnlySpan<double> lower, int d, Span<double> inverse)
    {
        inverse.Clear();
        for (int c = 0; c < d; c++)
        {
            // Solve L x = e_c; x is zero above c.
            for (int i = c; i < d; i++)
            {
                double s = i == c ? 1.0 : 0.0;
                for (int p = c; p < i; p++) s -= lower[i * d + p] * inverse[p * d + c];
                inverse[i * d + c] = s / lower[i * d + i];
            }
        }
    }

    /// <summary>
    /// scikit-learn's precision Cholesky for one full covariance: solve_triangular(cholesky(cov, lower), I).T,
    /// i.e. an upper-triangular U with U Uᵀ = cov⁻¹.
    /// </summary>
    public static double[] PrecisionCholeskyFull(ReadOnlySpan<double> covariance, int d, int component, CovarianceType type)
    {
        var lower = new double[d * d];
        if (!TryCholeskyLower(covariance, d, lower, out int pivot))
            throw new NotPositiveDefiniteException(component, type,
                $"Cholesky pivot {pivot} is {PivotValue(covariance, d, lower, pivot):G6} (must be > 0)");
        var inv = new double[d * d];
        InvertLower(lower, d, inv);
        var upper = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
                upper[j * d + i] = inv[i * d + j];
        return upper;
    }

    private static double PivotValue(ReadOnlySpan<double> a, int d, ReadOnlySpan<double> lower, int j)
    {
        double diag = a[j * d + j];
        for (int p = 0; p < j; p++) diag -= lower[j * d + p] * lower[j * d + p];
        return diag;
    }
}
