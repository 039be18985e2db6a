using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Malformed files fail with a ParquetFormatException naming the file and a byte offset inside it.</summary>
public sealed class BadFileTests
{
    /// <summary>Opens the file and reads every column chunk.</summary>
    internal static void ReadAll(ParquetFileReader reader)
    {
        for (int g = 0; g < reader.RowGroupCount; g++)
            foreach (var f in reader.Schema.Fields) reader.ReadColumn(g, f.Name);
    }

    private static ParquetFormatException AssertRejected(string path)
    {
        var ex = Assert.Throws<ParquetFormatException>(() =>
        {
            using var reader = ParquetFileReader.Open(path);
            ReadAll(reader);
        });
        Assert.Equal(path, ex.File);
        Assert.StartsWith(path + ": at byte offset ", ex.Message);
        Assert.InRange(ex.Offset, 0, Math.Max(0, new FileInfo(path).Length));
        return ex;
    }

    public static TheoryData<string, string> SyntheticFiles() => new()
    {
        { "empty.parquet", "too short" },
        { "magic-only.parquet", "too short" },
        { "magic-twice.parquet", "too short" },
        { "no-trailing-magic.parquet", "trailing magic" },
        { "no-leading-magic.parquet", "leading magic" },
        { "footer-len-too-large.parquet", "footer length" },
        { "footer-len-zero.parquet", "footer length" },
        { "footer-garbage.parquet", "corrupt Thrift" },
        { "truncated-half.parquet", "trailing magic" },
        { "truncated-tail.parquet", "trailing magic" },
        { "num-rows-mismatch.parquet", "footer says 16 rows but the row groups hold 8" },
    };

    [Theory]
    [MemberData(nameof(SyntheticFiles))]
    public void SyntheticBadFileIsRejectedWithReason(string name, string reason)
    {
        var ex = AssertRejected(Path.Combine(Corpus.Dir, "files", "bad", "synthetic", name));
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), ex.Message);
    }

    [Theory]
    [InlineData("PARQUET-1481.parquet", "invalid physical type")]
    [InlineData("ARROW-RS-GH-6229-DICTHEADER.parquet", "column chunk")]
    [InlineData("nation.dict-malformed.parquet", "column")]
    [InlineData("ARROW-GH-41317.parquet", "nested schema not supported")]
    [InlineData("ARROW-GH-41321.parquet", "nested schema not supported")]
    [InlineData("ARROW-GH-45185.parquet", "nested schema not supported")]
    [InlineData("ARROW-RS-GH-6229-LEVELS.parquet", "nested schema not supported")]
    public void UpstreamBadFileIsRejectedWithReason(string name, string reason)
    {
        var ex = AssertRejected(Path.Combine(Corpus.Dir, "files", "bad", name));
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void BitWidthZeroDictionaryFileOpensAndNamesItsZstdCodec()
    {
        // ARROW-GH-43605 is valid (bit width 0 = all indices 0) but ZSTD-compressed, which we cannot decompress.
        string path = Path.Combine(Corpus.Dir, "files", "bad", "ARROW-GH-43605.parquet");
        using var reader = ParquetFileReader.Open(path);
        var ex = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, "min_fl"));
        Assert.Contains("ZSTD", ex.Message);
        Assert.Contains("'min_fl'", ex.Message);
    }

    [Fact]
    public void DictionaryIndicesWithBitWidthZeroDecodeAsIndexZero()
    {
        // Build the page body by hand: bit width 0, one RLE run of 5 (header 5<<1, no value bytes).
        var decoder = new Encodings.ValueDecoder(PhysicalType.Int32, 0);
        var output = new int[5];
        decoder.Decode(ParquetEncoding.RleDictionary, [0, 10], output, [42]);
        Assert.Equal([42, 42, 42, 42, 42], output);
    }

    [Fact]
    public void MissingFileIsAFormatErrorNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid() + ".parquet");
        var ex = Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(path));
        Assert.Equal(path, ex.File);
    }
}
