using DistGmm.Testing;

namespace DistGmm.Data.Tests;

/// <summary>Parquet written by other tools (the shared conformance corpus) as ingestion input.</summary>
public sealed class ParquetInputTests
{
    private static string TinyPages => RepoPaths.InShared("parquet-testing", "files", "alltypes_tiny_pages.parquet");

    [Fact]
    public void A_foreign_parquet_file_is_ingested_with_roles_inferred_from_its_types()
    {
        var dir = TestData.TempDir();
        var result = Ingestion.Ingest(new IngestOptions(TinyPages, dir, Shards: 3));
        var manifest = result.Manifest;
        Assert.Equal(7300, manifest.TotalRows);
        Assert.Equal(SourceFormat.Parquet, manifest.SourceFormat);
        // BOOLEAN and INT96 columns are not features, nor is the row id; numbers are numeric, STRING columns categorical.
        Assert.Equal(new[]
        {
            "tinyint_col:Numeric", "smallint_col:Numeric", "int_col:Numeric", "bigint_col:Numeric",
            "float_col:Numeric", "double_col:Numeric", "date_string_col:Categorical", "string_col:Categorical",
            "year:Numeric", "month:Numeric",
        }, manifest.DataColumns.Select(c => $"{c.Name}:{c.Role}"));
        var summaries = manifest.ColumnSummaries.ToDictionary(s => s.Name);
        Assert.Equal(331_785.00000000006, summaries["double_col"].Mean!.Value * 7300, 6);
        Assert.Equal(10, summaries["string_col"].Categories!.Count);
        var first = ShardLoader.ReadRaw(manifest.ShardPath(0));
        Assert.Equal("01/13/09", first.Texts[6]![0]);
        Assert.Equal(2.200000047683716, first.Numbers[4]![0]); // FLOAT widened exactly
    }

    [Fact]
    public void A_schema_file_can_make_a_parquet_column_the_label()
    {
        var dir = TestData.TempDir();
        var schema = TestData.WriteText(dir, "schema.json",
            """{ "columns": [ { "name": "string_col", "role": "label" }, { "name": "date_string_col", "role": "ignored" } ] }""");
        var result = Ingestion.Ingest(new IngestOptions(TinyPages, Path.Combine(dir, "ds"), Shards: 1, SchemaFile: schema));
        Assert.Equal(10, result.Manifest.LabelCounts.Count);
        Assert.Equal(7300, result.Manifest.LabelCounts.Values.Sum());
        Assert.DoesNotContain(result.Manifest.Columns, c => c.Name == "date_string_col");
        var pre = Preprocessor.Fit(result.Manifest.Directory, new PreprocessingSpec(Scaling: Scaling.Standard), l => l == "2");
        Assert.Equal(result.Manifest.LabelCounts["2"], pre.Report.FitRows);
        Assert.Equal(8, pre.OutputDimension);
    }
}
