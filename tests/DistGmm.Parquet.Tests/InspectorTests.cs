using System.Text.Json;
using DistGmm.Data.Parquet;
using DistGmm.Data;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>The library side of `distgmm parquet inspect` and `distgmm parquet head`.</summary>
public sealed class InspectorTests
{
    private static string[] HeadLines(string path, int n)
    {
        using var output = new StringWriter();
        ParquetInspector.WriteHead(path, n, output, json: true);
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData("alltypes_plain.parquet")]
    [InlineData("int96_from_spark.parquet")]
    [InlineData("byte_array_decimal.parquet")]
    [InlineData("float16_nonzeros_and_nans.parquet")]
    [InlineData("delta_byte_array.parquet")]
    public void HeadJsonLinesCarryTheCorpusValues(string name)
    {
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Corpus.Expected(name)));
        var columns = expected.RootElement.GetProperty("columns").EnumerateArray().ToArray();
        var data = expected.RootElement.GetProperty("data");
        using var reader = ParquetFileReader.Open(Corpus.File(name));
        var lines = HeadLines(Corpus.File(name), 5);
        Assert.Equal(Math.Min(5, data.GetArrayLength()), lines.Length);
        for (int r = 0; r < lines.Length; r++)
        {
            using var row = JsonDocument.Parse(lines[r]);
            Assert.Equal(columns.Select(c => c.GetProperty("name").GetString()), row.RootElement.EnumerateObject().Select(p => p.Name));
            for (int c = 0; c < columns.Length; c++)
            {
                var field = reader.Schema.Fields[c];
                bool floatKind = Canonical.IsFloatKind(field);
                var cell = row.RootElement.GetProperty(field.Name);
                // DECIMAL is an exact JSON number here, an exact string in the canonical format.
                string got = field.LogicalKind == LogicalKind.Decimal && cell.ValueKind == JsonValueKind.Number ? "s:" + cell.GetRawText() : Canonical.OfJson(cell, floatKind);
                Assert.Equal(Canonical.OfJson(data[r][c], floatKind), got);
            }
        }
    }

    [Fact]
    public void HeadJsonFollowsTheValueRules()
    {
        using var dir = new TempDir();
        string path = dir.File("rules.parquet");
        using (var writer = new ParquetFileWriter(path, RoundTripTests.MixedSchema, new ParquetWriteOptions { RowGroupSize = 3 }))
            writer.WriteRowGroup(RoundTripTests.MixedColumns(10));
        var lines = HeadLines(path, 8);
        Assert.Equal(8, lines.Length); // spans three row groups of 3 rows
        Assert.StartsWith("{\"d\":-50,\"dn\":\"NaN\",\"l\":-9223372036854500,\"ln\":null,\"i\":-3,\"in\":0,\"s\":\"alpha\",\"sn\":\"row-0-ünïcødé-✓\",", lines[0]);
        Assert.Contains("\"bin\":null", lines[0]);
        Assert.Contains("\"bin\":{\"hex\":\"010000ff\"}", lines[1]);
        Assert.Contains("\"price\":null", lines[0]);
        Assert.Contains("\"price\":-98.74", lines[1]);
        Assert.Contains("\"f\":\"Infinity\"", lines[7]);
        Assert.Contains("\"day\":19007", lines[7]);
        Assert.Contains("\"b\":true", lines[6]);
    }

    [Fact]
    public void HeadTextIsTabSeparatedWithAHeader()
    {
        using var output = new StringWriter();
        ParquetInspector.WriteHead(Corpus.File("alltypes_plain.parquet"), 2, output, json: false);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("id\tbool_col\ttinyint_col", lines[0]);
        Assert.StartsWith("4\ttrue\t0", lines[1]);
    }

    [Fact]
    public void InspectJsonDescribesSchemaRowGroupsCodecsEncodingsAndStatistics()
    {
        using var dir = new TempDir();
        string path = dir.File("inspect.parquet");
        var options = new ParquetWriteOptions { RowGroupSize = 600, Codec = CompressionCodec.Gzip };
        options.KeyValueMetadata["distgmm.manifest"] = "v1";
        using (var writer = new ParquetFileWriter(path, RoundTripTests.MixedSchema, options)) writer.WriteRowGroup(RoundTripTests.MixedColumns(1000));
        using var output = new StringWriter();
        ParquetInspector.WriteInspect(path, output, json: true);
        using var doc = JsonDocument.Parse(output.ToString());
        var root = doc.RootElement;
        Assert.Equal(1000, root.GetProperty("rows").GetInt64());
        Assert.Equal("v1", root.GetProperty("keyValueMetadata").GetProperty("distgmm.manifest").GetString());
        var schema = root.GetProperty("schema");
        Assert.Equal("price", schema[14].GetProperty("name").GetString());
        Assert.Equal("DECIMAL(12,2)", schema[14].GetProperty("logicalType").GetString());
        Assert.Equal("OPTIONAL", schema[14].GetProperty("repetition").GetString());
        Assert.Equal("FIXED_LEN_BYTE_ARRAY(3)", schema[12].GetProperty("physicalType").GetString());
        var groups = root.GetProperty("rowGroups");
        Assert.Equal(2, groups.GetArrayLength());
        Assert.Equal(400, groups[1].GetProperty("rows").GetInt64());
        var s = groups[0].GetProperty("columns")[6];
        Assert.Equal("s", s.GetProperty("name").GetString());
        Assert.Equal("GZIP", s.GetProperty("codec").GetString());
        Assert.Contains("RLE_DICTIONARY", s.GetProperty("encodings").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("alpha", s.GetProperty("statistics").GetProperty("min").GetString());
        var l = groups[0].GetProperty("columns")[2].GetProperty("statistics");
        Assert.Equal(-500L * 18446744073709L, l.GetProperty("min").GetInt64());
        Assert.Equal(99L * 18446744073709L, l.GetProperty("max").GetInt64());
        Assert.Equal(0, l.GetProperty("nullCount").GetInt64());
    }

    [Fact]
    public void InspectTextNamesCodecsAndEncodings()
    {
        using var output = new StringWriter();
        ParquetInspector.WriteInspect(Corpus.File("delta_encoding_required_column.parquet"), output, json: false);
        string text = output.ToString();
        Assert.Contains("rows: 100, row groups: 1", text);
        Assert.Contains("c_customer_sk:: INT32 REQUIRED", text);
        Assert.Contains("DELTA_BINARY_PACKED", text);
    }

    [Theory]
    [InlineData("files/bad/synthetic/footer-garbage.parquet")]
    [InlineData("files/bad/synthetic/truncated-half.parquet")]
    public void UnreadableFileGivesOneErrorLineAndExitCodeOne(string relative)
    {
        string path = Path.Combine(Corpus.Dir, relative);
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ParquetInspector.RunHead(path, 10, json: true, output, error);
        Assert.Equal(1, code);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: " + path + ": ", lines[0]);
    }

    [Fact]
    public void ReadableFileExitsZero()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, ParquetInspector.RunInspect(Corpus.File("binary.parquet"), json: true, output, error));
        Assert.Equal("", error.ToString());
        using var doc = JsonDocument.Parse(output.ToString());
        Assert.Equal(12, doc.RootElement.GetProperty("rows").GetInt64());
    }
}
