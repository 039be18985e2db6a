using System.Globalization;
using System.Text;
using DistGmm.Cli.Serving;
using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;
using static DistGmm.Cli.Tests.RecordsScoringCliTests;

namespace DistGmm.Cli.Tests;

/// <summary>The default scoring of unlabelled traffic, `capped`, through run, score and serve.</summary>
public sealed class DefaultScoringCliTests
{
    private static readonly Lazy<string> DefaultRun = new(() =>
    {
        var runDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-capped-").FullName, "run");
        var r = CliRunner.Run("run", SmallKdd.File3000, "--preset", "kdd-wide", "--k", "2", "--max-iter", "30",
            "--workers", "2", "--shards", "3", "--no-report", "--out", runDir);
        if (r.ExitCode != 0) throw new InvalidOperationException($"run failed: {r.Error}");
        return runDir;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    [Fact]
    public void A_run_on_unlabelled_traffic_scores_capped_by_default_and_explains_each_record_as_scored()
    {
        var run = DefaultRun.Value;
        var summary = Json(Path.Combine(run, "summary.json"));
        var model = ModelFile.Load(Path.Combine(run, "model.json"));
        Assert.Equal(Scoring.Capped, model.Scoring);
        Assert.Equal("capped", summary.GetProperty("scoring").GetString());
        // Its density is not a likelihood, so the summary does not call it one.
        Assert.False(summary.TryGetProperty("meanLogLikelihood", out _));
        Assert.Equal(summary.GetProperty("scoreMean").GetDouble(),
            summary.GetProperty("meanLogDensity").GetDouble() + summary.GetProperty("meanLogPMultiplicity").GetDouble(), 9);

        var lines = File.ReadAllLines(Path.Combine(run, "anomalies.csv"));
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        Assert.True(lines.Length > 1, "the run flags rows");
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            double Cell(string name) => double.Parse(cells[Col(name)], CultureInfo.InvariantCulture);
            var k = int.Parse(cells[Col("component")], CultureInfo.InvariantCulture);
            // The workers' score is exactly the explained (volume-capped) log-density plus log P(m); the weight is the fitted one.
            Assert.Equal(Cell("score"), Cell("logDensity") + Cell("logPMultiplicity"));
            Assert.Equal(model.Model.Weights[k], Cell("componentWeight"));
        }
    }

    [Fact]
    public void Serve_gives_the_scores_and_reasons_of_the_run_bit_for_bit_and_score_can_still_use_records()
    {
        var run = DefaultRun.Value;
        var model = ServingModel.Load(Path.Combine(run, "model.json"));
        var rows = AnomalyRequests(run);
        var requests = rows.Select(r => r.Json.TrimEnd('}') + $",\"multiplicity\":{r.Multiplicity}}}").ToList();
        var (batch, multiplicities, error) = ScoreRequest.ParseRows(Encoding.UTF8.GetBytes("[" + string.Join(",", requests) + "]"), model, 1000);
        Assert.Null(error);
        var scored = model.Score(batch!, 3, multiplicities);
        Assert.Equal(rows.Select(r => r.Score), scored.Select(s => s.Score));
        Assert.Equal(rows.Select(r => r.Reason), scored.Select(s => s.Reason));

        var asRecords = Path.Combine(Directory.CreateTempSubdirectory("distgmm-capped-score-").FullName, "records");
        var r = CliRunner.Run("score", Path.Combine(run, "dataset"), "--model", Path.Combine(run, "model.json"), "--scoring", "records",
            "--out", asRecords, "--no-report");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal("records", Json(Path.Combine(asRecords, "summary.json")).GetProperty("scoring").GetString());
        Assert.True(Json(Path.Combine(asRecords, "summary.json")).TryGetProperty("meanLogLikelihood", out _));
    }
}
