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

    private static double Det(int k) => Covariances[k][0] * Covariances[k][3] - Covariances[k][1] * Covariances[k][2];

    // log det U_k = −½ log det Σ_k, from the covariance alone (not through the library's precision Cholesky).
    private static double LogDetU(int k) => -0.5 * Math.Log(Det(k));

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
        var capped = model.VolumeCapped();
        double[] rows = [0.0, 0.0, 1.5, -0.5, -1.0, 2.0, 0.7, 0.1, -3.0, 2.0, -0.98, 2.01];
        int n = rows.Length / 2;
        var actual = new double[n];
        capped.ScoreSamples(rows, actual);

        double SquaredMahalanobis(int k, double x, double y)
        {
            var c = Covariances[k];
            double dx = x - Means[k][0], dy = y - Means[k][1];
            return (c[3] * dx * dx - 2 * c[1] * dx * dy + c[0] * dy * dy) / Det(k);
        }
        double typical = LogDetU(1);
        double Capped(int k) => Math.Min(LogDetU(k), typical);
        // log Σ_j w_j exp(min(ld_j, c) − ld_j): the normaliser that makes the reweighted mixture a density.
        double logZ = Math.Log(Weights.Select((w, k) => w * Math.Exp(Capped(k) - LogDetU(k))).Sum());
        for (int r = 0; r < n; r++)
        {
            double x = rows[2 * r], y = rows[2 * r + 1];
            double expected = Math.Log(Weights.Select((w, k) => w * Math.Exp(Capped(k) - 0.5 * SquaredMahalanobis(k, x, y))).Sum())
                - Math.Log(2 * Math.PI) - logZ;
            Assert.Equal(expected, actual[r], 11);
        }
        Assert.Equal(model.Means, capped.Means);
        Assert.Equal(model.Covariances, capped.Covariances);
        Assert.Equal(1.0, capped.Weights.Sum(), 15);
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
