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
    public void SymmetricMatricesTravelAsUpperTrianglesAndVersion1PayloadsStillRead()
    {
        var data = TestData.Blobs(5, 400, 6, 3);
        int d = 6, k = 3, halfSaved = k * (d * d - d * (d + 1) / 2) * 8;
        var model = TestData.Model(2, data, k, CovarianceType.Full);
        var stats = SufficientStatistics.Compute(model, data);

        // Version 1 wrote whole matrices; a journal from before must replay to the very same values.
        var v1 = new ByteWriter();
        v1.Magic(0x54534744, 1);
        v1.Byte((byte)stats.CovarianceType);
        v1.Byte(1);
        v1.Int64(stats.Rows);
        v1.Double(stats.LogLikelihoodSum);
        v1.Jagged(stats.Shift);
        v1.Doubles(stats.ResponsibilitySum);
        v1.Jagged(stats.FirstMoment);
        v1.Jagged(stats.SecondMoment);
        var v1Bytes = v1.ToArray();
        var bytes = stats.ToBytes();
        Assert.Equal(v1Bytes.Length - halfSaved, bytes.Length);
        Assert.Equal(bytes, SufficientStatistics.FromBytes(v1Bytes).ToBytes());
        var back = SufficientStatistics.FromBytes(bytes);
        for (int c = 0; c < k; c++) Assert.Equal(stats.SecondMoment[c], back.SecondMoment[c]);

        var m1 = new ByteWriter();
        m1.Magic(0x4D4D4744, 1);
        m1.Byte((byte)CovarianceType.Full);
        m1.Doubles(model.Weights);
        m1.Jagged(model.Means);
        m1.Jagged(model.Covariances);
        var m1Bytes = m1.ToArray();
        int factorBytes = 4 + k * (4 + d * (d + 1) / 2 * 8); // version 3: the precision factors, upper triangles
        Assert.Equal(m1Bytes.Length + 1 - halfSaved + factorBytes, model.ToBytes().Length); // + the layout byte
        Assert.Equal(model.ToBytes(), GaussianMixture.FromBytes(m1Bytes).ToBytes());
        // Version 2 (triangles, no factors) reads to the same model; version 3's factors are taken as they came.
        byte[] Payload(ushort version, double[][]? factors)
        {
            var w = new ByteWriter();
            w.Magic(0x4D4D4744, version);
            w.Byte((byte)CovarianceType.Full);
            w.Doubles(model.Weights);
            w.Jagged(model.Means);
            w.Byte(1);
            w.UpperTriangles(model.Covariances, d, "covariance");
            if (factors is not null) w.UpperTriangles(factors, d, "factor", symmetric: false);
            return w.ToArray();
        }
        Assert.Equal(model.ToBytes(), GaussianMixture.FromBytes(Payload(2, null)).ToBytes());
        Assert.Equal(model.ToBytes(), Payload(3, model.PrecisionsCholesky));
        var read = GaussianMixture.FromBytes(model.ToBytes());
        for (int c = 0; c < k; c++) Assert.Equal(model.PrecisionsCholesky[c], read.PrecisionsCholesky[c]);
        // A factor that is no precision Cholesky factor (a non-positive diagonal) is refused, naming it.
        var bad = model.PrecisionsCholesky.Select(u => (double[])u.Clone()).ToArray();
        bad[2][d + 1] = -bad[2][d + 1];
        Assert.Contains("Precision factor 2 has", Assert.Throws<FormatException>(() => GaussianMixture.FromBytes(Payload(3, bad))).Message);

        // A model whose covariance is not symmetric bit for bit (one written by hand) travels whole, every bit kept.
        var skewed = model.Covariances.Select(c => (double[])c.Clone()).ToArray();
        skewed[1][0 * d + 2] = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(skewed[1][2 * d + 0]) + 1);
        var asymmetric = GaussianMixture.Create(CovarianceType.Full, model.Weights, model.Means, skewed);
        var asymmetricBytes = asymmetric.ToBytes();
        Assert.Equal(m1Bytes.Length + 1 + factorBytes, asymmetricBytes.Length);
        Assert.Equal(skewed[1], GaussianMixture.FromBytes(asymmetricBytes).Covariances[1]);

        // Statistics are symmetric by construction; one that is not would lose a value as a triangle, so it is refused.
        var s2 = stats.SecondMoment.Select(m => (double[])m.Clone()).ToArray();
        s2[0][1] += 1;
        var broken = new SufficientStatistics(stats.CovarianceType, true, stats.Rows, stats.LogLikelihoodSum, stats.Shift,
            stats.ResponsibilitySum, stats.FirstMoment, s2);
        Assert.Contains("not symmetric at (0, 1)", Assert.Throws<InvalidOperationException>(() => broken.ToBytes()).Message);
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
