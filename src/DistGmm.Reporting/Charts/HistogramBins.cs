namespace DistGmm.Reporting.Charts;

/// <summary>
/// Equal-width bins over [low, high]. Scores below <c>low</c> (a far tail that would squash the rest of the
/// plot into one bar) are counted into the first bin and reported in <see cref="ClippedBelow"/>.
/// </summary>
public sealed record HistogramBins(double[] Edges, long[] NormalCounts, long[] AnomalyCounts, long ClippedBelow)
{
    public int Count => NormalCounts.Length;

    /// <param name="scores">Values to bin (NaN values are skipped).</param>
    /// <param name="actualAnomaly">Optional class per score; without it every score counts as normal.</param>
    /// <param name="include">A value the range must include (the threshold), or NaN.</param>
    /// <param name="lowQuantile">Share of the lowest scores allowed to fall below the plotted range.</param>
    public static HistogramBins Compute(IReadOnlyList<double> scores, IReadOnlyList<bool>? actualAnomaly, int binCount,
        double include = double.NaN, double lowQuantile = 0.005)
    {
        if (binCount < 1) throw new ArgumentOutOfRangeException(nameof(binCount), binCount, "Need at least one bin.");
        if (actualAnomaly is not null && actualAnomaly.Count != scores.Count)
            throw new ArgumentException($"Length mismatch: {scores.Count} scores but {actualAnomaly.Count} labels.");
        var finite = scores.Where(double.IsFinite).ToArray();
        Array.Sort(finite);
        double low = finite.Length == 0 ? 0 : finite[(int)Math.Floor(lowQuantile * (finite.Length - 1))];
        double high = finite.Length == 0 ? 1 : finite[^1];
        if (double.IsFinite(include))
        {
            low = Math.Min(low, include);
            high = Math.Max(high, include);
        }

        if (high <= low) high = low + 1;
        var width = (high - low) / binCount;
        var edges = new double[binCount + 1];
        for (var i = 0; i <= binCount; i++) edges[i] = low + i * width;
        edges[^1] = high;

        var normal = new long[binCount];
        var anomaly = new long[binCount];
        long clipped = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            if (double.IsNaN(s)) continue;
            if (s < low) clipped++;
            var bin = s <= low ? 0 : s >= high ? binCount - 1 : Math.Min(binCount - 1, (int)((s - low) / width));
            if (actualAnomaly is not null && actualAnomaly[i]) anomaly[bin]++;
            else normal[bin]++;
        }

        return new HistogramBins(edges, normal, anomaly, clipped);
    }
}
