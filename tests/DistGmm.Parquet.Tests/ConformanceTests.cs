using System.Text.Json;
using DistGmm.Data.Parquet;
using DistGmm.Data;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Every flat file of the conformance corpus reads with the rows and values the independent readers saw.</summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> FlatFiles()
    {
        var data = new TheoryData<string>();
        foreach (var e in Corpus.FlatFiles) data.Add(e.File);
        return data;
    }

    [Fact]
    public void CorpusHasEightyTwoFlatFilesAndEveryCodec()
    {
        // 45 files of the CORPUS.md table + 37 generated: all must read, whatever their codec.
        Assert.Equal(82, Corpus.FlatFiles.Count + Directory.GetFiles(Path.Combine(Corpus.Dir, "generated"), "*.parquet").Length);
        Assert.Superset(new HashSet<string> { "UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4", "LZ4_RAW" }, Corpus.FlatFiles.Select(e => e.Codec).ToHashSet());
    }

    [Theory]
    [MemberData(nameof(FlatFiles))]
    public void FlatFileReadsAsTheIndependentReadersDid(string name)
    {
        var entry = Corpus.FlatFiles.Single(e => e.File == name);
        using var reader = ParquetFileReader.Open(Corpus.File(name));
        Assert.Equal(entry.Rows, reader.TotalRows);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Corpus.Expected(name)));
        var problems = Canonical.Compare(reader, expected.RootElement);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("byte_array_decimal.parquet", "value")]
    [InlineData("fixed_length_decimal.parquet", "value")]
    [InlineData("int32_decimal.parquet", "value")]
    [InlineData("int64_decimal.parquet", "value")]
    public void DecimalColumnsReadAsDoubles(string name, string column)
    {
        // All four files hold 1.00 .. 24.00 (upstream docs; expected/*.json).
        using var reader = ParquetFileReader.Open(Corpus.File(name));
        var values = new double[24];
        Assert.Equal(24, reader.ReadDoubles(0, column, values));
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (double)i), values);
    }

    [Fact]
    public void ReadDoublesMatchesReadColumnOnEveryNumericCorpusColumn()
    {
        foreach (var entry in Corpus.FlatFiles)
        {
            using var reader = ParquetFileReader.Open(Corpus.File(entry.File));
            foreach (var f in reader.Schema.Fields.Where(f => f.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double))
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    var column = reader.ReadColumn(g, f.Name);
                    var fast = new double[column.Count];
                    reader.ReadDoubles(g, f.Name, fast);
                    for (int i = 0; i < column.Count; i++)
                        Assert.True(column.GetDouble(i).Equals(fast[i]), $"{entry.File} '{f.Name}' row {i}: {fast[i]} vs {column.GetDouble(i)}");
                }
        }
    }

    public static TheoryData<string> GeneratedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(Corpus.Dir, "generated"), "*.parquet").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void FileWrittenByAnotherLibraryReadsWithExpectedValues(string name)
    {
        using var reader = ParquetFileReader.Open(Path.Combine(Corpus.Dir, "generated", name));
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Corpus.Dir, "generated", "EXPECTED.all.json")));
        var problems = Canonical.Compare(reader, expected.RootElement);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
