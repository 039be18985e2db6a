using System.Text.Json.Nodes;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// A model that does not fit itself or the data is refused by score and serve before any worker starts: one line naming
/// the model file and the mismatch, exit code 3. `run` on data of one class completes and says why label metrics are absent.
/// </summary>
public sealed class ModelCheckTests
{
    private static readonly Lazy<(string Dataset, string Model)> Trained = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-modelcheck-").FullName;
        var r = CliRunner.Run("run", SmallKdd.File3000, "--out", Path.Combine(dir, "run"), "--workers", "1", "--max-iter", "5", "--no-report");
        Assert.True(r.ExitCode == 0, r.Error);
        return (Path.Combine(dir, "run", "dataset"), Path.Combine(dir, "run", "model.json"));
    });

    /// <summary>The trained model.json with one edit, written to a new file.</summary>
    private static string Edited(string name, Action<JsonNode> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Trained.Value.Model))!;
        edit(json);
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-model-").FullName, name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static void AssertRefused(CliRunner.Result r, string model, string mismatch)
    {
        Assert.True(r.ExitCode == ExitCodes.BadInput, $"exit {r.ExitCode}: {r.Error}");
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith($"distgmm: {model}: ", line);
        Assert.Contains(mismatch, line);
    }

    private static CliRunner.Result Score(string model, string? dataset = null, string? outDir = null) =>
        CliRunner.Run("score", "--model", model, dataset ?? Trained.Value.Dataset, "--out",
            outDir ?? Directory.CreateTempSubdirectory("distgmm-score-").FullName, "--workers", "1", "--no-report");

    public static TheoryData<string, string> BadModels() => new()
    {
        { "weights", "the mixture weights sum to 0.75, not 1" },
        { "singular", "covariance 1 (full) is singular" },
        { "dimensions", "the preprocessor makes 39 features but the mixture has 38" },
    };

    private static string BadModel(string kind) => Edited(kind + ".json", json =>
    {
        switch (kind)
        {
            case "weights":
                json["weights"] = new JsonArray(0.5, 0.25);
                break;
            case "singular":
            {
                // Positive definite on paper (Cholesky succeeds), singular in practice: a variance of 1e-20 beside ones.
                var d = (int)json["d"]!;
                var rows = new JsonArray();
                for (var i = 0; i < d; i++)
                {
                    var row = new JsonArray();
                    for (var j = 0; j < d; j++) row.Add(i != j ? 0.0 : i == 3 ? 1e-20 : 1.0);
                    rows.Add(row);
                }
                json["covariances"]![1] = rows;
                break;
            }
            default:
            {
                // A mixture of one dimension less than the preprocessor makes.
                var d = (int)json["d"]! - 1;
                json["d"] = d;
                foreach (var mean in json["means"]!.AsArray()) mean!.AsArray().RemoveAt(d);
                foreach (var cov in json["covariances"]!.AsArray())
                {
                    cov!.AsArray().RemoveAt(d);
                    foreach (var row in cov.AsArray()) row!.AsArray().RemoveAt(d);
                }
                break;
            }
        }
    });

    [Theory]
    [MemberData(nameof(BadModels))]
    public void Score_refuses_a_model_that_does_not_fit_before_any_worker_starts(string kind, string mismatch)
    {
        var model = BadModel(kind);
        var outDir = Directory.CreateTempSubdirectory("distgmm-score-").FullName;
        AssertRefused(Score(model, outDir: outDir), model, mismatch);
        Assert.False(File.Exists(Path.Combine(outDir, "scores.parquet")));
        Assert.False(File.Exists(Path.Combine(outDir, "timeline.json")) && File.ReadAllText(Path.Combine(outDir, "timeline.json")).Contains("shard", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(BadModels))]
    public void Serve_refuses_the_same_models_with_the_same_line(string kind, string mismatch)
    {
        var model = BadModel(kind);
        AssertRefused(CliRunner.Run("serve", "--model", model, "--urls", "http://127.0.0.1:0"), model, mismatch);
    }

    [Fact]
    public void Score_refuses_data_without_a_column_the_model_reads()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-other-").FullName;
        var input = Path.GetFullPath(RepoPaths.InRepo("tests", "fixtures", "data", "gaps.csv"));
        var r = CliRunner.Run("ingest", input, "--out", dir, "--shards", "1");
        Assert.True(r.ExitCode == 0, r.Error);
        // Named by the file the data came from (a file given to score is ingested into a staging folder, gone by then).
        AssertRefused(Score(Trained.Value.Model, dir), Trained.Value.Model, $"the model reads column 'duration', which the data of {input} does not have");
    }

    private static IEnumerable<string> KddLines()
    {
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")),
            System.IO.Compression.CompressionMode.Decompress));
        while (reader.ReadLine() is { } line) yield return line;
    }

    [Theory]
    [InlineData(true, "every labelled row is an attack (500 rows)")]
    [InlineData(false, "every labelled row is normal (500 rows)")]
    public void Run_on_one_class_completes_and_says_why_label_metrics_are_absent(bool attacks, string note)
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-oneclass-").FullName;
        var input = Path.Combine(dir, "one-class.csv");
        File.WriteAllLines(input, KddLines().Where(l => l.EndsWith("normal.", StringComparison.Ordinal) != attacks).Take(500));
        var outDir = Path.Combine(dir, "run");
        var r = CliRunner.Run("run", input, "--out", outDir, "--workers", "1");
        Assert.True(r.ExitCode == 0, r.Error);
        foreach (var file in new[] { "model.json", "scores.parquet", "anomalies.csv", "report.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!.AsObject();
        Assert.StartsWith(note, (string)summary["labelMetricsNote"]!);
        Assert.False(summary.ContainsKey("rocAuc"));
        Assert.False(summary.ContainsKey("averagePrecision"));
        Assert.Contains($"evaluation ({note}", File.ReadAllText(Path.Combine(outDir, "report.html")));
    }
}
