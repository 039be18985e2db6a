using System.Globalization;
using System.Text;
using System.Text.Json;
using DistGmm.Cli.Serving;
using DistGmm.Cluster;
using DistGmm.Data.Parquet;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>`--scoring records` through the commands: run, score (the model's scoring by default), and serve.</summary>
public sealed class RecordsScoringCliTests
{
    private static readonly Lazy<string> RecordsRun = new(() =>
    {
        var runDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-records-").FullName, "run");
        var r = CliRunner.Run("run", SmallKdd.File3000, "--scoring", "records", "--preset", "kdd-wide", "--k", "2", "--max-iter", "30",
            "--workers", "2", "--shards", "3", "--no-report", "--out", runDir);
        if (r.ExitCode != 0) throw new InvalidOperationException($"run failed: {r.Error}");
        RunWarnings = r.Error;
        return runDir;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private static string RunWarnings { get; set; } = "";

    internal static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    private static double[] Scores(string dir)
    {
        using var reader = ParquetFileReader.Open(Path.Combine(dir, "scores.parquet"));
        var scores = new double[reader.TotalRows];
        var at = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) at += reader.ReadDoubles(g, "score", scores.AsSpan(at));
        return scores;
    }

    [Fact]
    public void Run_with_scoring_records_completes_and_its_model_and_summary_say_records()
    {
        var run = RecordsRun.Value;
        var summary = Json(Path.Combine(run, "summary.json"));
        var model = Json(Path.Combine(run, "model.json"));
        Assert.Equal("records", summary.GetProperty("scoring").GetString());
        Assert.Equal("records", model.GetProperty("scoring").GetString());
        Assert.Equal(3000, summary.GetProperty("rowsScored").GetInt64());
        // Fitted on each distinct record once: the model's rows are the distinct records its multiplicity bins count.
        var distinct = model.GetProperty("rows").GetInt64();
        Assert.True(distinct < 3000, $"{distinct} distinct records of 3000 rows");
        Assert.Equal(distinct, summary.GetProperty("rowsTrained").GetInt64());
        Assert.Equal(distinct, model.GetProperty("multiplicityBins").EnumerateArray().Sum(b => b.GetInt64()));
        Assert.Contains($"{3000 - distinct:N0} rows not trained on (copies of a record fitted once under --scoring records", RunWarnings);
        Assert.EndsWith(",multiplicity," + string.Join(",", RunFolderWriter.ExplanationColumns), File.ReadLines(Path.Combine(run, "anomalies.csv")).First());
        Assert.Contains("records counted: 3000 rows", File.ReadAllText(Path.Combine(run, "events.log")));
    }

    [Fact]
    public void Score_uses_the_models_records_scoring_by_default_and_rows_when_told()
    {
        var run = RecordsRun.Value;
        var dataset = Path.Combine(run, "dataset");
        var work = Directory.CreateTempSubdirectory("distgmm-records-score-").FullName;
        var asModel = Path.Combine(work, "as-model");
        var r = CliRunner.Run("score", dataset, "--model", Path.Combine(run, "model.json"), "--out", asModel, "--no-report", "--workers", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal("records", Json(Path.Combine(asModel, "summary.json")).GetProperty("scoring").GetString());
        Assert.Equal(Scores(run), Scores(asModel)); // the same data, counted again: the same scores, bit for bit

        var asRows = Path.Combine(work, "as-rows");
        r = CliRunner.Run("score", dataset, "--model", Path.Combine(run, "model.json"), "--out", asRows, "--no-report", "--scoring", "rows");
        Assert.True(r.ExitCode == 0, r.Error);
        var rowsSummary = Json(Path.Combine(asRows, "summary.json"));
        Assert.Equal("rows", rowsSummary.GetProperty("scoring").GetString());
        Assert.NotEqual(Scores(run), Scores(asRows));
        // Under records the mean log-likelihood is that of the rows, log p(x) alone: what the same model's rows scoring
        // averages; the score's mean adds the multiplicity term.
        var recordsSummary = Json(Path.Combine(asModel, "summary.json"));
        var meanLogLikelihood = recordsSummary.GetProperty("meanLogLikelihood").GetDouble();
        var meanLogPm = recordsSummary.GetProperty("meanLogPMultiplicity").GetDouble();
        Assert.Equal(rowsSummary.GetProperty("scoreMean").GetDouble(), meanLogLikelihood, 9);
        Assert.Equal(rowsSummary.GetProperty("meanLogLikelihood").GetDouble(), meanLogLikelihood, 9);
        Assert.True(meanLogPm < 0);
        Assert.Equal(recordsSummary.GetProperty("scoreMean").GetDouble(), meanLogLikelihood + meanLogPm, 9);
        Assert.False(rowsSummary.TryGetProperty("meanLogPMultiplicity", out _));
    }

    [Fact]
    public void An_unknown_scoring_is_a_usage_error_naming_the_option()
    {
        var r = CliRunner.Run("run", SmallKdd.File3000, "--scoring", "distinct", "--out", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--scoring", r.Error);
        Assert.Contains("must be rows, records, mahalanobis or capped", r.Error);

        var e = CliRunner.Run("eval", SmallKdd.File3000, "--protocol", "subsets", "--unsupervised", "--scoring", "distinct");
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("--scoring must be rows, records, mahalanobis or capped (got 'distinct')", e.Error);
    }

    [Fact]
    public void Every_flagged_record_is_explained_in_the_anomalies_files_and_the_report_data()
    {
        var run = RecordsRun.Value;
        var model = ModelFile.Load(Path.Combine(run, "model.json"));
        var lines = File.ReadAllLines(Path.Combine(run, "anomalies.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(RunFolderWriter.ExplanationColumns, header[^6..]);
        Assert.True(lines.Length > 1, "the run flags rows");
        int Col(string name) => Array.IndexOf(header, name);
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            var score = double.Parse(cells[Col("score")], CultureInfo.InvariantCulture);
            var logDensity = double.Parse(cells[Col("logDensity")], CultureInfo.InvariantCulture);
            var logPm = double.Parse(cells[Col("logPMultiplicity")], CultureInfo.InvariantCulture);
            var multiplicity = long.Parse(cells[Col("multiplicity")], CultureInfo.InvariantCulture);
            var k = int.Parse(cells[Col("component")], CultureInfo.InvariantCulture);
            // The score is exactly the explained log-density plus the multiplicity's log-probability, as the workers computed it.
            Assert.Equal(score, logDensity + logPm);
            Assert.Equal(model.Multiplicity!.LogProbability(multiplicity), logPm);
            Assert.InRange(k, 0, model.Model.K - 1);
            Assert.Equal(model.Model.Weights[k], double.Parse(cells[Col("componentWeight")], CultureInfo.InvariantCulture));
            Assert.Equal(AnomalyExplanations.TopFeatures, cells[Col("unlikelyFeatures")].Split("; ").Length);
            Assert.StartsWith($"score {score.ToString("G6", CultureInfo.InvariantCulture)} < threshold ", cells[Col("reason")]);
            Assert.Contains($"mostly component {k} (weight ", cells[Col("reason")]);
            Assert.Contains($"the record occurs {multiplicity:N0} time", cells[Col("reason")]);
        }
        var report = Reports.RunReportBuilder.Build(run, Path.Combine(run, "dataset"));
        Assert.Equal(Math.Min(25, lines.Length - 1), report.Flagged.Count);
        Assert.Equal(lines.Length - 1, report.FlaggedTotal);
        Assert.All(report.Flagged, f => Assert.NotNull(f.Reason));
    }

    /// <summary>RFC 4180 fields of one line (quotes doubled inside quoted fields).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    [Fact]
    public void The_seed_preset_and_one_class_training_default_to_rows_unlabelled_traffic_to_capped()
    {
        Assert.Equal(Scoring.Rows, ScoringDefaults.For("seed"));
        Assert.Equal(Scoring.Rows, ScoringDefaults.For("SEED"));
        foreach (var preset in new[] { "kdd-wide", "none", "my-preprocessing.json" })
        {
            Assert.Equal(Scoring.Capped, ScoringDefaults.For(preset));
            Assert.Equal(Scoring.Rows, ScoringDefaults.For(preset, ["normal"]));
        }
        Assert.Equal(1.0 / 12, ScoringDefaults.RegCovar(Scoring.Records));
        Assert.Equal(1.0 / 12, ScoringDefaults.RegCovar(Scoring.Mahalanobis));
        Assert.Equal(1.0 / 12, ScoringDefaults.RegCovar(Scoring.Capped));
        Assert.Equal(1e-6, ScoringDefaults.RegCovar(Scoring.Rows));
    }

    /// <summary>anomalies.csv's rows as serve request rows (raw values, by column name) with their multiplicity.</summary>
    internal static List<(string Json, double Score, long Multiplicity, string Reason)> AnomalyRequests(string run)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "anomalies.csv"));
        var header = lines[0].Split(',');
        var textColumns = new HashSet<string> { "protocol_type", "service", "flag" };
        var multiplicity = Array.IndexOf(header, RunFolderWriter.MultiplicityColumn);
        var reason = Array.IndexOf(header, "reason");
        var result = new List<(string, double, long, string)>();
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            var json = new StringBuilder("{");
            for (var c = 3; c < multiplicity; c++) // the raw columns: after rowId, score, label; before multiplicity and the explanation
            {
                if (json.Length > 1) json.Append(',');
                json.Append(CultureInfo.InvariantCulture, $"\"{header[c]}\":{(textColumns.Contains(header[c]) ? $"\"{cells[c]}\"" : cells[c])}");
            }
            result.Add((json.Append('}').ToString(), double.Parse(cells[1], CultureInfo.InvariantCulture),
                long.Parse(cells[multiplicity], CultureInfo.InvariantCulture), cells[reason]));
        }
        return result;
    }

    [Fact]
    public void Serve_scores_a_posted_record_with_its_multiplicity_as_score_did_and_with_1_when_none_is_given()
    {
        var run = RecordsRun.Value;
        var model = ServingModel.Load(Path.Combine(run, "model.json"));
        var rows = AnomalyRequests(run);
        Assert.NotEmpty(rows);
        var withCounts = rows.Select(r => r.Json.TrimEnd('}') + $",\"multiplicity\":{r.Multiplicity}}}").ToList();
        var (batch, multiplicities, error) = ScoreRequest.ParseRows(Encoding.UTF8.GetBytes("[" + string.Join(",", withCounts) + "]"), model, 1000);
        Assert.Null(error);
        Assert.Equal(rows.Select(r => r.Multiplicity), multiplicities!);
        var scored = model.Score(batch!, 3, multiplicities);
        Assert.Equal(rows.Select(r => r.Score), scored.Select(s => s.Score));   // bit for bit: the same log p(x) + log P(m)
        Assert.All(scored, s => Assert.True(s.Anomaly == true));
        Assert.Equal(rows.Select(r => (long?)r.Multiplicity), scored.Select(s => s.Multiplicity));
        // serve explains a flagged record in the very words of anomalies.csv (and the report).
        Assert.Equal(rows.Select(r => r.Reason), scored.Select(s => s.Reason));
        Assert.All(scored, s => Assert.Equal(model.Model.Weights[s.Component], s.ComponentWeight));
        var response = Encoding.UTF8.GetString(ScoreServer.ScoreResponse(model, [scored[0]]));
        Assert.Contains("\"componentWeight\":", response);
        Assert.Contains("\"reason\":\"score ", response);

        // Without a multiplicity: m = 1, so the score moves by log P(1) − log P(m).
        var (plain, ones, _) = ScoreRequest.ParseRows(Encoding.UTF8.GetBytes("[" + rows[0].Json + "]"), model, 10);
        Assert.Equal([1L], ones!);
        var single = Assert.Single(model.Score(plain!, 3, ones));
        var pmf = model.File.Multiplicity!;
        Assert.Equal(rows[0].Score - pmf.LogProbability(rows[0].Multiplicity) + pmf.LogProbability(1), single.Score, 1e-9);
        Assert.Contains("\"multiplicity\":1", Encoding.UTF8.GetString(ScoreServer.ScoreResponse(model, [single])));
    }

    [Fact]
    public void Serve_refuses_a_bad_multiplicity_and_one_given_to_a_rows_model()
    {
        var run = RecordsRun.Value;
        var records = ServingModel.Load(Path.Combine(run, "model.json"));
        var row = AnomalyRequests(run)[0].Json.TrimEnd('}');
        var (_, _, bad) = ScoreRequest.ParseRows(Encoding.UTF8.GetBytes($"[{row},\"multiplicity\":0}}, {row},\"multiplicity\":\"many\"}}]"), records, 10);
        Assert.Equal(400, bad!.Status);
        Assert.Equal(["row 0: 'multiplicity' must be an integer ≥ 1 (how often the record occurs), got 0",
            "row 1: 'multiplicity' must be an integer ≥ 1 (how often the record occurs), got \"many\""], bad.Reasons);

        var rows = ServingModel.Load(ServeFixture.Get().ModelPath);
        Assert.Equal(Scoring.Rows, rows.File.Scoring);
        var (_, none, error) = ScoreRequest.ParseRows(Encoding.UTF8.GetBytes($"[{row},\"multiplicity\":3}}]"), rows, 10);
        Assert.Null(none);
        Assert.Equal("row 0: 'multiplicity' is given, but the model scores rows (it was trained with --scoring rows)", Assert.Single(error!.Reasons));
    }
}
