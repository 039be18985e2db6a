using System.Text.Json;
using DistGmm.Cli.Reports;

namespace DistGmm.Cli.Tests;

/// <summary>The rows `run` hands to the report's traffic plots.</summary>
public sealed class ReportPointsTests
{
    [Fact]
    public void A_run_of_up_to_the_plot_budget_passes_every_row_and_every_flagged_one()
    {
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-points-").FullName, "run");
        var run = CliRunner.Run("run", SmallKdd.File20000, "--out", outDir, "--no-report", "--workers", "1", "--shards", "2");
        Assert.True(run.ExitCode == 0, run.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var flagged = summary.RootElement.GetProperty("anomalies").GetInt64();
        Assert.True(flagged > 0);

        var points = RunReportBuilder.Build(outDir, Path.Combine(outDir, "dataset")).Points!;
        Assert.Equal(20_000, points.Count);   // the normal rows' sample no longer overlaps the anomalies kept (it had 19,901)
        Assert.Equal(flagged, points.PredictedAnomaly.LongCount(a => a));
    }
}
