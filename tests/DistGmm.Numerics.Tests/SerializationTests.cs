using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

public sealed class SerializationTests
{
    [Fact]
    public void ModelStatisticsPassesAndResultsRoundTripBitForBit()
    {
        var data = TestData.Blobs(3, 300, 4, 2);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(4, data, 2, type);
            var bytes = model.ToBytes();
            var back = GaussianMixture.FromBytes(bytes);
            Assert.Equal(bytes, back.ToBytes());
            Assert.Equal(model.PrecisionsCholesky.SelectMany(p => p), back.PrecisionsCholesky.SelectMany(p => p));

            var stats = SufficientStatistics.Compute(model, data);
            Assert.Equal(stats.ToBytes(), SufficientStatistics.FromBytes(stats.ToBytes()).ToBytes());

            DataPass[] passes =
            [
                new EStepPass(7, model),
                new SampleRowsPass(1, [3, 9, 200]),
                new KMeansPass(2, model.Means),
                new HardAssignmentPass(3, type, model.Means),
                new RandomResponsibilityPass(4, type, 12345UL, model.Means),
            ];
            foreach (var pass in passes)
            {
                var passBytes = pass.ToBytes();
                var decoded = DataPass.FromBytes(passBytes);
                Assert.Equal(pass.GetType(), decoded.GetType());
                Assert.Equal(pass.PassNumber, decoded.PassNumber);
                Assert.Equal(passBytes, decoded.ToBytes());
                var result = PartitionCompute.Compute(decoded, data, 0, 1);
                var resultBytes = result.ToBytes();
                Assert.Equal(resultBytes, PassResult.FromBytes(resultBytes).ToBytes());
                Assert.Equal(resultBytes, PartitionCompute.Compute(pass, data, 0, 1).ToBytes());
            }
        }
    }

    [Fact]
    public void TruncatedOrForeignPayloadsFailWithOffset()
    {
        var data = TestData.Blobs(3, 50, 2, 2);
        var bytes = TestData.Model(1, data, 2, CovarianceType.Full).ToBytes();
        var truncated = Assert.Throws<FormatException>(() => GaussianMixture.FromBytes(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Contains("GaussianMixture", truncated.Message);
        Assert.Contains("byte offset", truncated.Message);
        var foreign = Assert.Throws<FormatException>(() => SufficientStatistics.FromBytes(bytes));
        Assert.Contains("bad magic", foreign.Message);
        var future = (byte[])bytes.Clone();
        future[4] = 99;
        Assert.Contains("unsupported version 99", Assert.Throws<FormatException>(() => GaussianMixture.FromBytes(future)).Message);
        var trailing = bytes.Append((byte)0).ToArray();
        Assert.Contains("trailing", Assert.Throws<FormatException>(() => GaussianMixture.FromBytes(trailing)).Message);
    }

    [Fact]
    public void ScoreMomentsMergeEqualsWholeAndUsesPopulationStd()
    {
        double[] values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10.5];
        var whole = new ScoreMoments().Add(values);
        Assert.Equal(10, whole.Count);
        Assert.Equal(5.55, whole.Mean, 14);
        double mean = values.Average();
        double pop = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.Equal(pop, whole.StdDev, 13);
        var parts = new ScoreMoments().Add(values.AsSpan(0, 3)).Merge(new ScoreMoments().Add(values.AsSpan(3, 0))).Merge(new ScoreMoments().Add(values.AsSpan(3)));
        Assert.Equal(whole.Mean, parts.Mean, 14);
        Assert.Equal(whole.M2, parts.M2, 12);
    }
}
