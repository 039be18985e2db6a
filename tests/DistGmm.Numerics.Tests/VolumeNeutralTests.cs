using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>The mahalanobis scoring's mixture: the fitted components with their volumes taken out of the density.</summary>
public class VolumeNeutralTests
{
    [Fact]
    public void Its_log_density_is_the_weighted_sum_of_exp_minus_half_the_squared_Mahalanobis_distances_shifted_by_a_constant()
    {
        // Two full components in 2-D with different volumes and correlations; the reference is computed here from the
        // covariances alone (2×2 inverse and determinant), not through the library's precision Cholesky.
        double[][] covariances = [[2.0, 0.6, 0.6, 1.0], [0.05, -0.01, -0.01, 0.02]];
        double[][] means = [[0.0, 0.0], [1.5, -0.5]];
        double[] weights = [0.3, 0.7];
        var model = GaussianMixture.Create(CovarianceType.Full, weights, means, covariances);
        double[] rows = [0.0, 0.0, 1.5, -0.5, 0.7, 0.1, -3.0, 2.0, 1.6, -0.45];
        // log Σ_k w_k exp(−½ D_k²): every component at unit volume.
        Reference2D.AssertReweightedLogDensity(model, model.VolumeNeutral(), weights, covariances, means, _ => 0, rows, 12);
    }

    [Theory]
    [InlineData(CovarianceType.Full)]
    [InlineData(CovarianceType.Diag)]
    [InlineData(CovarianceType.Spherical)]
    public void A_tight_component_no_longer_makes_its_centre_more_normal_than_a_broad_ones(CovarianceType type)
    {
        // Equal weights, far apart: one component 1000 times as wide as the other in each of 3 dimensions.
        double[][] covariances = type switch
        {
            CovarianceType.Full => [Diagonal(3, 1e-4), Diagonal(3, 100)],
            CovarianceType.Diag => [[1e-4, 1e-4, 1e-4], [100, 100, 100]],
            _ => [[1e-4], [100]],
        };
        var model = GaussianMixture.Create(type, [0.5, 0.5], [[0, 0, 0], [1e4, 1e4, 1e4]], covariances);
        double[] centres = [0, 0, 0, 1e4, 1e4, 1e4];
        var fitted = new double[2];
        model.ScoreSamples(centres, fitted);
        Assert.True(fitted[0] - fitted[1] > 20); // 3·ln 1000 ≈ 20.7 nats for being tight
        var neutral = new double[2];
        model.VolumeNeutral().ScoreSamples(centres, neutral);
        Assert.Equal(neutral[0], neutral[1], 12);
    }

    private static double[] Diagonal(int d, double v)
    {
        var m = new double[d * d];
        for (int i = 0; i < d; i++) m[i * d + i] = v;
        return m;
    }
}
