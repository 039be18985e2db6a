using DistGmm.Data.Parquet;
using Native = ParquetSharp;

namespace DistGmm.Data.Tests;

/// <summary>Nested columns of an input are skipped with one warning naming them; asked for by a schema file, an error.</summary>
public sealed class NestedParquetInputTests
{
    /// <summary>A pyarrow-like file: flat value and label columns beside a struct column point{x, y}.</summary>
    private static string WriteFileWithAStruct(string dir)
    {
        var path = Path.Combine(dir, "nested.parquet");
        using var value = new Native.Schema.PrimitiveNode("value", Native.Repetition.Required, Native.LogicalType.None(), Native.PhysicalType.Double);
        using var x = new Native.Schema.PrimitiveNode("x", Native.Repetition.Required, Native.LogicalType.None(), Native.PhysicalType.Double);
        using var y = new Native.Schema.PrimitiveNode("y", Native.Repetition.Required, Native.LogicalType.None(), Native.PhysicalType.Double);
        using var point = new Native.Schema.GroupNode("point", Native.Repetition.Required, [x, y]);
        using var label = new Native.Schema.PrimitiveNode("label", Native.Repetition.Required, Native.LogicalType.String(), Native.PhysicalType.ByteArray);
        using var root = new Native.Schema.GroupNode("schema", Native.Repetition.Required, [value, point, label]);
        using var properties = new Native.WriterPropertiesBuilder().Build();
        using var file = new Native.ParquetFileWriter(path, root, properties);
        using (var group = file.AppendRowGroup())
        {
            using (var w = (Native.ColumnWriter<double>)group.NextColumn()) w.WriteBatch([1.5, 2.5, 3.5]);
            using (var w = (Native.ColumnWriter<double>)group.NextColumn()) w.WriteBatch([10.0, 20.0, 30.0]);
            using (var w = (Native.ColumnWriter<double>)group.NextColumn()) w.WriteBatch([-1.0, -2.0, -3.0]);
            using (var w = group.NextColumn().LogicalWriter<string>()) w.WriteBatch(["normal", "smurf", "normal"]);
        }
        file.Close();
        return path;
    }

    [Fact]
    public void Nested_columns_are_skipped_with_one_warning_naming_them()
    {
        var dir = TestData.TempDir();
        var input = WriteFileWithAStruct(dir);
        using (var reader = ParquetFileReader.Open(input))
        {
            Assert.Equal(["value", "label"], reader.Schema.Fields.Select(f => f.Name));
            Assert.Equal(["point"], reader.NestedColumns);
            var ex = Assert.Throws<DataFormatException>(() => reader.ReadColumn(0, "point"));
            Assert.Contains("column 'point' is nested", ex.Message);
        }
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1));
        Assert.Equal($"{input}: nested columns skipped (only flat columns are read): point", Assert.Single(result.Warnings));
        Assert.Equal(["value:Numeric", "label:Label"], result.Manifest.DataColumns.Select(c => $"{c.Name}:{c.Role}"));
        var raw = ShardLoader.ReadRaw(result.Manifest.ShardPath(0));
        Assert.Equal([1.5, 2.5, 3.5], raw.Numbers[0]!.Take(raw.Count));
    }

    [Fact]
    public void A_nested_column_asked_for_is_a_clear_error()
    {
        var dir = TestData.TempDir();
        var input = WriteFileWithAStruct(dir);
        var schema = TestData.WriteText(dir, "schema.json", """{ "columns": [ { "name": "point", "role": "numeric" } ] }""");
        var ex = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1, SchemaFile: schema)));
        Assert.Equal($"{input}: column 'point' is nested (a group, list or map); only flat columns can be read", ex.Message);
    }
}

/// <summary>Files as Spark, pyarrow, parquet-mr and Impala write them, with the codecs and types they use, ingest.</summary>
public sealed class ForeignParquetInputTests
{
    [Theory]
    [InlineData("byte_stream_split.zstd.parquet", 300, "f32:Numeric,f64:Numeric")]                 // ZSTD, BYTE_STREAM_SPLIT
    [InlineData("lz4_raw_compressed.parquet", 4, "c0:Numeric,v11:Numeric")]                                 // LZ4_RAW
    [InlineData("hadoop_lz4_compressed.parquet", 4, "c0:Numeric,v11:Numeric")]                     // Hadoop-framed LZ4
    [InlineData("byte_array_decimal.parquet", 24, "value:Numeric")]                                // DECIMAL in BYTE_ARRAY
    [InlineData("float16_nonzeros_and_nans.parquet", 8, "x:Numeric")]                              // FLOAT16
    [InlineData("delta_encoding_required_column.parquet", 100, null)]                              // data page v2, DELTA
    [InlineData("alltypes_plain.snappy.parquet", 2, null)]                                         // INT96 (skipped as a feature)
    public void A_file_with_this_codec_or_type_ingests(string name, long rows, string? columns)
    {
        var input = DistGmm.Testing.RepoPaths.InShared("parquet-testing", "files", name);
        var manifest = Ingestion.Ingest(new IngestOptions(input, TestData.TempDir(), Shards: 1)).Manifest;
        Assert.Equal(rows, manifest.TotalRows);
        if (columns is not null) Assert.Equal(columns, string.Join(",", manifest.DataColumns.Select(c => $"{c.Name}:{c.Role}")));
        var raw = ShardLoader.ReadRaw(manifest.ShardPath(0));
        Assert.Equal(rows, raw.Count);
    }
}
