using System.Globalization;
using System.Text;

namespace DistGmm.Data.Tests;

/// <summary>
/// Scoring leaves out (and names) the rows the fitted transform cannot turn into finite features, instead of failing the
/// whole batch; fitting on such a value still fails, naming the dataset row and its input.
/// </summary>
public sealed class ScorableRowsTests
{
    private static readonly PreprocessingSpec Spec = new(Missing: MissingStrategy.DropRows, Scaling: Scaling.Standard, Log1pColumns: ["a"]);

    /// <summary>a: log1p then standard; b: standard with a tiny spread (a huge value overflows); p: label-encoded.</summary>
    private static Preprocessor Fitted() => TestData.Fit(TestData.Batch(
        ("a", new double?[] { 0, 1, 2, 3 }), ("b", new double?[] { 0, 1e-10, 0, 1e-10 }), ("p", new string?[] { "tcp", "udp", "tcp", "udp" })), Spec);

    [Fact]
    public void Rows_the_transform_cannot_make_finite_are_left_out_with_a_reason_naming_the_column()
    {
        var pre = Fitted();
        var later = TestData.Batch(
            ("a", new double?[] { -5, -1, double.PositiveInfinity, 1, 1, 2, null, -0.5 }),
            ("b", new double?[] { 0, 0, 0, 1e300, 0, 0, 0, 0 }),
            ("p", new string?[] { "tcp", "tcp", "tcp", "tcp", "sctp", "udp", "tcp", "tcp" }));

        var rows = pre.SelectScorableRows(later, null, out var dropped, out var untransformable);

        Assert.Equal([5, 7], rows);
        Assert.Equal(1, dropped);
        Assert.Equal(5, untransformable);
        Assert.Equal(new string?[]
        {
            "value ≤ -1 in column 'a', outside log1p's domain",
            "value ≤ -1 in column 'a', outside log1p's domain",
            "infinite value in column 'a'",
            "value in column 'b' too large to scale",
            "category not seen in training in label-encoded column 'p'",
            null,
            "missing value in column 'a'",
            null,
        }, Enumerable.Range(0, later.Count).Select(r => pre.DropReason(later, r)));
        // The rows kept transform as they do alone, every feature finite.
        var features = pre.Transform(later, rows);
        Assert.All(features.Values, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(pre.Transform(later, [5]).Values, features.Values.AsSpan(0, pre.OutputDimension).ToArray());
        // Transform itself still refuses what it cannot compute (the fit path relies on it).
        var e = Assert.Throws<DataFormatException>(() => pre.Transform(later, [0]));
        Assert.Equal("column 'a', rowId 0: -5 is outside log1p's domain (it needs values > -1)", e.Message);
    }

    [Fact]
    public void A_batch_whose_extremes_transform_finitely_keeps_every_row_and_one_hot_scores_an_unseen_category()
    {
        var fit = TestData.Batch(("a", new double?[] { 0, 1, 2, 3 }), ("p", new string?[] { "tcp", "udp", "tcp", "udp" }));
        var pre = TestData.Fit(fit, Spec with { Encoding = CategoricalEncoding.OneHot });
        var later = TestData.Batch(("a", new double?[] { -0.999, 1e300, 0, 5 }), ("p", new string?[] { "tcp", "sctp", "gre", "udp" }));

        var rows = pre.SelectScorableRows(later, null, out var dropped, out var untransformable);

        Assert.Equal([0, 1, 2, 3], rows);
        Assert.Equal((0, 0), (dropped, untransformable));
        Assert.Equal([0, 0], pre.Transform(later, [1]).Values.AsSpan(1).ToArray()); // all-zero one-hot
    }

    /// <summary>head500 as a header CSV with data row <paramref name="row"/>'s src_bytes set to -5.</summary>
    private static string WithNegativeSrcBytes(string dir, int row)
    {
        var lines = File.ReadAllLines(TestData.Head500Csv);
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToList();
        var fields = lines[row].Split(',');
        fields[header.IndexOf("src_bytes")] = "-5";
        lines[row] = string.Join(',', fields);
        return TestData.WriteText(dir, "neg.csv", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public void Fitting_on_a_value_outside_log1p_s_domain_fails_naming_the_input_and_dataset_row()
    {
        var dir = TestData.TempDir();
        var input = WithNegativeSrcBytes(dir, 10);
        var dataset = Path.Combine(dir, "ds");
        Ingestion.Ingest(new IngestOptions(input, dataset, Shards: 3));

        var e = Assert.Throws<DataFormatException>(() => Preprocessor.Fit(dataset, PreprocessingSpec.Preset("kdd-wide")));

        // Data row 10 follows the header: it is the 10th row ingested, rowId 9.
        Assert.Equal($"{input}: dataset row 10 (rowId 9), column 'src_bytes': -5 is outside log1p's domain (it needs values > -1)", e.Message);
    }

    [Fact]
    public void Loading_a_shard_for_scoring_leaves_out_the_row_and_counts_it()
    {
        var dir = TestData.TempDir();
        var clean = Path.Combine(dir, "clean");
        Ingestion.Ingest(new IngestOptions(TestData.Head500Csv, clean, Shards: 1));
        var pre = Preprocessor.Fit(clean, PreprocessingSpec.Preset("kdd-wide"));
        var bad = Path.Combine(dir, "bad");
        Ingestion.Ingest(new IngestOptions(WithNegativeSrcBytes(dir, 10), bad, Shards: 1, RowGroupSize: 64));
        var manifest = DatasetManifest.Load(bad);

        var shard = ShardLoader.LoadFeatures(manifest, 0, pre);
        var expected = ShardLoader.LoadFeatures(DatasetManifest.Load(clean), 0, Preprocessor.FromJson(pre.ToJson()));

        var n = (int)manifest.TotalRows; // 499 data rows
        var rows = Enumerable.Range(0, n).Where(r => r != 9).ToArray();
        Assert.Equal(n - 1, shard.Rows);
        Assert.Equal(rows.Select(r => (long)r), shard.RowIds);
        Assert.Equal(1, pre.Report.RowsUnscorableAtTransform);
        // Every other row's features are exactly those of the clean data.
        var d = pre.OutputDimension;
        Assert.Equal(rows.SelectMany(r => expected.Features.Values.AsSpan(r * d, d).ToArray()), shard.Features.Values.AsSpan(0, (n - 1) * d).ToArray());
        var raw = ShardLoader.ReadRaw(manifest.ShardPath(0));
        Assert.Equal("value ≤ -1 in column 'src_bytes', outside log1p's domain", pre.DropReason(raw, 9));
    }
}
