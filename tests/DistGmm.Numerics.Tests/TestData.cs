using DistGmm.Numerics;

namespace DistGmm.Numerics.Tests;

/// <summary>Small seeded data sets and models for property and degenerate-input tests.</summary>
internal static class TestData
{
    /// <summary>n rows from K well-separated Gaussian blobs in d dimensions (Box–Muller from a seeded Random).</summary>
    public static DataMatrix Blobs(int seed, int n, int d, int k, double spread = 6)
    {
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, d).Select(_ => (rng.NextDouble() - 0.5) * 2 * spread).ToArray()).ToArray();
        var values = new double[n * d];
        for (int r = 0; r < n; r++)
        {
            var c = centres[r % k];
            for (int j = 0; j < d; j++) values[r * d + j] = c[j] + Normal(rng) * (0.5 + 0.25 * j);
        }
        return new DataMatrix(values, n, d);
    }

    public static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A valid random model of the given type around the data (means at data rows, SPD covariances).</summary>
    public static GaussianMixture Model(int seed, DataMatrix data, int k, CovarianceType type)
    {
        var rng = new Random(seed);
        int d = data.Cols;
        var weights = Enumerable.Range(0, k).Select(_ => 0.2 + rng.NextDouble()).ToArray();
        double sum = weights.Sum();
        for (int i = 0; i < k; i++) weights[i] /= sum;
        var means = Enumerable.Range(0, k).Select(_ => data.Row(rng.Next(data.Rows)).ToArray()).ToArray();
        double[] Spd()
        {
            var a = new double[d * d];
            for (int i = 0; i < a.Length; i++) a[i] = Normal(rng);
            var m = new double[d * d];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                {
                    double s = i == j ? d : 0;
                    for (int p = 0; p < d; p++) s += a[i * d + p] * a[j * d + p];
                    m[i * d + j] = s / d;
                }
            return m;
        }
        double[][] covs = type switch
        {
            CovarianceType.Full => Enumerable.Range(0, k).Select(_ => Spd()).ToArray(),
            CovarianceType.Tied => [Spd()],
            CovarianceType.Diag => Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, d).Select(_ => 0.5 + rng.NextDouble() * 3).ToArray()).ToArray(),
            _ => Enumerable.Range(0, k).Select(_ => new[] { 0.5 + rng.NextDouble() * 3 }).ToArray(),
        };
        return GaussianMixture.Create(type, weights, means, covs);
    }

    /// <summary>Cuts a matrix into <paramref name="parts"/> consecutive partitions at seeded random boundaries (some may be empty).</summary>
    public static DataMatrix[] Split(DataMatrix data, int parts, int seed)
    {
        var rng = new Random(seed);
        var cuts = Enumerable.Range(0, parts - 1).Select(_ => rng.Next(data.Rows + 1)).Append(0).Append(data.Rows).Order().ToArray();
        var result = new DataMatrix[parts];
        for (int p = 0; p < parts; p++) result[p] = data.Slice(cuts[p], cuts[p + 1] - cuts[p]);
        return result;
    }

    public static SufficientStatistics MergeInOrder(IEnumerable<SufficientStatistics> parts) => parts.Aggregate((a, b) => a.Merge(b));
}
