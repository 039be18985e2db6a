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
        // U = (L⁻¹)ᵀ, column j of L⁻¹ by forward substitution on column j of I: LAPACK's reference dtrsm (left, lower, no
        // transpose), which scikit-learn's solve_triangular(L, I) calls. MathNet has no triangular solve, and its general
        // Inverse() factorised L again (LU with pivoting): 3/4 of the time of a component's precision at d = 39. U's
        // lower triangle stays exactly zero (the E-step kernel relies on it).
        var l = lower.ToRowMajorArray();
        var upper = new double[d * d];
        var x = new double[d];
        for (int j = 0; j < d; j++)
        {
            Array.Clear(x);
            x[j] = 1;
            for (int k = j; k < d; k++)
            {
                if (x[k] == 0) continue; // as dtrsm: a zero contributes nothing
                x[k] /= l[k * d + k];
                for (int i = k + 1; i < d; i++) x[i] -= x[k] * l[i * d + k];
            }
            for (int i = j; i < d; i++) upper[j * d + i] = x[i];
        }
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
