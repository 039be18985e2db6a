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
        int k = centroids.Length, d = partition.Cols;
        if (k == 0 || centroids[0].Length != d)
            throw new ArgumentException($"Centroids have {(k == 0 ? 0 : centroids[0].Length)} columns, the partition {d}.");
        int n = partition.Rows;
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        var partial = new KMeansResult[Math.Max(chunks, 1)];
        void Run(int c)
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
            partial[c] = new KMeansResult(counts, sums, inertia);
        }
        if (chunks == 0) Run(0);
        else if (dop == 1 || chunks == 1) for (int c = 0; c < chunks; c++) Run(c);
        else Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = dop <= 0 ? Environment.ProcessorCount : dop }, Run);
        PassResult total = partial[0];
        for (int c = 1; c < partial.Length; c++) total = total.Merge(partial[c]);
        return (KMeansResult)total;
    }
}
