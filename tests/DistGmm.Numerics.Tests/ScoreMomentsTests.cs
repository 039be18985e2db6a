using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

public sealed class ScoreMomentsTests
{
    [Fact]
    public void Minus_infinity_scores_are_left_out_of_the_moments_and_finite_batches_keep_their_bits()
    {
        double[] finite = [1.5, -2.25, 7.0, 3.125];
        double[] withInfinity = [1.5, double.NegativeInfinity, -2.25, 7.0, double.NegativeInfinity, 3.125];
        var expected = new ScoreMoments(0, 0, 0).Add(finite);
        Assert.Equal(expected, new ScoreMoments(0, 0, 0).Add(withInfinity));
        Assert.Equal(4, expected.Count);
        Assert.Equal(9.375 / 4, expected.Mean);                              // two-pass, exact in binary here
        Assert.Equal(new ScoreMoments(0, 0, 0), new ScoreMoments(0, 0, 0).Add([double.NegativeInfinity]));
        // merged in any grouping, as the shards' moments are
        var merged = new ScoreMoments(0, 0, 0).Add(withInfinity[..3]).Merge(new ScoreMoments(0, 0, 0).Add(withInfinity[3..]));
        Assert.Equal(expected.Count, merged.Count);
        Assert.Equal(expected.Mean, merged.Mean, 15);
    }
}
