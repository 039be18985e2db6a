using System.Text.Json;
using DistGmm.Data.Parquet;
using DistGmm.Data;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Interop both ways with independent implementations (see ../shared/node-parquet/README.md).</summary>
public sealed class InteropTests(NodeParquet node) : IClassFixture<NodeParquet>
{
    private static string ExpectedPath => Path.Combine(Corpus.Dir, "generated", "EXPECTED.all.json");

    /// <summary>The fixed table of write.mjs: id, f64 (nulls), i64 (beyond 2^53), str (nulls, Unicode), cat.</summary>
    internal static (ParquetSchema Schema, ParquetColumn[] Columns) FixedTable(int n)
    {
        var schema = new ParquetSchema([
            ParquetField.Int64("id"), ParquetField.Double("f64", nullable: true), ParquetField.Int64("i64"),
            ParquetField.String("str", nullable: true), ParquetField.String("cat"),
        ]);
        string[] cats = ["alpha", "beta", "gamma", "delta", "epsilon"];
        var id = new long[n]; var f64 = new double[n]; var f64Null = new bool[n]; var i64 = new long[n];
        var str = new string?[n]; var cat = new string?[n];
        for (int i = 0; i < n; i++)
        {
            id[i] = i;
            f64Null[i] = i % 10 == 3;
            f64[i] = f64Null[i] ? 0 : i / 7.0 - 50;
            i64[i] = (i - 500L) * 18446744073709L;
            str[i] = i % 13 == 5 ? null : "row-" + i + (i % 7 == 0 ? "-ünïcødé-✓" : "");
            cat[i] = cats[i % 5];
        }
        var f = schema.Fields;
        return (schema, [
            ParquetColumn.FromInt64s(f[0], id, n), ParquetColumn.FromDoubles(f[1], f64, n, f64Null), ParquetColumn.FromInt64s(f[2], i64, n),
            ParquetColumn.FromStrings(f[3], str, n), ParquetColumn.FromStrings(f[4], cat, n),
        ]);
    }

    public static TheoryData<string, CompressionCodec, bool, int> OurFiles() => new()
    {
        { "snappy-dict", CompressionCodec.Snappy, true, 100_000 },
        { "none-dict", CompressionCodec.Uncompressed, true, 100_000 },
        { "gzip-dict", CompressionCodec.Gzip, true, 100_000 },
        { "brotli-plain", CompressionCodec.Brotli, false, 100_000 },
        { "snappy-multi-rowgroup", CompressionCodec.Snappy, true, 300 },
        { "zstd-dict", CompressionCodec.Zstd, true, 100_000 },
        { "lz4raw-plain", CompressionCodec.Lz4Raw, false, 100_000 },
    };

