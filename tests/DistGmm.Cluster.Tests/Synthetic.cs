using DistGmm.Cluster;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Tests;

/// <summary>Deterministic synthetic shards: three 2-D Gaussian blobs, shards of unequal size, plus a few far outliers.</summary>
internal static class Synthetic
{
    public static readonly int[] DefaultShardRows = [240, 410, 130, 300, 275, 190, 350, 105];

    public static DataMatrix[] Shards(int[]? rows = null, int seed = 7)
    {
        rows ??= DefaultShardRows;
        var rng = new Random(seed);
        double[][] centres = [[0, 0], [6, 1], [2, 7]];
        var result = new DataMatrix[rows.Length];
        for (var s = 0; s < rows.Length; s++)
        {
            var values = new double[rows[s] * 2];
            for (var r = 0; r < rows[s]; r++)
            {
                var c = centres[rng.Next(3)];
                var far = rng.NextDouble() < 0.01 ? 25.0 : 1.0; // ~1% outliers
                values[2 * r] = c[0] + far * Gaussian(rng);
                values[2 * r + 1] = c[1] + far * 0.6 * Gaussian(rng);
            }
            result[s] = new DataMatrix(values, rows[s], 2);
        }
        return result;
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static EmOptions Options(int k = 3) => new(k, CovarianceType.Full, MaxIter: 100, Tol: 1e-3, Seed: 0);

    public static DatasetRef Dataset { get; } = new("memory://synthetic", "{}", []);

    public static JobPlan TrainPlan(DataMatrix[] shards, int workers, params EmOptions[] candidates) =>
        new("job-1", Dataset, [.. shards.Select(s => (long)s.Rows)], workers, candidates.Length == 0 ? [Options()] : candidates);
}

/// <summary>Serves in-memory shards; labels "normal" except every 50th row "attack"; raw columns = the features.</summary>
internal sealed class InMemoryShardSource(IReadOnlyList<DataMatrix> shards) : IShardSource
{
    private int _loads;
    public int Loads => Volatile.Read(ref _loads);

    public WorkerShard Load(DatasetRef dataset, int shard)
    {
        Interlocked.Increment(ref _loads);
        var m = shards[shard];
        long offset = shards.Take(shard).Sum(s => (long)s.Rows);
        var rowIds = Enumerable.Range(0, m.Rows).Select(i => offset + i).ToArray();
        var labels = rowIds.Select(id => id % 50 == 0 ? "attack" : "normal").ToArray<string?>();
        return new WorkerShard(m, rowIds, labels, ["x0", "x1"], [], r => (m.Row(r).ToArray(), []));
    }
}
