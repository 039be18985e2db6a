namespace DistGmm.Reporting;

/// <summary>Plot budgets: SVG with tens of thousands of elements makes browsers sluggish, so large runs are sampled.</summary>
public sealed record ReportOptions
{
    public int MaxScatterPoints { get; init; } = 4000;
    public int Max3dPoints { get; init; } = 1500;
    public int MaxMissingRows { get; init; } = 400;
    public int HistogramBins { get; init; } = 60;
    public int MaxEventRows { get; init; } = 200;

    /// <summary>Seed of the plot sample, so the same run always gives the same file.</summary>
    public int Seed { get; init; } = 7;
}
