using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

public sealed class EmTrainingTests
{
    private static readonly DataMatrix Blobs = TestData.Blobs(21, 3000, 4, 3);

    [Theory]
    [InlineData(InitMethod.KMeans)]
    [InlineData(InitMethod.KMeansPlusPlus)]
    [InlineData(InitMethod.RandomFromData)]
    [InlineData(InitMethod.Random)]
    public void EveryInitIsReproducibleAndIndependentOfPartitionsAndThreads(InitMethod init)
    {
        var options = new EmOptions(3, CovarianceType.Full, Init: init, Seed: 5, NInit: 2);
        var a = GaussianMixtureFitter.Fit(Blobs, options, maxDegreeOfParallelism: 1);
        var b = GaussianMixtureFitter.Fit(Blobs, options, maxDegreeOfParallelism: 2);
        Assert.Equal(a.Model.ToBytes(), b.Model.ToBytes());
        Assert.Equal(a.LowerBoundHistory, b.LowerBoundHistory);
        Assert.True(double.IsFinite(a.LowerBound));
        Assert.Equal(a.Iterations, a.LowerBoundHistory.Count);

        var parts = GaussianMixtureFitter.Fit(TestData.Split(Blobs, 5, 1), options, maxDegreeOfParallelism: 1);
        Assert.Equal(a.Iterations, parts.Iterations);
        MergeProperties.AssertSameModel(a.Model, parts.Model, 1e-9, $"{init} 1 vs 5 partitions");
    }

    [Fact]
    public void KMeansInitFindsTheBlobsAndTheOptimumOfTheFixture()
    {
        var fit = GaussianMixtureFitter.Fit(Fixtures.Blobs, new EmOptions(3, CovarianceType.Full));
        Assert.True(fit.Converged);
        // scikit-learn's converged full fit of this fixture (case full/100) has lower bound −6.99177.
        Approx.Absolute(-6.99177411931019, fit.LowerBound, 1e-3, "lower bound");
        Assert.Equal("kmeans", fit.Init);
    }

    [Fact]
    public void NInitKeepsTheBestLowerBound()
    {
        var single = GaussianMixtureFitter.Fit(Blobs, new EmOptions(3, CovarianceType.Diag, Init: InitMethod.RandomFromData, Seed: 2));
        var best = GaussianMixtureFitter.Fit(Blobs, new EmOptions(3, CovarianceType.Diag, Init: InitMethod.RandomFromData, Seed: 2, NInit: 4));
        Assert.True(best.LowerBound >= single.LowerBound);
        Assert.InRange(best.BestRun, 0, 3);
    }

    [Fact]
    public void AdvanceIsPureReplayGivesTheSameStates()
    {
        var options = new EmOptions(3, CovarianceType.Tied, MaxIter: 20);
        var start = EmTraining.Start(options, Blobs.Rows);
        var journal = new List<PassResult>();
        var passes = new List<byte[]>();
        var t = start;
        while (t.NextPass is { } pass)
        {
            Assert.Equal(passes.Count, pass.PassNumber); // pass numbers count up from 0 without gaps
            passes.Add(pass.ToBytes());
            var r = PartitionCompute.Compute(pass, Blobs, 0, 1);
            journal.Add(PassResult.FromBytes(r.ToBytes()));
            t = t.Advance(r);
        }
        var replay = start;
        for (int i = 0; i < journal.Count; i++)
        {
            Assert.Equal(passes[i], replay.NextPass!.ToBytes());
            replay = replay.Advance(journal[i]);
        }
        Assert.Null(replay.NextPass);
        Assert.Equal(t.Result!.Model.ToBytes(), replay.Result!.Model.ToBytes());
        Assert.Equal(t.Result.LowerBound, replay.Result.LowerBound);
    }

    [Fact]
    public void TheLastIterationIsReportedBeforeTheFinalScoringPass()
    {
        // A progress line (and bench's iteration times) must not charge scikit-learn's final E-step to the last iteration.
        var t = EmTraining.Start(new EmOptions(3, CovarianceType.Full, MaxIter: 4, Tol: 0), Blobs.Rows);
        var seen = new List<(string Stage, int Iteration, double? LowerBound)>();
        while (t.NextPass is { } pass)
        {
            seen.Add((t.Stage, t.Iteration, t.LastLowerBound));
            t = t.Advance(PartitionCompute.Compute(pass, Blobs, 0, 1));
        }
        var scoring = Assert.Single(seen, s => s.Stage == "scoring");
        Assert.Equal(4, scoring.Iteration);
        Assert.Equal(t.Result!.LowerBoundHistory[^1], scoring.LowerBound);
        Assert.Equal(t.Result.LowerBound, scoring.LowerBound);
        Assert.Equal(4, t.Result.Iterations);
        Assert.Equal(3, seen.Where(s => s.Stage.StartsWith("em ", StringComparison.Ordinal)).Max(s => s.Iteration));
    }

    [Fact]
    public void MissingPartitionIsDetected()
    {
        var t = EmTraining.Start(new EmOptions(2, CovarianceType.Diag, InitModel: TestData.Model(1, Blobs, 2, CovarianceType.Diag)), Blobs.Rows);
        var half = Blobs.Slice(0, 1000);
        var e = Assert.Throws<InvalidOperationException>(() => t.Advance(PartitionCompute.Compute(t.NextPass!, half, 0, 1)));
        Assert.Contains("1000 rows", e.Message);
    }

    [Fact]
    public void SelectKByBicPicksTheTrueNumberOfBlobs()
    {
        var (candidates, best) = ModelSelection.SelectK([Blobs], [1, 2, 3, 4, 5], new EmOptions(1, CovarianceType.Full));
        Assert.Equal(5, candidates.Count);
        Assert.Equal(3, best.K);
        Assert.True(candidates.All(c => double.IsFinite(c.Bic) && double.IsFinite(c.Aic)));
    }

    [Fact]
    public void TolSemanticsFollowScikitLearnOnTheMeanLowerBound()
    {
        var init = TestData.Model(8, Blobs, 3, CovarianceType.Full);
        var fit = GaussianMixtureFitter.Fit(Blobs, new EmOptions(3, CovarianceType.Full, Tol: 1e-4, InitModel: init));
        var h = fit.LowerBoundHistory;
        Assert.True(fit.Converged);
        Assert.True(Math.Abs(h[^1] - h[^2]) < 1e-4);
        for (int i = 1; i < h.Count - 1; i++) Assert.True(Math.Abs(h[i] - h[i - 1]) >= 1e-4);
        Assert.Equal(fit.LowerBound, h[^1]);
    }
}
