using System.Diagnostics.Metrics;

namespace DistGmm.Numerics;

/// <summary>
/// What the E-step kernels did, as .NET metrics (meter <see cref="MeterName"/>), for benchmarks and monitoring: a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/> or dotnet-counters reads them; with no listener an add costs a check.
/// </summary>
public static class KernelMetrics
{
    public const string MeterName = "DistGmm.Numerics";

    /// <summary>Instrument: 8-row groups × components that went through the full second-moment accumulation or were skipped.</summary>
    public const string MomentGroupsName = "distgmm.estep.moment_groups";

    /// <summary>Instrument: of those, the groups skipped because all 8 responsibilities were zero (their terms are exactly zero).</summary>
    public const string MomentGroupsSkippedName = "distgmm.estep.moment_groups_skipped";

    /// <summary>Instrument: triangular-product work (column blocks weighted by their rows, all components) of the E-step.</summary>
    public const string TriangularWorkName = "distgmm.estep.triangular_work";

    /// <summary>Instrument: of that, the work not done because the rows were certain to be far from the component (pruned).</summary>
    public const string TriangularWorkPrunedName = "distgmm.estep.triangular_work_pruned";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> MomentGroups = Meter.CreateCounter<long>(MomentGroupsName, "{group}",
        "8-row groups × components of the full second-moment accumulation");
    private static readonly Counter<long> MomentGroupsSkipped = Meter.CreateCounter<long>(MomentGroupsSkippedName, "{group}",
        "8-row groups × components skipped for all-zero responsibilities");

    private static readonly Counter<long> TriangularWork = Meter.CreateCounter<long>(TriangularWorkName, "{unit}",
        "Triangular-product work of the E-step (column blocks weighted by their rows)");
    private static readonly Counter<long> TriangularWorkPruned = Meter.CreateCounter<long>(TriangularWorkPrunedName, "{unit}",
        "Triangular-product work pruned for rows certain to be far from the component");

    internal static void ReportMomentGroups(long groups, long skipped)
    {
        if (groups == 0) return;
        MomentGroups.Add(groups);
        MomentGroupsSkipped.Add(skipped);
    }

    internal static void ReportTriangularWork(long work, long pruned)
    {
        if (work == 0) return;
        TriangularWork.Add(work);
        TriangularWorkPruned.Add(pruned);
    }
}
