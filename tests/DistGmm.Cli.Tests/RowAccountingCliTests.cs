using System.Net;
using System.Text;
using System.Text.Json;
using DistGmm.Cli.Serving;
using DistGmm.Data.Parquet;

namespace DistGmm.Cli.Tests;

/// <summary>Every input row is in scores.parquet, and summary.json says where each one went.</summary>
public sealed class RowAccountingCliTests
{
    [Fact]
    public void Run_on_bad_row_skip_sets_malformed_rows_aside_counts_them_and_says_so_where_fail_names_the_first()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-badrows-").FullName;
        // CIC-IDS style: the rate of a zero-length flow is Infinity (rows 3 and 5 of the file).
        var text = new StringBuilder("Flow Duration,Fwd Bytes,Flow Bytes/s,Label\n");
        for (var i = 0; i < 400; i++)
            text.Append(i is 1 or 3 ? "0,40,Infinity,DDoS\n" : $"{100 + i % 37},{500 + i * 7 % 91},{1.5 + i % 13},BENIGN\n");
        var input = Path.Combine(dir, "flows.csv");
        File.WriteAllText(input, text.ToString());

        var failed = CliRunner.Run("run", input, "--out", Path.Combine(dir, "fail"), "--workers", "2", "--no-report");
        Assert.Equal(3, failed.ExitCode);
        Assert.Contains($"{input}: line 3, column 3: 'Infinity' in numeric column 'Flow Bytes/s' is not a finite number", failed.Error);

        var outDir = Path.Combine(dir, "skip");
        var run = CliRunner.Run("run", input, "--out", outDir, "--workers", "2", "--no-report", "--on-bad-row", "skip");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("distgmm: warning: 2 rows rejected at ingestion (see the dataset's rejects.tsv)", run.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(400, summary.RootElement.GetProperty("rowsRead").GetInt64());
        Assert.Equal(2, summary.RootElement.GetProperty("rowsRejected").GetInt64());
        var rejects = File.ReadAllLines(Path.Combine(outDir, "dataset", "rejects.tsv"));
        Assert.Equal(2, rejects.Count(l => l.Contains("Infinity", StringComparison.Ordinal)));
    }

