using DistGmm.Evaluation;
using Xunit;

namespace DistGmm.Evaluation.Tests;

/// <summary>Expected values printed by numpy 1.24.2 (Debian's /usr/bin/python3), commands in each test.</summary>
public sealed class NumpyRandomStateTests
{
    [Fact]
    public void RandIntMatchesNumpyLegacyRandomState()
    {
        // r = np.random.RandomState(0); r.randint(0, 1000, 5); r.randint(0, 396743, 3)
        var random = new NumpyRandomState(0);
        Assert.Equal([684L, 559, 629, 192, 835], Enumerable.Range(0, 5).Select(_ => random.RandInt(0, 1000)));
        Assert.Equal([152315L, 358083, 359783], Enumerable.Range(0, 3).Select(_ => random.RandInt(0, 396743)));
    }

    [Fact]
    public void RandIntWithOffsetMatchesNumpy()
    {
        // np.random.RandomState(42).randint(5, 17, 6)
        var random = new NumpyRandomState(42);
        Assert.Equal([11L, 8, 15, 12, 9, 11], Enumerable.Range(0, 6).Select(_ => random.RandInt(5, 17)));
    }

    [Fact]
    public void PermutationMatchesNumpy()
    {
        // np.random.RandomState(7).permutation(10)
        Assert.Equal([8, 5, 0, 2, 1, 9, 7, 3, 6, 4], new NumpyRandomState(7).Permutation(10));
    }

    [Fact]
    public void EmptyRangeIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new NumpyRandomState(0).RandInt(3, 3));
}

public sealed class RowSplitTests
{
    [Fact]
    public void HalvesAreNumpysPermutationCutInTwoAndSorted()
    {
        // p = np.random.RandomState(7).permutation(10) = [8 5 0 2 1 | 9 7 3 6 4]
        var (train, test) = RowSplit.Halves(10, 7);
        Assert.Equal([0, 1, 2, 5, 8], train);
        Assert.Equal([3, 4, 6, 7, 9], test);
    }

    [Fact]
    public void SameSeedSameSplitOtherSeedOtherSplit()
    {
        var a = RowSplit.Halves(1001, 3);
        var b = RowSplit.Halves(1001, 3);
        var c = RowSplit.Halves(1001, 4);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Train, c.Train);
    }

    [Fact]
    public void HalvesPartitionTheRows()
    {
        var (train, test) = RowSplit.Halves(1001, 11);
        Assert.Equal(500, train.Length);
        Assert.Equal(501, test.Length);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(Enumerable.Range(0, 1001), train.Concat(test).Order());
    }
}
