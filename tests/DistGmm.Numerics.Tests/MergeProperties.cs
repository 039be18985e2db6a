using DistGmm.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// FsCheck properties (seeded, run from xunit facts; a counter-example throws and fails the test):
/// partition invariance of the M-step and associativity of Merge, for all covariance types.
/// </summary>
public sealed class MergeProperties
{
    public sealed record Case(int Seed, int Rows, int Dims, int K, CovarianceType Type);

    private static readonly Arbitrary<Case> Cases =
        (from seed in Gen.Choose(0, 1_000_000)
         from rows in Gen.Choose(70, 600)
         from dims in Gen.Choose(1, 9)
         from k in Gen.Choose(1, 4)
         from type in Gen.Elements(CovarianceType.Full, CovarianceType.Diag, CovarianceType.Tied, CovarianceType.Spherical)
         select new Case(seed, rows, dims, k, type)).ToArbitrary();

    private static Config Seeded(int maxTest) =>
        Config.QuickThrowOnFailure.WithMaxTest(maxTest)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261121UL, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));

    [Fact]
    public void SplittingInto1_2_7_64PartsGivesTheSameMStepTo1e12()
    {
        Check.One(Seeded(40), Prop.ForAll(Cases, c =>
        {
            var data = TestData.Blobs(c.Seed, c.Rows, c.Dims, Math.Max(c.K, 2));
            var model = TestData.Model(c.Seed + 1, data, c.K, c.Type);
            var whole = MStep.Apply(SufficientStatistics.Compute(model, data), 1e-6);
            foreach (int parts in new[] { 1, 2, 7, 64 })
            {
                var split = TestData.Split(data, parts, c.Seed + parts);
                var merged = TestData.MergeInOrder(split.Select(p => SufficientStatistics.Compute(model, p)));
                Assert.Equal(data.Rows, merged.Rows);
                AssertSameModel(whole, MStep.Apply(merged, 1e-6), 1e-12, $"{c} in {parts} parts");
            }
        }));
    }

    [Fact]
    public void MergeIsAssociativeAndOrderedMergeIsBitIdentical()
    {
        Check.One(Seeded(40), Prop.ForAll(Cases, c =>
        {
            var data = TestData.Blobs(c.Seed, c.Rows, c.Dims, 3);
            var model = TestData.Model(c.Seed + 7, data, c.K, c.Type);
            var p = TestData.Split(data, 3, c.Seed).Select(m => SufficientStatistics.Compute(model, m)).ToArray();
            var left = p[0].Merge(p[1]).Merge(p[2]);
            var right = p[0].Merge(p[1].Merge(p[2]));
            AssertSameModel(MStep.Apply(left, 1e-6), MStep.Apply(right, 1e-6), 1e-12, $"{c} associativity");
            Approx.Relative(left.LogLikelihoodSum, right.LogLikelihoodSum, 1e-12, "log-likelihood sum");
            var again = TestData.Split(data, 3, c.Seed).Select(m => SufficientStatistics.Compute(model, m, 2)).ToArray();
            Assert.Equal(left.ToBytes(), again[0].Merge(again[1]).Merge(again[2]).ToBytes());
        }));
    }

    [Fact]
    public void StatisticsAreBitIdenticalForAnyThreadCount()
    {
        // More rows than one chunk so several chunks are reduced.
        var data = TestData.Blobs(5, 3 * SufficientStatistics.ChunkRows + 123, 7, 3);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(9, data, 3, type);
            var one = SufficientStatistics.Compute(model, data, 1).ToBytes();
            Assert.Equal(one, SufficientStatistics.Compute(model, data, 2).ToBytes());
            Assert.Equal(one, SufficientStatistics.Compute(model, data, 3).ToBytes());
            Assert.Equal(one, SufficientStatistics.Compute(model, data, -1).ToBytes());
        }
    }

    internal static void AssertSameModel(GaussianMixture expected, GaussianMixture actual, double rel, string what)
    {
        Approx.Relative(expected.Weights, actual.Weights, rel, $"{what} weights", floor: Approx.MaxAbs(expected.Weights));
        for (int k = 0; k < expected.K; k++)
            Approx.Relative(expected.Means[k], actual.Means[k], rel, $"{what} means[{k}]", floor: Approx.MaxAbs(expected.Means[k]));
        for (int k = 0; k < expected.Covariances.Length; k++)
            Approx.Relative(expected.Covariances[k], actual.Covariances[k], rel, $"{what} covariances[{k}]", floor: Approx.MaxAbs(expected.Covariances[k]));
    }
}

public sealed class ScoringTests
{
    [Fact]
    public void ParallelScoringEqualsSequentialBitForBit()
    {
        var data = TestData.Blobs(8, 2 * SufficientStatistics.ChunkRows + 5, 6, 3);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(2, data, 3, type);
            var sequential = new double[data.Rows];
            model.ScoreSamples(data.Values, sequential);
            var parallel = new double[data.Rows];
            model.ScoreSamples(data, parallel, 2);
            Assert.Equal(sequential, parallel);
            Approx.Relative(SufficientStatistics.Compute(model, data).MeanLogLikelihood, sequential.Average(), 1e-12, $"{type} mean score");
        }
    }
}
