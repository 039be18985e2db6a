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

    /// <summary>
    /// Indices (ascending) of the points to draw when flagged points matter most: every flagged point up to
    /// <paramref name="maxFlagged"/> (beyond it a seeded uniform sample of them), then a seeded uniform sample of the
    /// unflagged points filling <paramref name="budget"/>, but never fewer than half of it so they still give context.
    /// A plain uniform sample would thin the rare flagged points as much as the common ones.
    /// </summary>
    public static int[] FlaggedFirst(IReadOnlyList<bool> flagged, int budget, int maxFlagged, int seed = 7)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFlagged);
        var yes = new List<int>();
        var no = new List<int>();
        for (var i = 0; i < flagged.Count; i++) (flagged[i] ? yes : no).Add(i);
        var keptFlagged = Indices(yes.Count, maxFlagged, seed).Select(i => yes[i]);
        var keptFlaggedCount = Math.Min(yes.Count, maxFlagged);
        var keptOthers = Indices(no.Count, budget - Math.Min(keptFlaggedCount, budget / 2), seed).Select(i => no[i]);
        var result = keptFlagged.Concat(keptOthers).ToArray();
        Array.Sort(result);
        return result;
    }
}
