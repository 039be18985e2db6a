using System.Globalization;
using System.IO.Compression;
using System.Text;
using DistGmm.Data;
using DistGmm.Data.Parquet;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// A model trained once by `distgmm run` (kdd-wide preset: log1p, one-hot, median imputation, full covariance) on the
/// first 3,000 KDD rows, and a varied scoring set (every 1,000th row of the 10% file: normal traffic and attacks)
/// scored by `distgmm score`. Shared by the serve and run-tracking tests.
/// </summary>
public static class ServeFixture
{
    private static readonly Lazy<Trained> Instance = new(Train, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Trained Get() => Instance.Value;

    public sealed record Trained(string RunDir, string ModelPath, string[] ScoreLines, double[] CliScores, bool[] CliAnomalies);

    private static Trained Train()
    {
        var work = Directory.CreateTempSubdirectory("distgmm-serve-").FullName;
        var runDir = Path.Combine(work, "run");
        var trainInput = Path.Combine(work, "train-rows.csv");
        File.WriteAllLines(trainInput, FirstLines(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"), 3000));
        // A rows model (kdd-wide alone would default to records): serve's rows path is what these tests pin.
        var run = CliRunner.Run("run", trainInput, "--out", runDir, "--no-report", "--preset", "kdd-wide", "--scoring", "rows", "--k", "3",
            "--max-iter", "30", "--workers", "1", "--shards", "2");
        if (run.ExitCode != 0) throw new InvalidOperationException($"run failed: {run.Error}");

        var lines = EveryNthLine(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"), 1000);
        var scoreInput = Path.Combine(work, "score-rows.csv");
        File.WriteAllLines(scoreInput, lines);
        var scoreDir = Path.Combine(work, "scored");
        var modelPath = Path.Combine(runDir, "model.json");
        var score = CliRunner.Run("score", scoreInput, "--model", modelPath, "--out", scoreDir, "--no-report", "--workers", "1", "--shards", "2");
        if (score.ExitCode != 0) throw new InvalidOperationException($"score failed: {score.Error}");

        var scores = new double[lines.Length];
        var anomalies = new bool[lines.Length];
        Array.Fill(scores, double.NaN);
        using (var reader = ParquetFileReader.Open(Path.Combine(scoreDir, "scores.parquet")))
        {
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var ids = reader.ReadColumn(g, "rowId");
                var values = reader.ReadColumn(g, "score");
                var flags = reader.ReadColumn(g, "anomaly");
                for (var i = 0; i < ids.Count; i++)
                {
                    scores[ids.Int64s![i]] = values.Doubles![i];
                    anomalies[ids.Int64s[i]] = flags.Booleans![i];
                }
            }
        }
        return new Trained(runDir, modelPath, lines, scores, anomalies);
    }

    private static string[] FirstLines(string gz, int count)
    {
        using var input = new StreamReader(new GZipStream(File.OpenRead(gz), CompressionMode.Decompress));
        var lines = new List<string>();
        while (lines.Count < count && input.ReadLine() is { } line) lines.Add(line);
        return [.. lines];
    }

    private static string[] EveryNthLine(string gz, int n)
    {
        using var input = new StreamReader(new GZipStream(File.OpenRead(gz), CompressionMode.Decompress));
        var lines = new List<string>();
        for (var i = 0; input.ReadLine() is { } line; i++)
            if (i % n == 0) lines.Add(line);
        return [.. lines];
    }

    /// <summary>A raw KDD line as a JSON row object (numbers keep their text, so they parse to the same doubles).</summary>
    public static string RowJson(string line, Func<string, string, string?>? edit = null)
    {
        var fields = line.Split(',');
        var json = new StringBuilder("{");
        for (var c = 0; c < fields.Length; c++)
        {
            var name = c < KddSchema.FeatureNames.Count ? KddSchema.FeatureNames[c] : KddSchema.LabelName;
            var isText = c >= KddSchema.FeatureNames.Count || KddSchema.CategoricalNames.Contains(name);
            var value = isText ? $"\"{fields[c]}\"" : fields[c];
            if (edit is not null) value = edit(name, value);
            if (value is null) continue; // the edit removed the column
            if (json.Length > 1) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $"\"{name}\":{value}");
        }
        return json.Append('}').ToString();
    }

    public static string RowsJson(IEnumerable<string> rowObjects) => "[" + string.Join(",", rowObjects) + "]";
}
