namespace DistGmm.Numerics;

/// <summary>Lloyd's assignment step over a partition and the small k-means helpers used on samples.</summary>
internal static class KMeansStep
{
    private const int ChunkRows = SufficientStatistics.ChunkRows;

    /// <summary>Index of the nearest centre (squared Euclidean, first on ties) and that squared distance.</summary>
    public static int Nearest(double[][] centres, ReadOnlySpan<double> x, out double distance)
    {
        int best = 0;
        double bestD = double.PositiveInfinity;
        for (int k = 0; k < centres.Length; k++)
        {
            double s = SquaredDistance(centres[k], x);
            if (s < bestD) { bestD = s; best = k; }
        }
        distance = bestD;
        return best;
    }

    public static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double e = a[i] - b[i]; s += e * e; }
        return s;
    }

    /// <summary>Counts, Σ(x − c_k) and inertia over fixed chunks merged in order (thread-count independent).</summary>
    public static KMeansResult Compute(double[][] centroids, DataMatrix partition, int dop)
    {
        var work = Plan(centroids, partition);
        ChunkRunner.Parallel(dop).Run(work);
        return work.Result();
    }

    /// <summary>The assignment step over a partition as chunks for a <see cref="ChunkRunner"/>.</summary>
    public static ChunkedWork<KMeansResult> Plan(double[][] centroids, DataMatrix partition)
    {
        int k = centroids.Length, d = partition.Cols;
        if (k == 0 || centroids[0].Length != d)
            throw new ArgumentException($"Centroids have {(k == 0 ? 0 : centroids[0].Length)} columns, the partition {d}.");
        int n = partition.Rows;
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        return ChunkedComputation.WithoutScratch(Math.Max(chunks, 1), c =>
        {
            var counts = new long[k];
            var sums = new double[k][];
            for (int j = 0; j < k; j++) sums[j] = new double[d];
            double inertia = 0;
            int start = c * ChunkRows, end = Math.Min(n, start + ChunkRows);
            for (int r = start; r < end; r++)
            {
                var x = partition.Row(r);
                int j = Nearest(centroids, x, out double dist);
                counts[j]++;
                inertia += dist;
                var s = sums[j];
                var cj = centroids[j];
                for (int i = 0; i < d; i++) s[i] += x[i] - cj[i];
            }
            return new KMeansResult(counts, sums, inertia);
        }, (a, b) => (KMeansResult)a.Merge(b));
    }
}
