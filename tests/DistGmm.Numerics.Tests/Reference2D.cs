using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// References for 2-D full components computed from the covariance alone (2×2 determinant and inverse), not through the
/// library's precision Cholesky; and the check that a reweighted mixture kept the components.
/// </summary>
internal static class Reference2D
{
    public static double Det(double[] c) => c[0] * c[3] - c[1] * c[2];

    public static double SquaredMahalanobis(double[] c, double[] mean, double x, double y)
    {
        double dx = x - mean[0], dy = y - mean[1];
        return (c[3] * dx * dx - 2 * c[1] * dx * dy + c[0] * dy * dy) / Det(c);
    }

    /// <summary>
    /// A reweighted mixture's log-density on 2-D <paramref name="rows"/> against log Σ_k w_k exp(f_k − ½ D_k²) − log 2π −
    /// log Σ_j w_j exp(f_j − ld_j) (ld_j = log det U_j = −½ log det Σ_j: the second sum makes it a density), and that it
    /// kept the fitted components.
    /// </summary>
    public static void AssertReweightedLogDensity(GaussianMixture fitted, GaussianMixture reweighted, double[] weights,
        double[][] covariances, double[][] means, Func<int, double> f, double[] rows, int digits)
    {
        var actual = new double[rows.Length / 2];
        reweighted.ScoreSamples(rows, actual);
        double logZ = Math.Log(weights.Select((w, k) => w * Math.Exp(f(k) + 0.5 * Math.Log(Det(covariances[k])))).Sum());
        for (int r = 0; r < actual.Length; r++)
        {
            double x = rows[2 * r], y = rows[2 * r + 1];
            double expected = Math.Log(weights.Select((w, k) => w * Math.Exp(f(k) - 0.5 * SquaredMahalanobis(covariances[k], means[k], x, y))).Sum())
                - Math.Log(2 * Math.PI) - logZ;
            Assert.Equal(expected, actual[r], digits);
        }
        AssertReweightedOnly(fitted, reweighted);
    }

    /// <summary>Same means and covariances; weights a distribution.</summary>
    private static void AssertReweightedOnly(GaussianMixture fitted, GaussianMixture reweighted)
    {
        Assert.Equal(fitted.Means, reweighted.Means);
        Assert.Equal(fitted.Covariances, reweighted.Covariances);
        Assert.Equal(1.0, reweighted.Weights.Sum(), 15);
    }
}