    [Fact]
    public void Rows_with_missing_values_are_marked_unscorable_counted_and_warned_about_once()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-rows-").FullName;
        try
        {
            // 3,000 KDD rows; every 300th loses its src_bytes (field 5), ten in all.
            var input = Path.Combine(dir, "gaps.csv");
            var lines = File.ReadAllLines(SmallKdd.File3000);
            var gapRows = Enumerable.Range(0, 10).Select(i => 7 + 300 * i).ToArray();
            foreach (var r in gapRows)
            {
                var fields = lines[r].Split(',');
                fields[4] = "?";
                lines[r] = string.Join(',', fields);
            }
            File.WriteAllLines(input, lines);
            var outDir = Path.Combine(dir, "run");

            var run = CliRunner.Run("run", input, "--out", outDir, "--workers", "2", "--no-report");

            Assert.True(run.ExitCode == 0, run.Error);
            var warning = Assert.Single(run.ErrorLines, l => l.Contains("warning", StringComparison.Ordinal));
            Assert.Equal("distgmm: warning: 10 of 3,000 rows unscorable (missing value in column 'src_bytes': 10), marked in " +
                         "scores.parquet column 'unscorable'; 10 rows not trained on (preprocessing policy or --train-on-label)", warning);

            using var reader = ParquetFileReader.Open(Path.Combine(outDir, "scores.parquet"));
            Assert.Equal(3000, reader.TotalRows);
            var rowIds = new List<long>();
            var unscorable = new List<(long RowId, string? Reason, bool NullScore, bool Anomaly)>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var ids = reader.ReadColumn(g, "rowId");
                var score = reader.ReadColumn(g, "score");
                var anomaly = reader.ReadColumn(g, "anomaly");
                var reason = reader.ReadColumn(g, "unscorable");
                for (var i = 0; i < ids.Count; i++)
                {
                    rowIds.Add(ids.Int64s![i]);
                    if (!reason.IsNull(i) || score.IsNull(i))
                        unscorable.Add((ids.Int64s[i], reason.Strings![i], score.IsNull(i), anomaly.Booleans![i]));
                }
            }
            Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i), rowIds);
            Assert.Equal(gapRows.Select(r => ((long)r, (string?)"missing value in column 'src_bytes'", true, false)), unscorable);

            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
            var s = summary.RootElement;
            long Get(string name) => s.GetProperty(name).GetInt64();
            Assert.Equal((3000L, 0L, 2990L, 2990L, 10L), (Get("rowsRead"), Get("rowsRejected"), Get("rowsTrained"), Get("rowsScored"), Get("rowsUnscorable")));
            Assert.Equal(Get("rowsRead"), Get("rowsRejected") + Get("rowsScored") + Get("rowsUnscorable"));
            Assert.Equal(10, s.GetProperty("unscorableReasons").GetProperty("missing value in column 'src_bytes'").GetInt64());
            Assert.Equal(Get("rows"), Get("rowsScored"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The first <paramref name="rows"/> lines of the 3,000-row KDD file, with some fields replaced (0-based line, 0-based field).</summary>
    private static string Edited(string dir, int rows, params (int Line, int Field, string Value)[] edits)
    {
        var lines = File.ReadLines(SmallKdd.File3000).Take(rows).ToArray();
        foreach (var (line, field, value) in edits)
        {
            var fields = lines[line].Split(',');
            fields[field] = value;
            lines[line] = string.Join(',', fields);
        }
        var path = Path.Combine(dir, "edited.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Score_marks_a_value_outside_log1p_s_domain_unscorable_and_counts_unseen_categories_in_one_warning()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-rows-").FullName;
        try
        {
            // src_bytes (field 5) -5 on line 1000; protocol_type and service (fields 2, 3) never seen on line 10.
            var input = Edited(dir, 2000, (999, 4, "-5"), (9, 1, "sctp"), (9, 2, "brand_new_svc"));
            var outDir = Path.Combine(dir, "scored");

            var score = CliRunner.Run("score", input, "--model", ServeFixture.Get().ModelPath, "--out", outDir, "--workers", "2", "--no-report");

            Assert.True(score.ExitCode == 0, score.Error);
            var warning = Assert.Single(score.ErrorLines, l => l.Contains("warning", StringComparison.Ordinal));
            Assert.Equal("distgmm: warning: 1 of 2,000 rows unscorable (value ≤ -1 in column 'src_bytes', outside log1p's domain: 1), " +
                         "marked in scores.parquet column 'unscorable'; rows with a category not seen in training: protocol_type 1, service 1", warning);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
            var s = summary.RootElement;
            Assert.Equal((2000L, 1999L, 1L), (s.GetProperty("rowsRead").GetInt64(), s.GetProperty("rowsScored").GetInt64(), s.GetProperty("rowsUnscorable").GetInt64()));
            Assert.Equal(1, s.GetProperty("unscorableReasons").GetProperty("value ≤ -1 in column 'src_bytes', outside log1p's domain").GetInt64());
            Assert.Equal("{\"protocol_type\":1,\"service\":1}", JsonSerializer.Serialize(s.GetProperty("unseenCategories")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Training_on_a_value_outside_log1p_s_domain_fails_with_exit_3_naming_the_input_and_row()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-rows-").FullName;
        try
        {
            var input = Edited(dir, 2000, (999, 4, "-5"));

            var run = CliRunner.Run("run", input, "--preset", "kdd-wide", "--out", Path.Combine(dir, "run"), "--no-report");

            Assert.Equal(3, run.ExitCode);
            Assert.Equal($"distgmm: {input}: dataset row 1000 (rowId 999), column 'src_bytes': -5 is outside log1p's domain (it needs values > -1)",
                run.ErrorLines.Last());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_label_encoded_model_does_not_code_an_unseen_category_serve_refuses_the_row()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-rows-").FullName;
        try
        {
            var runDir = Path.Combine(dir, "run");
            var run = CliRunner.Run("run", SmallKdd.File3000, "--preset", "seed", "--out", runDir, "--no-report", "--k", "2", "--workers", "1");
            Assert.True(run.ExitCode == 0, run.Error);
            var model = ServingModel.Load(Path.Combine(runDir, "model.json"));
            await using var server = await ScoreServer.StartAsync(model, new ScoreServerOptions { Urls = "http://127.0.0.1:0", MaxRows = 10 });
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var line = File.ReadLines(SmallKdd.File3000).First();
            var rows = ServeFixture.RowsJson([ServeFixture.RowJson(line), ServeFixture.RowJson(line, (name, v) => name == "protocol_type" ? "\"sctp\"" : v)]);

            using var response = await http.PostAsync("/score", new StringContent(rows, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(["row 1: category not seen in training in label-encoded column 'protocol_type'"],
                body.RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