    [Theory]
    [MemberData(nameof(OurFiles))]
    public async Task FileWeWriteReadsIdenticallyInEveryIndependentReader(string name, CompressionCodec codec, bool dictionary, int rowGroupSize)
    {
        using var dir = new TempDir();
        string path = dir.File(name + ".parquet");
        var (schema, columns) = FixedTable(1000);
        using (var writer = new ParquetFileWriter(path, schema, new ParquetWriteOptions { Codec = codec, Dictionary = dictionary, RowGroupSize = rowGroupSize, PageSize = 2048 }))
            writer.WriteRowGroup(columns);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(ExpectedPath));
        // parquetjs has no ZSTD or LZ4_RAW decompressor; the other two read every codec.
        string[] libs = codec is CompressionCodec.Zstd or CompressionCodec.Lz4Raw ? ["hyparquet", "parquet-wasm"] : ["hyparquet", "parquet-wasm", "parquetjs"];
        var results = await Task.WhenAll(libs.Select(lib => node.NodeAsync("read.mjs", path, "--lib", lib, "--all")));
        for (int k = 0; k < libs.Length; k++)
        {
            var (code, stdout, stderr) = results[k];
            Assert.True(code == 0, $"{libs[k]} could not read {name}: {stderr}");
            using var actual = JsonDocument.Parse(stdout);
            var problems = CompareJson(expected.RootElement, actual.RootElement);
            Assert.True(problems.Count == 0, $"{libs[k]} on {name}:\n" + string.Join("\n", problems));
        }
    }

    /// <summary>Compares read.mjs outputs cell by cell in canonical form (types from the expected file).</summary>
    private static List<string> CompareJson(JsonElement expected, JsonElement actual)
    {
        var problems = new List<string>();
        var columns = expected.GetProperty("columns");
        bool[] floatKind = columns.EnumerateArray().Select(c => c.GetProperty("type").GetString() is "FLOAT" or "DOUBLE").ToArray();
        var want = Rows(expected.GetProperty("data"));
        var got = Rows(actual.GetProperty("data"));
        if (want.Length != got.Length) return [$"{got.Length} rows, expected {want.Length}"];
        for (int r = 0; r < want.Length && problems.Count < 10; r++)
            for (int c = 0; c < floatKind.Length; c++)
            {
                string w = Canonical.OfJson(want[r][c], floatKind[c]), g = Canonical.OfJson(got[r][c], floatKind[c]);
                if (w != g) problems.Add($"row {r} column {c}: {g}, expected {w}");
            }
        return problems;
    }

    /// <summary>JsonElement indexes arrays of arrays in linear time; materialize rows once.</summary>
    private static JsonElement[][] Rows(JsonElement data) => data.EnumerateArray().Select(r => r.EnumerateArray().ToArray()).ToArray();

    [Theory]
    [InlineData("hyparquet")]
    [InlineData("parquet-wasm")]
    public async Task EveryTypeWeWriteReadsIdenticallyInIndependentReaders(string lib)
    {
        using var dir = new TempDir();
        string path = dir.File("mixed.parquet");
        var columns = RoundTripTests.MixedColumns(700);
        using (var writer = new ParquetFileWriter(path, RoundTripTests.MixedSchema, new ParquetWriteOptions { RowGroupSize = 400, PageSize = 1024 }))
            writer.WriteRowGroup(columns);
        var (code, stdout, stderr) = await node.NodeAsync("read.mjs", path, "--lib", lib, "--all");
        Assert.True(code == 0, $"{lib}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var data = Rows(doc.RootElement.GetProperty("data"));
        Assert.Equal(700, data.Length);
        var problems = new List<string>();
        for (int c = 0; c < columns.Length; c++)
        {
            bool floatKind = Canonical.IsFloatKind(columns[c].Field);
            for (int r = 0; r < 700 && problems.Count < 10; r++)
            {
                string want = Canonical.Of(columns[c].GetValue(r)), got = Canonical.OfJson(data[r][c], floatKind);
                if (want != got) problems.Add($"row {r} column '{columns[c].Field.Name}': {lib} read {got}, we wrote {want}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    public static TheoryData<string, string[]> NodeWriters() => new()
    {
        { "wasm-snappy-v1-dict", ["--lib", "parquet-wasm", "--codec", "snappy", "--page", "v1"] },
        { "wasm-gzip-v2-delta", ["--lib", "parquet-wasm", "--codec", "gzip", "--page", "v2", "--encoding", "delta"] },
        { "wasm-brotli-v1-fallback", ["--lib", "parquet-wasm", "--codec", "brotli", "--page", "v1", "--row-group-size", "300", "--page-size", "1024", "--dict-page-limit", "256"] },
        { "hyparquet-none-v2-delta-length", ["--lib", "hyparquet-writer", "--codec", "none", "--page", "v2", "--encoding", "delta-length"] },
        { "parquetjs-gzip-v2", ["--lib", "parquetjs", "--codec", "gzip", "--page", "v2"] },
        { "wasm-zstd-v2", ["--lib", "parquet-wasm", "--codec", "zstd", "--page", "v2"] },
        { "wasm-lz4raw-v1", ["--lib", "parquet-wasm", "--codec", "lz4_raw", "--page", "v1"] },
    };

    [Theory]
    [MemberData(nameof(NodeWriters))]
    public async Task FileAnIndependentWriterWritesReadsIdenticallyHere(string name, string[] options)
    {
        using var dir = new TempDir();
        string path = dir.File(name + ".parquet");
        var (code, _, stderr) = await node.NodeAsync("write.mjs", [path, .. options]);
        Assert.True(code == 0, $"write.mjs {string.Join(' ', options)} failed: {stderr}");
        using var reader = ParquetFileReader.Open(path);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(ExpectedPath));
        var problems = Canonical.Compare(reader, expected.RootElement);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    public static TheoryData<string, string> ShardReaders() => new()
    {
        { "hyparquet", "snappy" }, { "parquet-wasm", "snappy" }, { "parquetjs", "snappy" },
        { "hyparquet", "zstd" }, { "parquet-wasm", "zstd" }, { "parquet-wasm", "lz4" },
    };

    [Theory]
    [MemberData(nameof(ShardReaders))]
    public async Task OurShardsReadInIndependentReadersWithTheSameRowsNullsAndSums(string lib, string compression)
    {
        // 2,000 rows of the bundled KDD data, ingested as `distgmm ingest --compression` writes shards.
        using var dir = new TempDir();
        var input = dir.File("kdd.csv");
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(DistGmm.Testing.RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")),
                   System.IO.Compression.CompressionMode.Decompress))
        using (var text = new StreamReader(gz))
            File.WriteAllLines(input, Enumerable.Range(0, 2000).Select(_ => text.ReadLine()!));
        var codec = compression switch { "zstd" => CompressionCodec.Zstd, "lz4" => CompressionCodec.Lz4Raw, _ => CompressionCodec.Snappy };
        var manifest = Ingestion.Ingest(new IngestOptions(input, dir.File("ds"), Shards: 2, Compression: codec)).Manifest;
        var shard = manifest.ShardPath(1);
        var raw = ShardLoader.ReadRaw(shard);

        var (code, stdout, stderr) = await node.NodeAsync("read.mjs", shard, "--lib", lib);
        Assert.True(code == 0, $"{lib} could not read our shard: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(raw.Count, root.GetProperty("rows").GetInt32());
        Assert.Equal(raw.RowIds.Take(raw.Count).Sum(), root.GetProperty("sums").GetProperty("rowId").GetInt64());
        for (var c = 0; c < raw.Columns.Count; c++)
        {
            var name = raw.Columns[c].Name;
            if (raw.Numbers[c] is { } numbers)
            {
                // Summed in row order, nulls skipped, as read.mjs does: equal bit for bit when every value is.
                double sum = 0;
                int nulls = 0;
                foreach (var v in numbers.Take(raw.Count))
                    if (double.IsNaN(v)) nulls++; else sum += v;
                Assert.Equal(Canonical.Double(sum), Canonical.OfJson(root.GetProperty("sums").GetProperty(name), floatKind: true));
                Assert.Equal(nulls, root.GetProperty("nulls").GetProperty(name).GetInt32());
            }
            else Assert.Equal(raw.Texts[c]!.Take(raw.Count).Count(t => t is null), root.GetProperty("nulls").GetProperty(name).GetInt32());
        }
    }
}
