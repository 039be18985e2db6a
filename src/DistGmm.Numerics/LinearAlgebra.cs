using MathNet.Numerics.LinearAlgebra;

namespace DistGmm.Numerics;

/// <summary>
/// Small dense d×d algebra off the hot path (M-step, model loading, the model report), with MathNet.Numerics:
/// the LAPACK calls scikit-learn makes, on row-major arrays.
/// </summary>
internal static class LinearAlgebra
{
    /// <summary>
    /// scikit-learn's precision Cholesky for one full covariance: solve_triangular(cholesky(cov, lower), I).T,
    /// i.e. an upper-triangular U with U Uᵀ = cov⁻¹ (row-major). Reads the lower triangle, as LAPACK's potrf does.
    /// </summary>
    public static double[] PrecisionCholeskyFull(ReadOnlySpan<double> covariance, int d, int component, CovarianceType type)
    {
        var a = Symmetric(covariance, d);
        Matrix<double> lower;
        try { lower = a.Cholesky().Factor; }
        catch (ArgumentException) { throw new NotPositiveDefiniteException(component, type, FailedPivot(a)); }
        // L⁻¹ is lower triangular; its transpose is U. Entries above L⁻¹'s diagonal are exact zeros by construction
        // (the E-step kernel relies on U's zero lower triangle), so they are set rather than taken from the solve.
        var inverse = lower.Inverse();
        var upper = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
                upper[j * d + i] = inverse[i, j];
        return upper;
    }

    /// <summary>2-norm condition number (largest / smallest singular value) of a symmetric d×d matrix (lower triangle read).</summary>
    public static double ConditionNumber(ReadOnlySpan<double> symmetric, int d) => Symmetric(symmetric, d).ConditionNumber();

    private static Matrix<double> Symmetric(ReadOnlySpan<double> rowMajor, int d)
    {
        var values = rowMajor.ToArray();
        return Matrix<double>.Build.Dense(d, d, (i, j) => i >= j ? values[i * d + j] : values[j * d + i]);
    }

    /// <summary>Where the factorisation fails: the first leading block that is not positive definite (failure path only).</summary>
    private static string FailedPivot(Matrix<double> a)
    {
        for (int j = 1; j <= a.RowCount; j++)
        {
            try { a.SubMatrix(0, j, 0, j).Cholesky(); }
            catch (ArgumentException) { return $"Cholesky fails at pivot {j - 1} (the leading {j}×{j} block is not positive definite)"; }
        }
        return "Cholesky fails";
    }
}
