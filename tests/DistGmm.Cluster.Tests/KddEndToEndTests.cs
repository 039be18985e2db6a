using System.Text.Json;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Data.Parquet;
using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Cluster.Tests;

/// <summary>The notebook reproduced end to end on the KDD Cup 99 10% file: ingest, seed preset, K=2 full, mean−2·std.</summary>
public sealed class KddEndToEndTests(DatasetFixture data, ITestOutputHelper output) : IClassFixture<DatasetFixture>
{
    [Fact]
    public async Task Run_on_the_10_percent_data_reproduces_the_notebook()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var dataset = data.Kdd10Percent();
        output.WriteLine($"ingest {watch.Elapsed.TotalSeconds:0.0} s");
        var outDir = data.NewOutDir();
        var em = new EmOptions(2, CovarianceType.Full, Seed: 42);
        var run = await EmbeddedJob.RunAsync(new RunJobSpec(dataset, PreprocessingSpec.Preset("seed"), em, 2, [],
            ThresholdRule.Default, outDir));
        output.WriteLine($"run {watch.Elapsed.TotalSeconds:0.0} s (train {run.Train.Elapsed.TotalSeconds:0.0} s, score {run.Score.Elapsed.TotalSeconds:0.0} s), iterations {run.Train.Fit.Iterations}");

        var summary = run.Score.Summary;
        Assert.Equal(494021, summary.Rows);
        Assert.InRange(summary.MeanLogLikelihood, 137.679 - 0.01, 137.679 + 0.01);
        Assert.InRange(summary.Anomalies, 430, 434);
        Assert.True(run.Train.Fit.Converged);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var root = json.RootElement;
        foreach (var key in new[] { "rows", "anomalies", "threshold", "scoreMean", "scoreStd", "meanLogLikelihood", "iterations", "converged",
                     "k", "covarianceType", "workers", "secondsTrain", "secondsScore", "precision", "recall", "f1", "rocAuc", "formatVersion" })
            Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks '{key}'");
        Assert.Equal("full", root.GetProperty("covarianceType").GetString());
        Assert.Equal(summary.Anomalies, root.GetProperty("anomalies").GetInt64());
        // Every training pass timed (observation only): at least one per iteration; medians ordered as their definitions.
        var passTiming = root.GetProperty("passTiming");
        Assert.True(passTiming.GetProperty("passes").GetInt32() >= run.Train.Fit.Iterations);
        Assert.True(passTiming.GetProperty("medianSlowestWorkerSeconds").GetDouble() >= passTiming.GetProperty("medianFastestWorkerSeconds").GetDouble());
        Assert.True(passTiming.GetProperty("slowestPass").GetProperty("wallSeconds").GetDouble() >= passTiming.GetProperty("medianWallSeconds").GetDouble());
        Assert.Equal(2, passTiming.GetProperty("slowestPass").GetProperty("workers").GetInt32());

        var model = ModelFile.Load(Path.Combine(outDir, "model.json"));
        Assert.Equal(summary.Threshold, model.Threshold);
        Assert.Equal(run.Train.Fit.Model.ToBytes(), model.Model.ToBytes());
        Assert.NotNull(model.PreprocessorJson);
        Assert.NotEmpty(model.FeatureNames);

        using (var scores = ParquetFileReader.Open(Path.Combine(outDir, "scores.parquet")))
        {
            Assert.Equal(494021, scores.TotalRows);
            Assert.Equal(["rowId", "score", "anomaly", "label", "unscorable"], scores.Schema.Fields.Select(f => f.Name));
        }
        using (var anomalies = ParquetFileReader.Open(Path.Combine(outDir, "anomalies.parquet")))
            Assert.Equal(summary.Anomalies, anomalies.TotalRows);
        var csv = File.ReadAllLines(Path.Combine(outDir, "anomalies.csv"));
        Assert.Equal(summary.Anomalies + 1, csv.Length);
        Assert.StartsWith("rowId,score,label,", csv[0]);
        Assert.Contains("iteration", File.ReadAllText(run.EventsLogPath));
    }
}
