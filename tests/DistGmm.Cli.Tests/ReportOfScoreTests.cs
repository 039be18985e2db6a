using System.Text.Json;

namespace DistGmm.Cli.Tests;

/// <summary>`distgmm report` on the folder of a `score` that read a dataset folder (no RUN_DIR/dataset there).</summary>
public sealed class ReportOfScoreTests
{
    [Fact]
    public void Report_finds_the_scored_dataset_through_summary_json()
    {
        var work = Directory.CreateTempSubdirectory("distgmm-report-score-").FullName;
        var dataset = Path.Combine(work, "ds");
        Assert.Equal(0, CliRunner.Run("ingest", SmallKdd.File3000, "--out", dataset, "--shards", "2").ExitCode);
        var scored = Path.Combine(work, "scored");
        var score = CliRunner.Run("score", dataset, "--model", ServeFixture.Get().ModelPath, "--out", scored, "--no-report", "--workers", "1");
        Assert.True(score.ExitCode == 0, score.Error);
        Assert.False(Directory.Exists(Path.Combine(scored, "dataset")));
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(scored, "summary.json"))))
            Assert.Equal(Path.GetFullPath(dataset), summary.RootElement.GetProperty("dataset").GetString());

        var report = CliRunner.Run("report", scored);
        Assert.True(report.ExitCode == 0, report.Error);
        Assert.True(new FileInfo(Path.Combine(scored, "report.html")).Length > 10_000);

        // A run ingests into its own folder, which is renamed when published: summary.json names it relative to the run.
        var run = Path.Combine(work, "run");
        Assert.Equal(0, CliRunner.Run("run", SmallKdd.File3000, "--out", run, "--no-report", "--workers", "1", "--shards", "2").ExitCode);
        using var runSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal("dataset", runSummary.RootElement.GetProperty("dataset").GetString());
    }
}
