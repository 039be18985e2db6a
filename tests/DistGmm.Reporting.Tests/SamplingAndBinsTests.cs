using DistGmm.Reporting.Charts;
using Xunit;

namespace DistGmm.Reporting.Tests;

public class SamplingAndBinsTests
{
    [Fact]
    public void Sample_is_sorted_distinct_in_range_and_deterministic()
    {
        var a = Sampling.Indices(1_000_000, 2_000, seed: 3);
        Assert.Equal(2_000, a.Length);
        Assert.Equal(a.Length, a.Distinct().Count());
        Assert.True(a.Zip(a.Skip(1)).All(p => p.First < p.Second));
        Assert.True(a[0] >= 0 && a[^1] < 1_000_000);
        Assert.Equal(a, Sampling.Indices(1_000_000, 2_000, seed: 3));
        Assert.NotEqual(a, Sampling.Indices(1_000_000, 2_000, seed: 4));
    }

    [Fact]
    public void Small_inputs_are_not_sampled()
    {
        Assert.Equal([0, 1, 2, 3, 4], Sampling.Indices(5, 10));
        Assert.Empty(Sampling.Indices(0, 10));
    }

    [Fact]
    public void Sample_is_roughly_uniform()
    {
        // 10,000 of 100,000: each tenth of the range should get close to 1,000.
        var counts = new int[10];
        foreach (var i in Sampling.Indices(100_000, 10_000, seed: 11)) counts[i / 10_000]++;
        Assert.All(counts, c => Assert.InRange(c, 880, 1120));
    }

    [Fact]
    public void Flagged_first_keeps_every_flagged_index_and_fills_the_budget_with_the_rest()
    {
        var flags = Enumerable.Range(0, 20_000).Select(i => i % 200 == 3).ToArray(); // 100 flagged
        var a = Sampling.FlaggedFirst(flags, budget: 4_000, maxFlagged: 10_000, seed: 7);
        Assert.Equal(4_000, a.Length);
        Assert.Equal(Enumerable.Range(0, 20_000).Where(i => flags[i]), a.Where(i => flags[i]));
        Assert.True(a.Zip(a.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(a, Sampling.FlaggedFirst(flags, 4_000, 10_000, seed: 7));
        // Another seed moves only the sample of the unflagged.
        var b = Sampling.FlaggedFirst(flags, 4_000, 10_000, seed: 8);
        Assert.NotEqual(a, b);
        Assert.Equal(a.Where(i => flags[i]), b.Where(i => flags[i]));
    }

    [Fact]
    public void Flagged_first_caps_the_flagged_and_leaves_the_rest_half_the_budget()
    {
        var flags = Enumerable.Range(0, 10_000).Select(i => i % 2 == 0).ToArray(); // 5,000 flagged
        var a = Sampling.FlaggedFirst(flags, budget: 1_000, maxFlagged: 3_000, seed: 7);
        Assert.Equal(3_000, a.Count(i => flags[i]));
        Assert.Equal(500, a.Count(i => !flags[i]));
        Assert.Equal(a, Sampling.FlaggedFirst(flags, 1_000, 3_000, seed: 7));
        // Small inputs are drawn whole.
        Assert.Equal([0, 1, 2, 3, 4], Sampling.FlaggedFirst([true, false, false, true, false], budget: 10, maxFlagged: 10));
        Assert.Empty(Sampling.FlaggedFirst([], 10, 10));
    }

    [Fact]
    public void Histogram_counts_each_class_in_equal_width_bins()
    {
        double[] scores = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10];
        bool[] anomaly = [true, true, false, false, false, false, false, false, false, false];
        var bins = HistogramBins.Compute(scores, anomaly, binCount: 5, lowQuantile: 0);
        Assert.Equal([0, 2, 4, 6, 8, 10], bins.Edges);
        Assert.Equal([0, 2, 2, 2, 2], bins.NormalCounts);
        Assert.Equal([2, 0, 0, 0, 0], bins.AnomalyCounts);
        Assert.Equal(0, bins.ClippedBelow);
    }

    [Fact]
    public void Histogram_clips_a_far_low_tail_into_the_first_bin_and_includes_the_threshold()
    {
        var scores = Enumerable.Range(0, 1000).Select(i => (double)i).Append(-1e9).ToArray();
        var bins = HistogramBins.Compute(scores, null, binCount: 10, include: 1200, lowQuantile: 0.001);
        Assert.Equal(1, bins.ClippedBelow);
        Assert.Equal(0, bins.Edges[0]);
        Assert.Equal(1200, bins.Edges[^1]);
        Assert.Equal(1001, bins.NormalCounts.Sum());
        Assert.Equal(121, bins.NormalCounts[0]); // 0..119 plus the clipped outlier
    }

    [Fact]
    public void Histogram_rejects_mismatched_labels()
    {
        var ex = Assert.Throws<ArgumentException>(() => HistogramBins.Compute([1.0, 2.0], [true], 4));
        Assert.Contains("2 scores but 1 labels", ex.Message);
    }
}
