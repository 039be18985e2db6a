using DistGmm.Evaluation;
using Xunit;

namespace DistGmm.Evaluation.Tests;

public sealed class ModelRunnerTests
{
    [Fact]
    public void FlagLowestTakesExactlyTheFloorOfTheFractionTiesInRowOrder()
    {
        double[] scores = [3, 1, 2, 1, 5];
        Assert.Equal([false, true, false, true, false], ModelRunner.FlagLowest(scores, 0.4));
        Assert.Equal([false, true, false, false, false], ModelRunner.FlagLowest(scores, 0.2));
        Assert.Equal([false, false, false, false, false], ModelRunner.FlagLowest(scores, 0.1));
        Assert.Equal([true, true, true, true, false], ModelRunner.FlagLowest(scores, 0.8));
    }

    [Fact]
    public void FlagBelowIsStrict() =>
        Assert.Equal([true, false, false], ModelRunner.FlagBelow([0.5, 1.0, 2.0], 1.0));

    [Fact]
    public void MeanMinusKStdUsesThePopulationStd()
    {
        // mean 2.5, population variance 1.25
        Assert.Equal(2.5 - 2 * Math.Sqrt(1.25), ModelRunner.MeanMinusKStd([1, 2, 3, 4], 2), 12);
    }

    [Fact]
    public void LowLikelihoodRanksAsAnomalous()
    {
        double[] logLikelihood = [-5, -1, -3, 0];
        var (roc, pr) = ModelRunner.Areas(logLikelihood, [true, false, true, false]);
        Assert.Equal(1.0, roc);
        Assert.Equal(1.0, pr);
        var (inverted, _) = ModelRunner.Areas(logLikelihood, [false, true, false, true]);
        Assert.Equal(0.0, inverted);
    }

    [Fact]
    public void SummaryIsMeanAndPopulationStdOverCases()
    {
        var cases = new[]
        {
            new EvalCase { Name = "a", F1 = 0.5, K = 2 },
            new EvalCase { Name = "b", F1 = 1.0, K = 4 },
        };
        var summary = ModelRunner.Summarise(cases).ToDictionary(m => m.Metric);
        Assert.Equal(0.75, summary["f1"].Mean);
        Assert.Equal(0.25, summary["f1"].Std);
        Assert.Equal(3.0, summary["k"].Mean);
        Assert.False(summary.ContainsKey("rocAuc")); // no case defines it
    }
}
