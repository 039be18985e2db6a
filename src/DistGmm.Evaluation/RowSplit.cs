namespace DistGmm.Evaluation;

/// <summary>Seeded row splits, identical to numpy's <c>RandomState(seed).permutation(n)</c> so Python can redo them.</summary>
public static class RowSplit
{
    /// <summary>
    /// DAGMM's seeded 50/50 split: with <c>p = RandomState(seed).permutation(n)</c>, train = p[:n//2], test = p[n//2:],
    /// each returned in ascending row order (results then do not depend on the permutation's order).
    /// </summary>
    public static (int[] Train, int[] Test) Halves(int n, int seed)
    {
        var order = new NumpyRandomState(checked((uint)seed)).Permutation(n);
        var train = order[..(n / 2)];
        var test = order[(n / 2)..];
        Array.Sort(train);
        Array.Sort(test);
        return (train, test);
    }
}
