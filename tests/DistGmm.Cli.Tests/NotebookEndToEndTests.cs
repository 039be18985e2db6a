using System.Text.Json;
using DistGmm.Data.Parquet;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// The notebook, reproduced through the real command on the real data:
/// `distgmm run data/kddcup.data_10_percent.gz --preset seed --k 2 --covariance full`.
/// scikit-learn 1.2.1 reaches a mean log-likelihood of 137.678865 and flags exactly 432 rows with mean − 2·std.
/// </summary>
public sealed class NotebookEndToEndTests
{
    [Fact]
    public void Run_on_the_KDD_10_percent_file_reproduces_the_notebook()
    {
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-e2e-").FullName, "run");
        var data = RepoPaths.InRepo("data", "kddcup.data_10_percent.gz");

        var r = CliRunner.Run("run", data, "--preset", "seed", "--k", "2", "--covariance", "full", "--out", outDir);

        Assert.True(r.ExitCode == 0, r.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(494_021, s.GetProperty("rows").GetInt64());
        Assert.InRange(s.GetProperty("meanLogLikelihood").GetDouble(), 137.679 - 0.01, 137.679 + 0.01);
        Assert.InRange(s.GetProperty("anomalies").GetInt64(), 430, 434);
        Assert.True(s.GetProperty("converged").GetBoolean());
        Assert.Equal(2, s.GetProperty("k").GetInt32());
        Assert.Equal("full", s.GetProperty("covarianceType").GetString());
        foreach (var key in new[] { "threshold", "scoreMean", "scoreStd", "iterations", "workers", "secondsTrain", "secondsScore", "precision", "recall", "f1", "rocAuc" })
            Assert.True(s.TryGetProperty(key, out _), $"summary.json lacks {key}");

        using var model = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "model.json")));
        var m = model.RootElement;
        Assert.Equal(2, m.GetProperty("weights").GetArrayLength());
        Assert.Equal(39, m.GetProperty("featureNames").GetArrayLength());
        Assert.Equal(s.GetProperty("threshold").GetDouble(), m.GetProperty("threshold").GetDouble());

        using (var scores = ParquetFileReader.Open(Path.Combine(outDir, "scores.parquet")))
        {
            Assert.Equal(494_021, scores.TotalRows);
            foreach (var column in new[] { "rowId", "score", "anomaly", "label" }) Assert.True(scores.Schema.IndexOf(column) >= 0, column);
        }
        var anomalyLines = File.ReadLines(Path.Combine(outDir, "anomalies.csv")).Count();
        Assert.Equal(s.GetProperty("anomalies").GetInt64() + 1, anomalyLines);   // header + one line per anomaly
        Assert.True(new FileInfo(Path.Combine(outDir, "report.html")).Length > 10_000);
        Assert.Contains("iteration", File.ReadAllText(Path.Combine(outDir, "events.log")));
    }
}
