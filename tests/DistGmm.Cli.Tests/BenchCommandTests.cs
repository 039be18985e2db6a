using System.Text.Json;
using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>`distgmm bench DATA`: bench.json's structure (never its timings), on small data, embedded only.</summary>
public sealed class BenchCommandTests
{
    private static readonly string[] MeasurementKeys =
    [
        "mode", "workers", "rows", "d", "preprocessorFitSeconds", "loadSeconds", "iterationSeconds", "firstIterationSeconds",
        "medianIterationSeconds", "trainSeconds", "scoringSeconds", "scoringRowsPerSecond", "scoreJobSeconds", "scoreJobRowsPerSecond",
        "totalSeconds", "matrixBytes", "peakMemoryBytes", "peakOverMatrix", "processes",
    ];

    [Fact]
    public void Bench_ingests_runs_each_worker_count_in_its_own_process_and_says_why_cluster_mode_was_skipped()
    {
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-bench-").FullName, "bench");
        // Cluster mode (real coordinator and worker processes) is left out here: bench.json says so, with the reason.
        var result = CliRunner.Run("bench", SmallKdd.File3000, "--k", "2", "--iterations", "2", "--workers", "1,2", "--repeats", "2", "--out", outDir, "--no-cluster");
        Assert.True(result.ExitCode == 0, result.Error + result.Out);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "bench.json")));
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("formatVersion").GetInt32());
        foreach (var key in new[] { "createdUtc", "machine", "dataset", "settings", "ingest", "embedded", "cluster", "comparison" })
            Assert.True(root.TryGetProperty(key, out _), $"bench.json lacks '{key}'");
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("processorCount").GetInt32());
        Assert.Equal(KernelPath.Describe(), root.GetProperty("machine").GetProperty("kernelPath").GetString());
        Assert.Contains("FMA pipes", root.GetProperty("machine").GetProperty("fmaPeak").GetString());
        Assert.Equal(3000, root.GetProperty("dataset").GetProperty("rows").GetInt64());
        var settings = root.GetProperty("settings");
        Assert.Equal(2, settings.GetProperty("k").GetInt32());
        Assert.Equal("full", settings.GetProperty("covariance").GetString());
        Assert.Equal(2, settings.GetProperty("repeats").GetInt32());

        var ingest = root.GetProperty("ingest");
        Assert.Equal("ok", ingest.GetProperty("status").GetString());
        Assert.Equal(3000, ingest.GetProperty("rows").GetInt64());
        Assert.True(ingest.GetProperty("rowsPerSecond").GetDouble() > 0);

        var embedded = root.GetProperty("embedded").EnumerateArray().ToList();
        // The repeats alternate: W=1, W=2 (then cluster mode), W=1, W=2.
        Assert.Equal([1, 2, 1, 2], embedded.Select(e => e.GetProperty("workers").GetInt32()));
        Assert.Equal([1, 1, 2, 2], embedded.Select(e => e.GetProperty("repeat").GetInt32()));
        foreach (var run in embedded)
        {
            foreach (var key in MeasurementKeys) Assert.True(run.TryGetProperty(key, out _), $"a measurement lacks '{key}'");
            Assert.Equal("embedded", run.GetProperty("mode").GetString());
            Assert.Equal(3000, run.GetProperty("rows").GetInt64());
            Assert.Equal(39, run.GetProperty("d").GetInt32());
            Assert.Equal(2, run.GetProperty("iterationSeconds").GetArrayLength());   // tol = 0: exactly --iterations
            Assert.Equal(3000L * 39 * 8, run.GetProperty("matrixBytes").GetInt64());
            Assert.True(run.GetProperty("peakMemoryBytes").GetInt64() > 0);
            Assert.Equal("run", Assert.Single(run.GetProperty("processes").EnumerateArray()).GetProperty("name").GetString());
            // The anatomy of the passes after the first iteration (PassTimed events): at least iteration 2's E-step.
            var passes = run.GetProperty("passes");
            Assert.True(passes.GetProperty("passes").GetInt32() >= 1);
            Assert.True(passes.GetProperty("medianSlowestWorkerSeconds").GetDouble() >= passes.GetProperty("medianFastestWorkerSeconds").GetDouble());
            Assert.Equal(0, passes.GetProperty("medianBytesReceived").GetDouble()); // in-process workers: no network
        }
        // The runs themselves are ordinary run folders.
        Assert.True(File.Exists(Path.Combine(outDir, "embedded-w1", "scores.parquet")));
        Assert.True(File.Exists(Path.Combine(outDir, "embedded-w2", "summary.json")));

        var cluster = root.GetProperty("cluster");
        Assert.Equal("skipped", cluster.GetProperty("status").GetString());
        Assert.Equal("--no-cluster", cluster.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("comparison").ValueKind); // nothing to compare without cluster mode
    }
}
