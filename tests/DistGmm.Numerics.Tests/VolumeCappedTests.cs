using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>The capped scoring's mixture: the fitted components, each volume term capped at the typical component's.</summary>
public class VolumeCappedTests
{
    // Three full components in 2-D: broad, medium and tight, with correlations; sorted broad → tight their weights run
    // 0.2, 0.7, 1.0, so the typical (weight-weighted median) component is the medium one.
    private static readonly double[][] Covariances = [[4.0, 1.2, 1.2, 2.0], [1.0, 0.3, 0.3, 0.5], [0.01, -0.002, -0.002, 0.004]];
    private static readonly double[][] Means = [[0.0, 0.0], [1.5, -0.5], [-1.0, 2.0]];
    private static readonly double[] Weights = [0.2, 0.5, 0.3];

    // log det U_k = −½ log det Σ_k, from the covariance alone (not through the library's precision Cholesky).
    private static double LogDetU(int k) => -0.5 * Math.Log(Reference2D.Det(Covariances[k]));

    [Fact]
    public void The_typical_volume_is_the_weight_weighted_median_of_the_components_log_det_U()
    {
        var model = GaussianMixture.Create(CovarianceType.Full, Weights, Means, Covariances);
        Assert.Equal(LogDetU(1), model.TypicalLogDetPrecisionCholesky(), 12);
        // Move weight to the tight component: running weights 0.1, 0.3, 1.0, so the median is the tight one.
        var tightHeavy = GaussianMixture.Create(CovarianceType.Full, [0.1, 0.2, 0.7], Means, Covariances);
        Assert.Equal(LogDetU(2), tightHeavy.TypicalLogDetPrecisionCholesky(), 12);
        // Exactly half at the broad one: the lower median, the broad one.
        var halfBroad = GaussianMixture.Create(CovarianceType.Full, [0.5, 0.25, 0.25], Means, Covariances);
        Assert.Equal(LogDetU(0), halfBroad.TypicalLogDetPrecisionCholesky(), 12);
    }

    [Fact]
    public void Its_log_density_keeps_each_volume_up_to_the_typical_one_and_no_further_shifted_by_a_constant()
    {
        var model = GaussianMixture.Create(CovarianceType.Full, Weights, Means, Covariances);
        double[] rows = [0.0, 0.0, 1.5, -0.5, -1.0, 2.0, 0.7, 0.1, -3.0, 2.0, -0.98, 2.01];
        // log Σ_k w_k exp(min(ld_k, c) − ½ D_k²), c the medium component's ld.
        double typical = LogDetU(1);
        Reference2D.AssertReweightedLogDensity(model, model.VolumeCapped(), Weights, Covariances, Means, k => Math.Min(LogDetU(k), typical), rows, 11);
    }

    [Theory]
    [InlineData(CovarianceType.Full)]
    [InlineData(CovarianceType.Diag)]
    [InlineData(CovarianceType.Spherical)]
    public void A_tight_component_gains_nothing_over_the_typical_one_and_a_broad_one_still_costs_its_volume(CovarianceType type)
    {
        // Equal weights, far apart, in 3 dimensions: variances 1e-4 (tight), 1 (typical: the median) and 100 (broad).
        double[] variances = [1e-4, 1, 100];
        double[][] covariances = [.. variances.Select(v => type switch
        {
            CovarianceType.Full => Diagonal(3, v),
            CovarianceType.Diag => [v, v, v],
            _ => new[] { v },
        })];
        var model = GaussianMixture.Create(type, [1.0 / 3, 1.0 / 3, 1.0 / 3], [[0, 0, 0], [1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]], covariances);
        double[] centres = [0, 0, 0, 1e4, 1e4, 1e4, -1e4, -1e4, -1e4];
        var fitted = new double[3];
        model.ScoreSamples(centres, fitted);
        Assert.Equal(3 * Math.Log(100), fitted[0] - fitted[1], 9);   // the tight one's volume: 3·ln 100 nats more normal
        var capped = new double[3];
        model.VolumeCapped().ScoreSamples(centres, capped);
        Assert.Equal(capped[1], capped[0], 9);
        // The broad one: 3·ln 10 below the typical, as in the fitted mixture.
        Assert.Equal(fitted[1] - fitted[2], capped[1] - capped[2], 9);
        Assert.Equal(3 * Math.Log(10), capped[1] - capped[2], 9);
    }

    private static double[] Diagonal(int d, double v)
    {
        var m = new double[d * d];
        for (int i = 0; i < d; i++) m[i * d + i] = v;
        return m;
    }
}
