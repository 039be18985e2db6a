using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Numerics.Tests;

public sealed class FitterTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(SklearnFixtureTests.Cases), MemberType = typeof(SklearnFixtureTests))]
    public void FitterFromUserModelMatchesScikitLearn(int index)
    {
        var c = Fixtures.Case(index);
        var init = Fixtures.InitialModel(c);
        var options = new EmOptions(init.K, init.CovarianceType, MaxIter: c.GetProperty("max_iter").GetInt32(),
            Tol: c.GetProperty("tol").GetDouble(), RegCovar: 1e-6, InitModel: init);
        var fit = GaussianMixtureFitter.Fit(Fixtures.Blobs, options, maxDegreeOfParallelism: 2);
        SklearnFixtureTests.AssertCase(c, fit.Model, fit.Iterations, fit.Converged, fit.LowerBound);
        Approx.Absolute(c.GetProperty("mean_log_likelihood").GetDouble(), fit.MeanLogLikelihood, 1e-9, "final mean log-likelihood");
        Approx.Relative(c.GetProperty("bic").GetDouble(), fit.Bic, 1e-6, "BIC");
        Assert.Equal(fit.Iterations, fit.LowerBoundHistory.Count);
        Assert.Equal("user", fit.Init);
    }

    [Fact]
    public void KddNotebookKMeansInitReachesScikitLearnOptimum()
    {
        var data = KddNotebookData.Load(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"));
        Assert.Equal(494_021, data.Rows);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var fit = GaussianMixtureFitter.Fit(data, new EmOptions(2, CovarianceType.Full), progress: t => output.WriteLine($"{sw.Elapsed.TotalSeconds:F1}s {t.Stage} lb={t.LastLowerBound}"));
        var scores = new double[data.Rows];
        fit.Model.ScoreSamples(data, scores, -1);
        var moments = new ScoreMoments().Add(scores);
        double threshold = moments.Mean - 2 * moments.StdDev;
        int anomalies = scores.Count(s => s < threshold);
        output.WriteLine($"mean {moments.Mean:F6} std {moments.StdDev:F6} anomalies {anomalies} iterations {fit.Iterations} warnings {string.Join("; ", fit.Warnings)}");
        Approx.Absolute(137.678865, fit.MeanLogLikelihood, 0.01, "KDD mean log-likelihood");
        Assert.InRange(anomalies, 430, 434);
    }
}
