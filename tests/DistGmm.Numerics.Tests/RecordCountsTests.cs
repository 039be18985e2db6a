using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

public sealed class RecordCountsTests
{
    /// <summary>Rows with heavy repetition: a "flood" record copied many times among mostly unique rows.</summary>
    private static DataMatrix Traffic(int seed, int n = 900, int d = 4)
    {
        var rng = new Random(seed);
        var values = new double[n * d];
        for (int r = 0; r < n; r++)
        {
            int kind = rng.Next(10);
            for (int j = 0; j < d; j++)
                values[r * d + j] = kind switch
                {
                    < 3 => j == 0 ? 520 : 0,                       // one flood record, ~30 % of rows
                    < 5 => rng.Next(4) + j,                          // a few small lattice records, repeated
                    _ => Math.Round(TestData.Normal(rng) * 3, 2),    // mostly distinct
                };
        }
        return new DataMatrix(values, n, d);
    }

    private static DataMatrix[] Cut(DataMatrix data, int parts)
    {
        var result = new DataMatrix[parts];
        int start = 0;
        for (int p = 0; p < parts; p++)
        {
            int rows = data.Rows / parts + (p < data.Rows % parts ? 1 : 0);
            result[p] = data.Slice(start, rows);
            start += rows;
        }
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void CountsAndRepresentativesAreTheSameBitsForAnyPartitioning(int parts)
    {
        var data = Traffic(7);
        var whole = DistinctRecords.Count([data]);
        var split = Cut(data, parts);
        var merged = DistinctRecords.Count(split);
        Assert.Equal(whole.ToBytes(), merged.ToBytes());

        // The representatives of every partition, in partition order, are each distinct record once, at its first row.
        var reps = new List<double>();
        long offset = 0;
        foreach (var p in split)
        {
            reps.AddRange(DistinctRecords.Representatives(p, offset, merged).Values);
            offset += p.Rows;
        }
        Assert.Equal(DistinctRecords.Representatives(data, 0, whole).Values, reps);
        Assert.Equal(whole.Distinct * data.Cols, reps.Count);
        Assert.Equal(data.Rows, merged.Rows);
    }

    [Fact]
    public void MergeIsAssociativeAndCommutativeExactly()
    {
        var parts = Cut(Traffic(11, 1200), 3).Select((p, i) => RecordCountsResult.Compute(p, i * 400L)).ToArray();
        var left = parts[0].Merge(parts[1]).Merge(parts[2]);
        var right = parts[0].Merge(parts[1].Merge(parts[2]));
        var reversed = parts[2].Merge(parts[1]).Merge(parts[0]);
        Assert.Equal(left.ToBytes(), right.ToBytes());
        Assert.Equal(left.ToBytes(), reversed.ToBytes());
        Assert.Equal(left.ToBytes(), RecordCountsResult.Empty.Merge(left).ToBytes());
    }

    [Fact]
    public void CountsCopiesAndKeepsTheFirstOccurrence()
    {
        var data = new DataMatrix([1, 2, 3, 4, 1, 2, 5, 6, 1, 2, -0.0, 0.0, 0.0, -0.0], 7, 2);
        var counts = DistinctRecords.Count([data]);
        Assert.Equal(4, counts.Distinct);
        Assert.Equal([3L, 1, 3, 1, 3, 2, 2], DistinctRecords.Multiplicities(data, counts));
        var reps = DistinctRecords.Representatives(data, 0, counts);
        Assert.Equal([1, 2, 3, 4, 5, 6, -0.0, 0.0], reps.Values); // −0.0 and 0.0 are one record, kept where first seen
        Assert.Equal(1, DistinctRecords.Multiplicities(new DataMatrix([9, 9], 1, 2), counts)[0]);
    }

    [Fact]
    public void RoundTripsThroughBytesAndRejectsMalformedInput()
    {
        var counts = DistinctRecords.Count([Traffic(3, 300)]);
        var back = (RecordCountsResult)PassResult.FromBytes(counts.ToBytes());
        Assert.Equal(counts.Hashes, back.Hashes);
        Assert.Equal(counts.Counts, back.Counts);
        Assert.Equal(counts.FirstRows, back.FirstRows);
        Assert.IsType<RecordCountsPass>(DataPass.FromBytes(new RecordCountsPass(4).ToBytes()));

        var unsorted = new RecordCountsResult([5, 3], [1, 1], [0, 1]).ToBytes();
        var e = Assert.Throws<FormatException>(() => PassResult.FromBytes(unsorted));
        Assert.Contains("ascending", e.Message);
        var zero = new RecordCountsResult([3], [0], [0]).ToBytes();
        Assert.Contains("not positive", Assert.Throws<FormatException>(() => PassResult.FromBytes(zero)).Message);
    }

    [Fact]
    public void PartitionComputeRunsTheCountPassWithGlobalRowIndices()
    {
        var data = Traffic(5, 200);
        var direct = RecordCountsResult.Compute(data.Slice(100, 100), 100);
        var viaPass = (RecordCountsResult)PartitionCompute.Compute(new RecordCountsPass(0), data.Slice(100, 100), 100, 2);
        Assert.Equal(direct.ToBytes(), viaPass.ToBytes());
        Assert.All(viaPass.FirstRows, r => Assert.InRange(r, 100, 199));
    }

    [Fact]
    public void MultiplicityModelIsASmoothedPmfOverPowerOfTwoBins()
    {
        // 6 distinct records: four seen once, one 3 times (bin 1), one 1000 times (bin 9).
        var counts = new RecordCountsResult([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 3, 1000], [0, 1, 2, 3, 4, 7]);
        var model = MultiplicityModel.From(counts);
        Assert.Equal(6, model.DistinctRecords);
        Assert.Equal(4, model.BinCounts[0]);
        Assert.Equal(1, model.BinCounts[1]);
        Assert.Equal(1, model.BinCounts[9]);
        Assert.Equal(0, MultiplicityModel.Bin(1));
        Assert.Equal(1, MultiplicityModel.Bin(3));
        Assert.Equal(9, MultiplicityModel.Bin(1000));
        // log P(bin): bins 1 and 9 hold one record each, bin 0 four; bin 20 none (smoothed, finite, lowest).
        Assert.Equal(Math.Log(4.5 / (6 + 0.5 * 63)), model.LogProbability(1), 15);
        Assert.Equal(model.LogProbability(3), model.LogProbability(1000));
        Assert.True(model.LogProbability(1) > model.LogProbability(3));
        Assert.True(model.LogProbability(3) > model.LogProbability(1 << 20));
        Assert.True(double.IsFinite(model.LogProbability(long.MaxValue)));
        // The smoothed bin probabilities sum to 1.
        double total = Enumerable.Range(0, MultiplicityModel.Bins).Sum(b => Math.Exp(model.LogBinProbability(b)));
        Assert.Equal(1.0, total, 12);
        // The rows' mean multiplicity term: 1007 rows, four in bin 0, 3 + 1000 in the bins of one record each.
        var expected = (4 * model.LogProbability(1) + 3 * model.LogProbability(3) + 1000 * model.LogProbability(1000)) / 1007;
        Assert.Equal(expected, model.MeanLogProbability(counts), 14);
        Assert.True(double.IsNaN(model.MeanLogProbability(RecordCountsResult.Empty)));
    }
}

public sealed class AnomalyExplainerTests
{
    [Fact]
    public void NamesTheMostResponsibleComponentAndTheFeaturesFarthestFromItsMean()
    {
        // Two diagonal components far apart; the row sits near component 1 but 5 sd off on feature 2.
        var model = GaussianMixture.Create(CovarianceType.Diag, [0.3, 0.7],
            [[0, 0, 0], [10, 10, 10]], [[1, 1, 1], [1, 4, 1]]);
        var e = new AnomalyExplainer(model).Explain([10.5, 9, 15], 2);
        Assert.Equal(1, e.Component);
        Assert.Equal(0.7, e.Weight);
        Assert.True(e.Responsibility > 0.999999);
        var ll = new double[1];
        model.ScoreSamples([10.5, 9, 15], ll);
        Assert.Equal(ll[0], e.LogLikelihood);
        Assert.Equal([2, 0], e.Unlikely.Select(f => f.Feature));
        Assert.Equal(5.0, e.Unlikely[0].Z);
        Assert.Equal(0.5, e.Unlikely[1].Z); // |−1/2| = 0.5 on feature 1 ties 0.5 on feature 0: the earlier feature wins
        var p = new double[2];
        model.Responsibilities([10.5, 9, 15], p);
        Assert.Equal(1.0, p.Sum(), 12);
    }
}
