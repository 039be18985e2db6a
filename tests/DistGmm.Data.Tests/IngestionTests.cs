using System.Globalization;

namespace DistGmm.Data.Tests;

/// <summary>The 10% KDD file ingested once into 8 shards, shared by the tests that read it.</summary>
public sealed class Kdd10Dataset : IDisposable
{
    public Kdd10Dataset()
    {
        Directory = TestData.TempDir();
        Result = Ingestion.Ingest(new IngestOptions(TestData.Kdd10Percent, Directory, Shards: 8));
    }

    public string Directory { get; }

    public IngestResult Result { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class IngestionTests(Kdd10Dataset kdd) : IClassFixture<Kdd10Dataset>
{
    [Fact]
    public void Ingesting_the_10_percent_file_keeps_every_row_and_label_count()
    {
        var manifest = DatasetManifest.Load(kdd.Directory);
        Assert.Equal(494_021, manifest.TotalRows);
        Assert.Equal(SourceFormat.KddRaw, manifest.SourceFormat);
        Assert.False(manifest.Synthetic);
        Assert.Equal(0, manifest.RejectedRows);

        var expected = TestData.ReadLines(TestData.Kdd10Percent)
            .GroupBy(line => line[(line.LastIndexOf(',') + 1)..].TrimEnd('.'))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(p => p.Key), manifest.LabelCounts.OrderBy(p => p.Key));
        Assert.Equal(97_278, manifest.LabelCounts["normal"]);
        Assert.Equal(280_790, manifest.LabelCounts["smurf"]);

        Assert.Equal(8, manifest.Shards.Count);
        long next = 0;
        foreach (var shard in manifest.Shards)
        {
            Assert.Equal(next, shard.FirstRowId);
            Assert.InRange(shard.Rows, 494_021 / 8, 494_021 / 8 + 1);
            next += shard.Rows;
        }
        Assert.Equal(494_021, next);
        Assert.Empty(manifest.Verify());
        Assert.Equal(new ColumnInfo("rowId", ColumnRole.RowId), manifest.Columns[0]);
    }

    [Fact]
    public void Every_shard_re_reads_with_the_source_values()
    {
        var manifest = DatasetManifest.Load(kdd.Directory);
        using var lines = TestData.ReadLines(TestData.Kdd10Percent).GetEnumerator();
        for (var s = 0; s < manifest.Shards.Count; s++)
        {
            var raw = ShardLoader.ReadRaw(manifest.ShardPath(s));
            Assert.Equal(manifest.Shards[s].Rows, raw.Count);
            for (var r = 0; r < raw.Count; r++)
            {
                Assert.True(lines.MoveNext());
                Assert.Equal(manifest.Shards[s].FirstRowId + r, raw.RowIds[r]);
                var fields = lines.Current.Split(',');
                for (var c = 0; c < 41; c++)
                {
                    if (raw.Numbers[c] is { } numbers)
                    {
                        if (numbers[r] != double.Parse(fields[c], CultureInfo.InvariantCulture))
                            Assert.Fail($"shard {s} row {r} column {c}: {numbers[r]} != {fields[c]}");
                    }
                    else if (raw.Texts[c]![r] != fields[c]) Assert.Fail($"shard {s} row {r} column {c}");
                }
                if (raw.Labels![r] != fields[41].TrimEnd('.')) Assert.Fail($"shard {s} row {r} label");
            }
        }
        Assert.False(lines.MoveNext());
    }

    [Fact]
    public void The_seed_preset_on_the_dataset_equals_scikit_learn_on_the_file()
    {
        var pre = Preprocessor.Fit(kdd.Directory, PreprocessingSpec.Preset("seed"));
        var manifest = DatasetManifest.Load(kdd.Directory);
        var shards = Enumerable.Range(0, manifest.Shards.Count).Select(s => ShardLoader.Load(manifest, s, pre)).ToList();
        Assert.Equal(494_021, shards.Sum(s => s.Rows));
        Assert.Empty(pre.Report.ConstantColumns.Except(["num_outbound_cmds", "is_host_login"]));
        SeedPresetTests.AssertMatchesFixture(pre, SeedPresetTests.Fixture("kdd10"), rowId =>
        {
            var shard = shards.Single(s => s.RowIds[0] <= rowId && rowId <= s.RowIds[^1]);
            return shard.Features.Row((int)(rowId - shard.RowIds[0])).ToArray();
        });
        var back = Preprocessor.FromJson(pre.ToJson());
        Assert.Equal(shards[3].Features.Values, ShardLoader.Load(manifest, 3, back).Features.Values);
    }

    [Fact]
    public void Loading_a_shard_can_keep_only_some_labels_and_still_reach_the_raw_values()
    {
        var manifest = DatasetManifest.Load(kdd.Directory);
        var pre = Preprocessor.Fit(kdd.Directory, PreprocessingSpec.Preset("seed"), label => label == "normal");
        Assert.Equal(manifest.LabelCounts["normal"], pre.Report.FitRows);
        var shard = ShardLoader.Load(manifest.ShardPath(0), pre, label => label == "normal");
        var raw = ShardLoader.ReadRaw(manifest.ShardPath(0));
        Assert.Equal(raw.Labels!.Take(raw.Count).Count(l => l == "normal"), shard.Rows);
        Assert.All(shard.Labels!, l => Assert.Equal("normal", l));
        Assert.Equal(39, shard.Features.Cols);
        Assert.Equal("normal", shard.GetRaw(0, "label"));
        Assert.Equal(raw.Numbers[4]![shard.RawRows[5]], shard.GetRaw(5, "src_bytes"));
        Assert.Equal(shard.RowIds[5], raw.RowIds[shard.RawRows[5]]);
    }
}

public sealed class IngestionEdgeTests
{
    [Fact]
    public void Three_malformed_lines_fail_at_the_first_by_default_and_leave_no_dataset()
    {
        var dir = TestData.TempDir();
        var input = TestData.Fixture("bad3.txt");
        var e = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, dir, Shards: 2)));
        Assert.Equal($"{input}: line 4, column 42: expected 42 fields, found 41", e.Message);
        Assert.False(DatasetManifest.Exists(dir));
        Assert.Empty(Directory.GetFiles(dir, "*.parquet"));
    }

    [Fact]
    public void Three_malformed_lines_are_skipped_counted_and_written_to_rejects()
    {
        var dir = TestData.TempDir();
        var input = TestData.Fixture("bad3.txt");
        var result = Ingestion.Ingest(new IngestOptions(input, dir, Shards: 2, OnBadRow: BadRowPolicy.Skip));
        Assert.Equal(3, result.RejectedRows);
        Assert.Equal(7, result.Manifest.TotalRows);
        Assert.Equal(3, result.Manifest.RejectedRows);
        Assert.Equal(Ingestion.RejectsFileName, result.Manifest.RejectsFile);
        var rejects = File.ReadAllLines(result.RejectsFile!);
        Assert.Equal(4, rejects.Length); // header + 3
        Assert.StartsWith("4\t42\texpected 42 fields, found 41\t", rejects[1]);
        Assert.StartsWith("7\t5\t'12x' in numeric column 'src_bytes' is not a number\t0,tcp,http,SF,12x,", rejects[2]);
        Assert.StartsWith("9\t43\texpected 42 fields, found 43\t", rejects[3]);
        var reloaded = DatasetManifest.Load(dir);
        Assert.Equal(3, reloaded.RejectedRows);
        Assert.Equal(7, reloaded.Shards.Sum(s => s.Rows));
    }

    [Fact]
    public void A_missing_manifest_tells_the_user_to_ingest_first()
    {
        var dir = TestData.TempDir();
        var e = Assert.Throws<DataFormatException>(() => DatasetManifest.Load(dir));
        Assert.Equal($"{dir} has no manifest.json: run 'distgmm ingest' first", e.Message);
        Assert.False(DatasetManifest.Exists(dir));
    }

    [Fact]
    public void Gaps_survive_ingestion_as_nulls_and_are_summarised()
    {
        var dir = TestData.TempDir();
        var result = Ingestion.Ingest(new IngestOptions(TestData.Fixture("gaps.csv"), dir, Shards: 3));
        Assert.Equal(5, result.Manifest.TotalRows);
        Assert.Equal(new Dictionary<string, long> { ["attack"] = 2, ["normal"] = 3 }, result.Manifest.LabelCounts);
        var summaries = result.Manifest.ColumnSummaries.ToDictionary(s => s.Name);
        Assert.Equal(1, summaries["bytes"].Missing);
        Assert.Equal(32.5, summaries["bytes"].Mean);
        Assert.Equal(3, summaries["rate"].Missing);
        Assert.Equal(1, summaries["kind"].Missing);
        Assert.Equal(2, summaries["kind"].Categories!["tcp"]);
        var rows = Enumerable.Range(0, 3).Select(s => ShardLoader.ReadRaw(result.Manifest.ShardPath(s))).ToList();
        var bytes = rows.SelectMany(b => b.Numbers[0]!.Take(b.Count)).ToArray();
        Assert.Equal(new[] { 10, double.NaN, 30, 40, 50 }, bytes);
        Assert.Equal(new[] { "tcp", "udp", null, "icmp", "tcp" }, rows.SelectMany(b => b.Texts[1]!.Take(b.Count)));

        var pre = Preprocessor.Fit(dir, new PreprocessingSpec(Missing: MissingStrategy.Median, Scaling: Scaling.None));
        var loaded = ShardLoader.Load(result.Manifest.ShardPath(1), pre); // rows 1..2 (shards cut at 5·s/3)
        Assert.Equal(1, loaded.RowIds[0]);
        Assert.Equal(35, loaded.Features.Row(0)[0]); // the median of 10, 30, 40, 50
    }

    [Fact]
    public void A_parquet_file_or_dataset_can_be_ingested_again()
    {
        var first = TestData.TempDir();
        Ingestion.Ingest(new IngestOptions(TestData.Fixture("kdd_head20.txt"), first, Shards: 2));
        var second = TestData.TempDir();
        var again = Ingestion.Ingest(new IngestOptions(first, second, Shards: 3));
        Assert.Equal(SourceFormat.Parquet, again.Manifest.SourceFormat);
        Assert.Equal(20, again.Manifest.TotalRows);
        Assert.Equal(KddSchema.Columns, again.Manifest.DataColumns);
        var third = TestData.TempDir();
        var fromFile = Ingestion.Ingest(new IngestOptions(Path.Combine(first, "shard-00001.parquet"), third, Shards: 1));
        Assert.Equal(10, fromFile.Manifest.TotalRows);
        var original = ShardLoader.ReadRaw(Path.Combine(first, "shard-00001.parquet"));
        var copy = ShardLoader.ReadRaw(Path.Combine(third, "shard-00000.parquet"));
        Assert.Equal(original.Numbers[4]!.Take(10), copy.Numbers[4]!.Take(10));
        Assert.Equal(original.Labels!.Take(10), copy.Labels!.Take(10));
    }

    [Fact]
    public void Progress_is_reported_and_the_manifest_json_has_the_documented_fields()
    {
        var dir = TestData.TempDir();
        var reports = new List<IngestProgress>();
        Ingestion.Ingest(new IngestOptions(TestData.Fixture("kdd_head20.txt"), dir, Shards: 4, RowGroupSize: 3),
            new SynchronousProgress(reports.Add));
        Assert.Equal(20, reports[^1].RowsWritten);
        Assert.Equal(4, reports[^1].ShardsCompleted);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")));
        Assert.Equal(20, json.RootElement.GetProperty("totalRows").GetInt64());
        Assert.Equal(20, json.RootElement.GetProperty("labelCounts").GetProperty("normal").GetInt64());
        var shard = json.RootElement.GetProperty("shards")[0];
        Assert.Equal("shard-00000.parquet", shard.GetProperty("file").GetString());
        Assert.Equal(5, shard.GetProperty("rows").GetInt64());
        Assert.Equal(64, shard.GetProperty("sha256").GetString()!.Length);
    }

    [Fact]
    public void More_shards_than_rows_leaves_empty_shards_that_still_load()
    {
        var dir = TestData.TempDir();
        var result = Ingestion.Ingest(new IngestOptions(TestData.Fixture("crlf_no_final_newline.csv"), dir, Shards: 4));
        Assert.Equal(new long[] { 0, 1, 0, 1 }, result.Manifest.Shards.Select(s => s.Rows));
        Assert.Equal(new long[] { 0, 0, 1, 1 }, result.Manifest.Shards.Select(s => s.FirstRowId));
        var pre = Preprocessor.Fit(dir, new PreprocessingSpec(Scaling: Scaling.MinMax));
        var empty = ShardLoader.Load(result.Manifest.ShardPath(0), pre);
        Assert.Equal(0, empty.Rows);
        Assert.Equal(3, empty.Features.Cols); // a, b (label-encoded), c
        Assert.Equal(new[] { 1.0, 1, 1 }, ShardLoader.Load(result.Manifest.ShardPath(3), pre).Features.Values);
    }

    [Fact]
    public void Ingesting_again_replaces_the_previous_dataset()
    {
        var dir = TestData.TempDir();
        Ingestion.Ingest(new IngestOptions(TestData.Fixture("kdd_head20.txt"), dir, Shards: 5));
        var again = Ingestion.Ingest(new IngestOptions(TestData.Fixture("kdd_head20.txt"), dir, Shards: 2));
        Assert.Equal(2, Directory.GetFiles(dir, "shard-*.parquet").Length);
        Assert.Equal(2, DatasetManifest.Load(dir).Shards.Count);
        Assert.Empty(again.Manifest.Verify());
    }

    [Fact]
    public void Ingesting_a_dataset_into_its_own_folder_is_refused()
    {
        var dir = TestData.TempDir();
        Ingestion.Ingest(new IngestOptions(TestData.Fixture("kdd_head20.txt"), dir, Shards: 2));
        var e = Assert.Throws<ArgumentException>(() => Ingestion.Ingest(new IngestOptions(dir, dir, Shards: 2)));
        Assert.Contains("would overwrite it", e.Message);
        Assert.Throws<ArgumentException>(() => Ingestion.Ingest(new IngestOptions(Path.Combine(dir, "shard-00000.parquet"), dir)));
        Assert.Empty(DatasetManifest.Load(dir).Verify());
    }

    private sealed class SynchronousProgress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }
}
