using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>The scoring <c>train</c>, <c>run</c> and the coordinator use when <c>--scoring</c> is not given.</summary>
public static class ScoringDefaults
{
    /// <summary>
    /// The default scoring for a preprocessing preset (or a preprocessing JSON file's path). Rows for every preset for
    /// now; the <c>seed</c> preset must stay rows (the notebook's rule: 432 anomalies on the bundled data).
    /// </summary>
    public static Scoring For(string preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        return Scoring.Rows;
    }
}
