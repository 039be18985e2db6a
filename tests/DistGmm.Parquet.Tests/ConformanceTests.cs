using System.Text.Json;
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
    public void CorpusTableListsTheFlatFiles() => Assert.True(Corpus.FlatFiles.Count >= 45, $"parsed {Corpus.FlatFiles.Count} entries");

    [Theory]
    [MemberData(nameof(FlatFiles))]
    public void FlatFileReadsAsTheIndependentReadersDid(string name)
    {
        var entry = Corpus.FlatFiles.Single(e => e.File == name);
        using var reader = ParquetFileReader.Open(Corpus.File(name));
        Assert.Equal(entry.Rows, reader.TotalRows);
        if (!Corpus.CodecSupported(entry.Codec))
        {
            var column = reader.Schema.Fields[0].Name;
            var ex = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, column));
            Assert.Contains(entry.Codec, ex.Message);
            Assert.Contains($"'{column}'", ex.Message);
            Assert.Contains(name, ex.Message);
            return;
        }
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Corpus.Expected(name)));
        var problems = Canonical.Compare(reader, expected.RootElement);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
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
        if (name.Contains("zstd", StringComparison.Ordinal) || name.Contains("lz4", StringComparison.Ordinal))
        {
            var ex = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, "id"));
            Assert.Contains(name.Contains("zstd", StringComparison.Ordinal) ? "ZSTD" : "LZ4_RAW", ex.Message);
            return;
        }
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Corpus.Dir, "generated", "EXPECTED.all.json")));
        var problems = Canonical.Compare(reader, expected.RootElement);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
