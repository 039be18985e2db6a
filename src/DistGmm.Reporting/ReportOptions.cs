namespace DistGmm.Reporting;

/// <summary>Plot budgets: SVG with tens of thousands of elements makes browsers sluggish, so large runs are sampled.</summary>
public sealed record ReportOptions
{
    /// <summary>
    /// Points in the src_bytes/dst_bytes scatter: the flagged ones first (see <see cref="MaxFlaggedPoints"/>), then a
    /// seeded uniform sample of the normal ones filling the rest, but at least half of it.
    /// </summary>
    public int MaxScatterPoints { get; init; } = 4000;

    /// <summary>The same budget for the rotatable 3-D view, which redraws every point while dragged.</summary>
    public int Max3dPoints { get; init; } = 1500;

    /// <summary>
    /// Flagged records drawn in each traffic plot: all of them up to this many (a seeded uniform sample beyond it).
    /// Matches the run's own cap on the anomalies it passes to the report.
    /// </summary>
    public int MaxFlaggedPoints { get; init; } = 10_000;

    public int MaxMissingRows { get; init; } = 400;
    public int HistogramBins { get; init; } = 60;
    public int MaxEventRows { get; init; } = 200;

    /// <summary>Seed of the plot sample, so the same run always gives the same file.</summary>
    public int Seed { get; init; } = 7;
}
