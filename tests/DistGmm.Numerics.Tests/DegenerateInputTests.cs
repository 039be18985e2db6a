using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

public sealed class DegenerateInputTests
{
    [Fact]
    public void NaNInInputIsRejectedNamingRowAndColumn()
    {
        var values = new double[] { 1, 2, 3, 4, double.NaN, 6 };
        var e = Assert.Throws<NonFiniteValueException>(() => new DataMatrix(values, 3, 2));
        Assert.Contains("row 2, column 0", e.Message);
        Assert.Equal((2, 0), (e.Row, e.Column));
        var inf = Assert.Throws<NonFiniteValueException>(() => new DataMatrix([1, double.PositiveInfinity], 1, 2));
        Assert.Contains("row 0, column 1", inf.Message);
    }

    [Fact]
    public void DuplicateRowsFitWithoutNaN()
    {
        // 300 copies of one row plus a blob: a component may sit on the duplicates with covariance ≈ reg_covar·I.
        var blob = TestData.Blobs(1, 200, 3, 1);
        var values = Enumerable.Repeat(new[] { 5.0, -1.0, 2.0 }, 300).SelectMany(r => r).Concat(blob.Values).ToArray();
        var data = new DataMatrix(values, 500, 3);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var fit = GaussianMixtureFitter.Fit(data, new EmOptions(2, type, Seed: 3));
            AssertFinite(fit);
            // A tied covariance cannot shrink onto the spike; the others put a component on it.
            if (type != CovarianceType.Tied)
                Assert.True(fit.MeanLogLikelihood > 0, $"{type}: the duplicate spike should give a high likelihood, got {fit.MeanLogLikelihood}");
        }
    }

    [Fact]
    public void ConstantColumnGetsRegCovarVariance()
    {
        var blob = TestData.Blobs(2, 400, 3, 2);
        var values = blob.Values.ToArray();
        for (int r = 0; r < 400; r++) values[r * 3 + 1] = 7.5;
        var data = new DataMatrix(values, 400, 3);
        var fit = GaussianMixtureFitter.Fit(data, new EmOptions(2, CovarianceType.Full, RegCovar: 1e-6));
        AssertFinite(fit);
        foreach (var cov in fit.Model.Covariances)
        {
            Approx.Relative(1e-6, cov[1 * 3 + 1], 1e-6, "variance of the constant column");
            Assert.Equal(0, cov[0 * 3 + 1], 12);
        }
        foreach (var mean in fit.Model.Means) Approx.Relative(7.5, mean[1], 1e-14, "mean of the constant column");
    }

    [Fact]
    public void ZeroRegCovarOnConstantColumnNamesComponentAndSuggestsRegCovar()
    {
        var blob = TestData.Blobs(2, 100, 2, 1);
        var values = blob.Values.ToArray();
        for (int r = 0; r < 100; r++) values[r * 2] = 1;
        var data = new DataMatrix(values, 100, 2);
        var init = TestData.Model(4, data, 1, CovarianceType.Full);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => MStep.Apply(SufficientStatistics.Compute(init, data), 0));
        Assert.Equal(0, e.Component);
        Assert.Contains("component 0", e.Message);
        Assert.Contains("reg_covar", e.Message);
    }

    [Fact]
    public void CreateRejectsNonPositiveDefiniteCovariance()
    {
        var e = Assert.Throws<NotPositiveDefiniteException>(() => GaussianMixture.Create(CovarianceType.Full, [0.5, 0.5],
            [[0, 0], [1, 1]], [[1, 0, 0, 1], [1, 2, 2, 1]]));
        Assert.Equal(1, e.Component);
        Assert.Contains("reg_covar", e.Message);
        Assert.Contains("pivot 1", e.Message);   // [[1, 2], [2, 1]]: the 1×1 block is fine, the 2×2 one is indefinite
        Assert.Throws<NotPositiveDefiniteException>(() => GaussianMixture.Create(CovarianceType.Diag, [1], [[0, 0]], [[1, -1]]));
    }

    [Fact]
    public void ConditionNumbersAreTheRatioOfExtremeEigenvalues()
    {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1; diag(4, 0.5) has 4 and 0.5.
        var full = GaussianMixture.Create(CovarianceType.Full, [0.5, 0.5], [[0, 0], [1, 1]], [[2, 1, 1, 2], [1, 0, 0, 1]]);
        Approx.Relative(new[] { 3.0, 1.0 }, full.CovarianceConditionNumbers(), 1e-12, "full condition numbers");
        var diag = GaussianMixture.Create(CovarianceType.Diag, [1], [[0, 0]], [[4, 0.5]]);
        Assert.Equal(8.0, diag.CovarianceConditionNumbers()[0], 12);
        var spherical = GaussianMixture.Create(CovarianceType.Spherical, [1], [[0, 0]], [[3]]);
        Assert.Equal(1.0, spherical.CovarianceConditionNumbers()[0]);
    }

    [Fact]
    public void MoreComponentsThanDistinctPointsIsReportedNotNaN()
    {
        var points = new[] { new[] { 0.0, 0.0 }, new[] { 10.0, 0.0 }, new[] { 0.0, 10.0 } };
        var values = Enumerable.Range(0, 30).SelectMany(i => points[i % 3]).ToArray();
        var data = new DataMatrix(values, 30, 2);
        foreach (var init in Enum.GetValues<InitMethod>())
        {
            var fit = GaussianMixtureFitter.Fit(data, new EmOptions(5, CovarianceType.Full, Init: init, Seed: 1));
            AssertFinite(fit);
            if (init == InitMethod.KMeans)
                Assert.Contains(fit.Warnings, w => w.Contains("empty", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void FewerRowsThanComponentsIsAClearError()
    {
        var data = new DataMatrix([1, 2, 3, 4], 2, 2);
        var e = Assert.Throws<ArgumentException>(() => GaussianMixtureFitter.Fit(data, new EmOptions(3, CovarianceType.Diag)));
        Assert.Contains("n_samples >= n_components", e.Message);
    }

    private static void AssertFinite(GmmFitResult fit)
    {
        Assert.True(double.IsFinite(fit.LowerBound), $"lower bound {fit.LowerBound}");
        Assert.True(double.IsFinite(fit.MeanLogLikelihood), $"mean log-likelihood {fit.MeanLogLikelihood}");
        Assert.All(fit.Model.Weights, w => Assert.True(double.IsFinite(w)));
        Assert.All(fit.Model.Means.SelectMany(m => m), v => Assert.True(double.IsFinite(v)));
        Assert.All(fit.Model.Covariances.SelectMany(m => m), v => Assert.True(double.IsFinite(v)));
    }
}
