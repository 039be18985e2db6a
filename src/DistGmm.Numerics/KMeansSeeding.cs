namespace DistGmm.Numerics;

/// <summary>k-means++ seeding (scikit-learn's greedy variant) and Lloyd's k-means on an in-memory sample.</summary>
internal static class KMeansSeeding
{
    /// <summary>
    /// Greedy k-means++: first centre uniform; then 2 + ⌊ln k⌋ candidates drawn ∝ D², keeping the one that most
    /// lowers the potential. Returns the chosen row indices (into <paramref name="rows"/>).
    /// </summary>
    public static int[] PlusPlus(double[] rows, int d, int k, SeededRandom rng)
    {
        int n = rows.Length / d;
        if (n == 0) throw new InvalidOperationException("k-means++ seeding needs at least one row.");
        int trials = 2 + (int)Math.Log(k);
        var chosen = new int[k];
        chosen[0] = (int)rng.NextLong(n);
        var closest = new double[n];
        for (int r = 0; r < n; r++) closest[r] = Dist(rows, d, r, chosen[0]);
        double potential = Sum(closest);
        var cumulative = new double[n];
        var candidateDist = new double[n];
        var bestDist = new double[n];
        for (int c = 1; c < k; c++)
        {
            double run = 0;
            for (int r = 0; r < n; r++) { run += closest[r]; cumulative[r] = run; }
            int bestCandidate = -1;
            double bestPotential = double.PositiveInfinity;
            for (int t = 0; t < trials; t++)
            {
                double target = rng.NextDouble() * potential;
                int cand = SearchSorted(cumulative, target);
                double pot = 0;
                for (int r = 0; r < n; r++)
                {
                    double v = Math.Min(closest[r], Dist(rows, d, r, cand));
                    candidateDist[r] = v;
                    pot += v;
                }
                if (pot < bestPotential)
                {
                    bestPotential = pot;
                    bestCandidate = cand;
                    Array.Copy(candidateDist, bestDist, n);
                }
            }
            chosen[c] = bestCandidate;
            potential = bestPotential;
            Array.Copy(bestDist, closest, n);
        }
        return chosen;
    }

    /// <summary>Lloyd's iterations on the sample; returns the inertia of the final centres.</summary>
    public static double Lloyd(double[] rows, int d, double[][] centres, int maxIter, double tol)
    {
        int n = rows.Length / d, k = centres.Length;
        var counts = new long[k];
        var sums = new double[k][];
        for (int c = 0; c < k; c++) sums[c] = new double[d];
        double inertia = 0;
        for (int it = 0; it < maxIter; it++)
        {
            Array.Clear(counts);
            foreach (var s in sums) Array.Clear(s);
            inertia = 0;
            for (int r = 0; r < n; r++)
            {
                var x = rows.AsSpan(r * d, d);
                int j = KMeansStep.Nearest(centres, x, out double dist);
                counts[j]++;
                inertia += dist;
                for (int i = 0; i < d; i++) sums[j][i] += x[i];
            }
            double shift = 0;
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0) continue; // keep an empty centre where it is
                for (int i = 0; i < d; i++)
                {
                    double v = sums[c][i] / counts[c];
                    shift += (v - centres[c][i]) * (v - centres[c][i]);
                    centres[c][i] = v;
                }
            }
            if (shift <= tol) break;
        }
        inertia = 0;
        for (int r = 0; r < n; r++) { KMeansStep.Nearest(centres, rows.AsSpan(r * d, d), out double dist); inertia += dist; }
        return inertia;
    }

    /// <summary>Index of the sample row farthest from its nearest centre (for re-seeding an empty cluster).</summary>
    public static int Farthest(double[] rows, int d, double[][] centres, ISet<int> exclude)
    {
        int n = rows.Length / d, best = -1;
        double bestD = -1;
        for (int r = 0; r < n; r++)
        {
            if (exclude.Contains(r)) continue;
            KMeansStep.Nearest(centres, rows.AsSpan(r * d, d), out double dist);
            if (dist > bestD) { bestD = dist; best = r; }
        }
        return best;
    }

    private static double Dist(double[] rows, int d, int a, int b) =>
        KMeansStep.SquaredDistance(rows.AsSpan(a * d, d), rows.AsSpan(b * d, d));

    private static double Sum(double[] v) { double s = 0; foreach (var x in v) s += x; return s; }

    /// <summary>numpy searchsorted (left), clipped to the last index as scikit-learn does.</summary>
    private static int SearchSorted(double[] cumulative, double value)
    {
        int lo = 0, hi = cumulative.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < value) lo = mid + 1; else hi = mid;
        }
        return Math.Min(lo, cumulative.Length - 1);
    }
}
