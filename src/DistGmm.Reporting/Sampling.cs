namespace DistGmm.Reporting;

/// <summary>Deterministic uniform sampling of record indices for plots.</summary>
public static class Sampling
{
    /// <summary>
    /// Up to <paramref name="max"/> distinct indices in [0, <paramref name="total"/>), chosen uniformly without
    /// replacement by a seeded generator and returned in ascending order (all indices when total ≤ max).
    /// </summary>
    public static int[] Indices(int total, int max, int seed = 7)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        if (total <= max) return Enumerable.Range(0, total).ToArray();
        // Floyd's algorithm: exactly `max` draws, memory O(max) however large `total` is.
        var rng = new Random(seed);
        var chosen = new HashSet<int>(max);
        for (var j = total - max; j < total; j++)
        {
            var t = rng.Next(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }

        var result = chosen.ToArray();
        Array.Sort(result);
        return result;
    }
}
