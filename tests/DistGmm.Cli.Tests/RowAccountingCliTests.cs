using System.Text.Json;
using DistGmm.Data.Parquet;

namespace DistGmm.Cli.Tests;

/// <summary>Every input row is in scores.parquet, and summary.json says where each one went.</summary>
public sealed class RowAccountingCliTests
{
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
}
